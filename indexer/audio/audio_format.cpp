#include "indexer/audio/audio_format.h"

#include "indexer/audio/av_audio_handles.h"

namespace palimpsest {

std::string describe(const AudioFormat& format) {
  return std::to_string(format.sample_rate) + " Hz " + ChannelLayout(format.channels).describe() +
         (format.type == SampleType::s16 ? " s16" : " float");
}

}  // namespace palimpsest

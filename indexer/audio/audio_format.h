#pragma once
// The PCM shapes the audio engine hands out, and its error type.
//
// Samples are always interleaved (frame after frame, channels within a frame). Two shapes cover
// Palimpsest's needs: 16 kHz mono 16-bit for analysis and speech recognition, and 48 kHz stereo
// float for soundtracks (AAC's native rate; float so that mixing and gains never clip).

#include <cstdint>
#include <string>

#include "indexer/media/media_decoder.h"

namespace palimpsest {

enum class SampleType { s16, f32 };

struct AudioFormat {
  int sample_rate = 16000;
  int channels = 1;
  SampleType type = SampleType::s16;

  int bytes_per_sample() const { return type == SampleType::s16 ? 2 : 4; }
  int bytes_per_frame() const { return bytes_per_sample() * channels; }
  bool operator==(const AudioFormat&) const = default;
};

// 16 kHz mono signed 16-bit: pocketsphinx's input, and the segmenter's default analysis signal.
inline constexpr AudioFormat kSpeechFormat{16000, 1, SampleType::s16};
// 48 kHz stereo float: the soundtrack mixer's working format and the AAC writer's input.
inline constexpr AudioFormat kSoundtrackFormat{48000, 2, SampleType::f32};

// "16000 Hz mono s16", for messages.
std::string describe(const AudioFormat& format);

// A file that cannot be decoded as audio, or an audio stream that breaks off. The message is one
// line that starts with the file's path.
class AudioError : public MediaError {
 public:
  using MediaError::MediaError;
};

// The file has no audio stream at all: for a video, not a failure but a film without sound.
class NoAudioStreamError : public AudioError {
 public:
  using AudioError::AudioError;
};

}  // namespace palimpsest

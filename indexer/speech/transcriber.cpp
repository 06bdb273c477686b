#include "indexer/speech/transcriber.h"

namespace palimpsest {

std::vector<Utterance> Transcriber::transcribe(std::span<const std::int16_t> samples,
                                               std::int64_t offset_ms) {
  std::vector<Utterance> out;
  begin(offset_ms);
  feed(samples, out);
  finish(out);
  return out;
}

}  // namespace palimpsest

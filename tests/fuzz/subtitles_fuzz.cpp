// SubRip and WebVTT: the cue parser and subtitles as manuscripts. The first byte picks the format.
// Cues come out with end >= start and their text as valid UTF-8 or the file is refused.
#include <cstdint>
#include <sstream>
#include <string>

#include "indexer/text/subtitles.h"
#include "indexer/text/utf8.h"
#include "retrieval/timeline/manuscript.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool vtt = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    std::istringstream in(text);
    const palimpsest::SubtitleParseResult result =
        palimpsest::parse_subtitles(in, vtt ? palimpsest::SubtitleFormat::webvtt : palimpsest::SubtitleFormat::srt);
    for (const auto& cue : result.cues) {
      if (cue.end_ms < cue.start_ms) __builtin_trap();
      if (palimpsest::find_invalid_utf8(cue.text)) __builtin_trap();
    }
  } catch (const std::exception&) {
  }
  try {
    palimpsest::plan_shots(text, vtt ? palimpsest::ManuscriptFormat::webvtt : palimpsest::ManuscriptFormat::srt, {},
                           "fuzz.srt");
  } catch (const palimpsest::Error&) {
  }
  return 0;
}

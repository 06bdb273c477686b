// Fountain screenplays: the element parser, and the whole manuscript pipeline over it (notes,
// directives, prompts, schedules, limits). Any bytes: a ManuscriptError, a LimitError or a
// timeline, never a crash; a timeline's shots are laid back to back within the film's limits.
#include <cstdint>
#include <string_view>

#include "retrieval/timeline/fountain.h"
#include "retrieval/timeline/manuscript.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    palimpsest::parse_fountain(text, "fuzz.fountain");
  } catch (const palimpsest::Error&) {
  }
  try {
    const palimpsest::Timeline t = palimpsest::plan_shots(text, palimpsest::ManuscriptFormat::fountain, {}, "fuzz.fountain");
    std::int64_t cursor = 0;
    for (const palimpsest::Shot& shot : t.shots) {
      if (shot.start_frame != cursor || shot.end_frame <= shot.start_frame) __builtin_trap();
      cursor = shot.end_frame;
    }
    if (cursor != t.frame_count || t.frame_count > palimpsest::FilmLimits::local().max_frames) __builtin_trap();
    t.to_json(/*include_evaluated=*/false);
  } catch (const palimpsest::Error&) {
  }
  return 0;
}

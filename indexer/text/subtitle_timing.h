#pragma once
// Cue timing lines of SubRip and WebVTT ("00:01:02,500 --> 00:01:04,000 [settings]"), with the
// byte offset of whatever is wrong so that problems can name a column.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "indexer/text/subtitles.h"

namespace palimpsest {

struct CueTiming {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string settings;  // WebVTT cue settings, trimmed; always "" for SubRip
};

struct TimingLineParse {
  std::optional<CueTiming> timing;  // set on success
  std::size_t error_offset = 0;     // byte offset into the line of the first problem
  std::string error;
};

// WebVTT follows the W3C parser: [hh:]mm:ss.ttt with hours of any width, '.' and exactly three
// fraction digits, minutes and seconds 00-59. SubRip is read leniently, as players do: ',' or '.'
// before one to three fraction digits (",5" is half a second), hours optional and of any width;
// the optional "X1:.. Y2:.." coordinates after the end time are ignored. In both, the end may
// equal the start but not precede it.
TimingLineParse parse_timing_line(std::string_view line, SubtitleFormat format);

// "HH:MM:SS.mmm" (hours widen past 99), for messages.
std::string format_cue_time(std::int64_t ms);

}  // namespace palimpsest

#pragma once
// Shared by the SubRip and WebVTT block parsers: the lines they are fed, the cue being collected,
// and the result that cues and problems go to. Internal to indexer/text.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/text/subtitles.h"

namespace palimpsest::subtitle_detail {

inline constexpr std::size_t kMaxCueBytes = 1 << 20;

struct SourceLine {
  std::string_view text;
  int number = 0;
  bool valid = true;  // false: bad UTF-8 or too long, and already reported
};

bool contains_arrow(std::string_view line);
bool is_blank(std::string_view line);  // empty or only spaces and tabs
// 1-based code point column of `byte_offset` in a line that is valid UTF-8 up to there.
int column_at(std::string_view line, std::size_t byte_offset);

// Owns the parse result; the block parsers report into it.
class CueSink {
 public:
  explicit CueSink(SubtitleFormat format) { result_.format = format; }
  void problem(int line, int column, std::string message);
  void add(SubtitleCue cue);
  SubtitleFormat format() const { return result_.format; }
  SubtitleParseResult take() { return std::move(result_); }

 private:
  SubtitleParseResult result_;
};

// The cue whose timing line has been read and whose payload lines are arriving.
class CueDraft {
 public:
  bool active() const { return active_; }
  // Starts a cue at its timing line: parses the timing and reports a malformed one (the cue is
  // then dropped silently when it ends: one problem per cue).
  void begin(const SourceLine& timing_line, std::string identifier, CueSink& sink);
  void add_line(const SourceLine& line, CueSink& sink);
  // Leaves the cue out without a further problem (its fault is already reported).
  void drop() { dropped_ = true; }
  // SubRip without a blank line between cues: the last payload line, when it is a bare number, is
  // the next cue's counter. Removes and returns it.
  std::optional<std::string> take_trailing_counter();
  // Emits the cue, or reports it when it has no text, and resets.
  void finish(CueSink& sink);

 private:
  bool active_ = false;
  bool dropped_ = false;  // already reported; leave out without another problem
  SubtitleCue cue_;
  std::vector<std::string> lines_;
  std::size_t bytes_ = 0;
};

bool is_counter(std::string_view line);

}  // namespace palimpsest::subtitle_detail

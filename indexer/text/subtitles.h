#pragma once
// SubRip (.srt) and WebVTT (.vtt) subtitle files: detection and a streaming, forgiving parser.
// A malformed cue costs only itself: it is left out and reported with its line and column, and
// every other cue is kept.

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

enum class SubtitleFormat { srt, webvtt };

struct SubtitleCue {
  int index = 0;           // 0-based position among parsed cues
  std::string identifier;  // SRT counter or VTT cue id ("" when none)
  std::int64_t start_ms = 0, end_ms = 0;
  // Tags (<i>, <b>, <c.x>, <v Name>, {\an8}, timestamps <00:01.000>) stripped, HTML entities
  // (&amp; &lt; &gt; &nbsp; &lrm; &rlm; ...) decoded, lines trimmed and joined with '\n'.
  std::string text;
  std::string raw_text;  // the payload as in the file, lines joined with '\n'
  std::string settings;  // VTT cue settings ("" for SRT)
  int line = 0;          // 1-based line number of the timing line
  std::string voice;     // speaker of the first VTT voice span (<v Name>), "" when none
};

// Lines and columns are 1-based; columns count code points, not bytes.
struct SubtitleProblem {
  int line = 0;
  int column = 0;
  std::string message;  // an encoding problem always contains "invalid UTF-8"
};

struct SubtitleParseResult {
  SubtitleFormat format = SubtitleFormat::srt;
  std::vector<SubtitleCue> cues;
  std::vector<SubtitleProblem> problems;
};

// Detects the format from the first bytes of a file and its extension (".srt", ".vtt", with or
// without the dot, case-insensitive); nullopt when it is neither. Content wins over the
// extension: a "WEBVTT" signature means WebVTT, a counter or timing line that SubRip would accept
// means SubRip, whatever the name. Without such content, a .srt or .vtt name is trusted only when
// the head is text (UTF-8, no NUL bytes) with something in it.
std::optional<SubtitleFormat> detect_subtitle_format(std::string_view head, std::string_view extension);

// Streams the input line by line; memory is bounded by the longest cue. Lines longer than 64 KiB
// and cues longer than 1 MiB are problems, not crashes. Invalid UTF-8 is a problem naming line and
// column. Handles a BOM, CRLF and CR line endings, SRT with ',' or '.' before the milliseconds,
// missing counters and missing blank lines between cues, hours > 99, the WebVTT header ("WEBVTT"
// + optional text, then header lines), NOTE/STYLE/REGION blocks, timestamps without hours
// (mm:ss.ttt), cues whose end precedes their start (a problem), and overlapping cues (kept).
SubtitleParseResult parse_subtitles(std::istream& in, SubtitleFormat format);

// Detects the format and parses. Throws std::runtime_error naming the file when it cannot be read
// or is not a subtitle file (including UTF-16 files, which are named as such).
SubtitleParseResult parse_subtitles_file(const std::filesystem::path& path);

}  // namespace palimpsest

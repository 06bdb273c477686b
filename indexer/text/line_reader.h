#pragma once
// Reads a byte stream line by line without holding more than one line in memory, so that parsers
// of text formats (subtitles, manuscripts) stay bounded on huge or hostile input.

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

inline constexpr std::size_t kDefaultMaxLineBytes = 64 * 1024;

// Splits on LF, CRLF and lone CR (old Mac files), strips a UTF-8 byte order mark from the first
// line, and yields the final line even without a terminator. A line longer than the cap is
// truncated to the cap and flagged, and the rest of it is skipped, rather than grown without
// bound. The reader pulls bytes straight from the stream's buffer in chunks.
class LineReader {
 public:
  explicit LineReader(std::istream& in, std::size_t max_line_bytes = kDefaultMaxLineBytes);

  // Advances to the next line; false at the end of the input.
  bool next();

  // The current line without its terminator; valid until the next call to next().
  std::string_view text() const { return line_; }
  // 1-based number of the current line.
  int number() const { return number_; }
  // The line was longer than the cap; text() holds only its first max_line_bytes bytes.
  bool too_long() const { return too_long_; }
  std::size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  bool fill();
  void append(const char* data, std::size_t size);

  std::streambuf* source_;
  std::size_t max_line_bytes_;
  std::vector<char> chunk_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::string line_;
  int number_ = 0;
  bool too_long_ = false;
  bool skip_lf_ = false;  // the previous line ended in CR; a following LF belongs to it
};

}  // namespace palimpsest

#include "indexer/text/paragraphs.h"

#include <vector>

#include "indexer/text/utf8.h"

namespace palimpsest {
namespace {

bool is_blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// A Markdown ATX heading: 1-6 '#' then a space.
std::string heading_text(std::string_view line) {
  std::size_t hashes = 0;
  while (hashes < line.size() && line[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6 || hashes >= line.size() || line[hashes] != ' ') return {};
  return std::string(trim_right(line.substr(hashes + 1)));
}

// Largest prefix length <= limit that ends on a code point boundary, preferring whitespace.
std::size_t cut_point(std::string_view text, std::size_t limit) {
  std::size_t cut = limit;
  for (std::size_t i = limit; i > limit / 2; --i) {
    if (text[i - 1] == ' ' || text[i - 1] == '\n') return i;
  }
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

class Splitter {
 public:
  Splitter(const std::function<void(Paragraph&&)>& emit, const ParagraphOptions& options)
      : emit_(emit), options_(options) {}

  // One physical line without its '\n' (or a piece of a very long one: `continued` says the
  // previous call ended mid-line); `offset` is its byte offset in the file.
  void line(std::string_view text, std::int64_t offset, std::int64_t chars_before, int number,
            bool continued) {
    if (continued && !current_.text.empty()) {
      current_.text.append(text);
      current_.byte_length = offset + static_cast<std::int64_t>(text.size()) - current_.byte_offset;
      while (current_.text.size() > options_.max_paragraph_bytes) split_oversized();
      return;
    }
    if (is_blank(text)) {
      flush();
      return;
    }
    if (std::string h = heading_text(text); !h.empty()) {
      flush();
      heading_ = h;
    }
    if (current_.text.empty()) {
      current_.byte_offset = offset;
      current_.char_offset = chars_before;
      current_.line = number;
      current_.heading = heading_;
    } else {
      current_.text += '\n';
    }
    current_.text.append(trim_right(text));
    current_.byte_length = offset + static_cast<std::int64_t>(trim_right(text).size()) -
                           current_.byte_offset;
    while (current_.text.size() > options_.max_paragraph_bytes) split_oversized();
  }

  void flush() {
    // Pieces of a long line arrive untrimmed; trim once the paragraph is whole.
    const std::size_t trimmed = trim_right(current_.text).size();
    current_.byte_length -= static_cast<std::int64_t>(current_.text.size() - trimmed);
    current_.text.resize(trimmed);
    if (current_.text.empty()) return;
    ++count_;
    emit_(std::move(current_));
    current_ = Paragraph{};
  }

  std::int64_t count() const { return count_; }

 private:
  void split_oversized() {
    const std::size_t cut = cut_point(current_.text, options_.max_paragraph_bytes);
    Paragraph head = current_;
    head.text = std::string(trim_right(std::string_view(current_.text).substr(0, cut)));
    head.byte_length = static_cast<std::int64_t>(cut);
    const std::int64_t head_chars = static_cast<std::int64_t>(utf8_length(current_.text.substr(0, cut)));
    current_.text.erase(0, cut);
    current_.byte_offset += static_cast<std::int64_t>(cut);
    current_.byte_length -= static_cast<std::int64_t>(cut);
    current_.char_offset += head_chars;
    ++count_;
    emit_(std::move(head));
  }

  const std::function<void(Paragraph&&)>& emit_;
  const ParagraphOptions& options_;
  Paragraph current_;
  std::string heading_;
  std::int64_t count_ = 0;
};

}  // namespace

TextFormatError::TextFormatError(int line, int column, const std::string& message)
    : Error("line " + std::to_string(line) + ", column " + std::to_string(column) +
                         ": " + message, error_class::bad_input),
      line_(line),
      column_(column) {}

std::int64_t split_paragraphs(std::istream& in, const std::function<void(Paragraph&&)>& emit,
                              const ParagraphOptions& options) {
  Splitter splitter(emit, options);
  std::vector<char> chunk(1 << 16);
  std::string line;               // the current physical line (bounded: long lines are split)
  std::int64_t line_offset = 0;   // byte offset of `line` in the file
  std::int64_t line_chars = 0;    // code points before `line`
  std::int64_t offset = 0;
  int line_number = 1;
  int line_column = 0;            // code points of the current line already handed over
  bool line_continued = false;    // part of the current line was handed over already
  bool first_chunk = true;
  // Long lines are handed to the splitter in pieces so a file without newlines stays bounded.
  auto hand_over = [&](bool end_of_line) {
    if (auto bad = find_invalid_utf8(line, /*allow_truncated_tail=*/!end_of_line)) {
      throw TextFormatError(line_number,
                            line_column + static_cast<int>(utf8_length(line.substr(0, *bad))) + 1,
                            "invalid UTF-8");
    }
    if (!end_of_line) {
      // Keep an incomplete trailing code point for the next piece.
      std::size_t keep = line.size();
      while (keep > 0 && (static_cast<unsigned char>(line[keep - 1]) & 0xC0) == 0x80) --keep;
      if (keep > 0 && static_cast<unsigned char>(line[keep - 1]) >= 0xC0) --keep;
      else keep = line.size();
      std::string tail = line.substr(keep);
      line.resize(keep);
      splitter.line(line, line_offset, line_chars, line_number, line_continued);
      line_continued = true;
      line_column += static_cast<int>(utf8_length(line));
      line_chars += static_cast<std::int64_t>(utf8_length(line));
      line_offset += static_cast<std::int64_t>(line.size());
      line = std::move(tail);
      return;
    }
    splitter.line(line, line_offset, line_chars, line_number, line_continued);
    line_chars += static_cast<std::int64_t>(utf8_length(line)) + 1;
    line.clear();
    line_continued = false;
    line_column = 0;
  };
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::size_t n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    std::size_t start = 0;
    if (first_chunk && n >= 3 && chunk[0] == '\xEF' && chunk[1] == '\xBB' && chunk[2] == '\xBF') {
      start = 3;  // byte order mark
      line_offset = 3;
    }
    first_chunk = false;
    for (std::size_t i = start; i < n; ++i) {
      const char c = chunk[i];
      if (c == '\0') {
        throw TextFormatError(line_number, line_column + static_cast<int>(utf8_length(line)) + 1,
                              "NUL byte (binary data)");
      }
      if (c == '\n') {
        hand_over(true);
        ++line_number;
        line_offset = offset + static_cast<std::int64_t>(i) + 1;
        continue;
      }
      line.push_back(c);
      if (line.size() >= options.max_paragraph_bytes) hand_over(false);
    }
    offset += static_cast<std::int64_t>(n);
  }
  if (!line.empty()) hand_over(true);
  splitter.flush();
  return splitter.count();
}

}  // namespace palimpsest

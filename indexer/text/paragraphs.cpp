#include "indexer/text/paragraphs.h"

#include <algorithm>
#include <vector>

#include "indexer/text/control_characters.h"
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

// A separator line: only '%', or three or more of one of * - _ = ~ with optional spaces between.
bool is_separator(std::string_view line) {
  char mark = 0;
  int count = 0;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\v') continue;
    if (mark == 0 && (c == '%' || c == '*' || c == '-' || c == '_' || c == '=' || c == '~')) mark = c;
    if (c != mark) return false;
    ++count;
  }
  return mark == '%' ? count > 0 : count >= 3;
}

class Splitter {
 public:
  Splitter(const std::function<void(Paragraph&&)>& emit, const ParagraphOptions& options)
      : emit_(emit), options_(options) {}

  // One physical line without its '\n' (or a piece of a very long one: `continued` says the
  // previous call ended mid-line); `offset` is its byte offset in the file. A form feed cuts it.
  void line(std::string_view text, std::int64_t offset, std::int64_t chars_before, int number,
            bool continued) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t feed = text.find('\f', start);
      const std::string_view piece = text.substr(start, feed == std::string_view::npos ? text.size() - start : feed - start);
      const std::int64_t piece_chars = chars_before + static_cast<std::int64_t>(utf8_length(text.substr(0, start)));
      segment(piece, offset + static_cast<std::int64_t>(start), piece_chars, number, continued && start == 0);
      if (feed == std::string_view::npos) break;
      flush();  // a page break ends the paragraph
      start = feed + 1;
    }
  }

  void flush() {
    // Pieces of a long line arrive untrimmed; trim once the paragraph is whole.
    current_.text.resize(trim_right(current_.text).size());
    if (current_.text.empty()) {
      current_ = Paragraph{};
      return;
    }
    current_.byte_length = paragraph_position(current_, current_.text.size()).byte - current_.byte_offset;
    ++count_;
    emit_(std::move(current_));
    current_ = Paragraph{};
  }

  std::int64_t count() const { return count_; }

 private:
  void segment(std::string_view raw, std::int64_t offset, std::int64_t chars_before, int number, bool continued) {
    std::vector<KeptSpan> spans;
    const std::string clean = strip_control_characters(raw, &spans);
    if (continued && !current_.text.empty()) {
      append(raw, clean, spans, clean.size(), offset, chars_before);
    } else {
      if (is_blank(clean) || is_separator(clean)) {
        flush();
        return;
      }
      if (std::string h = heading_text(clean); !h.empty()) {
        flush();
        heading_ = h;
      }
      if (current_.text.empty()) {
        current_ = Paragraph{};
        current_.line = number;
        current_.heading = heading_;
      } else {
        current_.text += '\n';
      }
      append(raw, clean, spans, trim_right(clean).size(), offset, chars_before);
    }
    while (current_.text.size() > options_.max_paragraph_bytes) split_oversized();
  }

  // Appends the first `length` bytes of `clean` (the control-free `raw`, made of `spans` of it),
  // with an anchor per span.
  void append(std::string_view raw, const std::string& clean, const std::vector<KeptSpan>& spans, std::size_t length,
              std::int64_t offset, std::int64_t chars_before) {
    std::size_t done = 0;
    for (const KeptSpan& span : spans) {
      if (done >= length) break;
      const std::size_t n = std::min(span.length, length - done);
      const TextAnchor anchor{current_.text.size(), offset + static_cast<std::int64_t>(span.source),
                              chars_before + static_cast<std::int64_t>(utf8_length(raw.substr(0, span.source)))};
      if (current_.anchors.empty()) {
        current_.byte_offset = anchor.byte;
        current_.char_offset = anchor.chars;
      }
      current_.anchors.push_back(anchor);
      current_.text.append(clean, done, n);
      done += n;
    }
  }

  void split_oversized() {
    const std::size_t cut = cut_point(current_.text, options_.max_paragraph_bytes);
    Paragraph head = current_;
    head.text = std::string(trim_right(std::string_view(current_.text).substr(0, cut)));
    std::erase_if(head.anchors, [&](const TextAnchor& a) { return a.text >= head.text.size() && a.text != 0; });
    const TextAnchor at_cut = paragraph_position(current_, cut);
    head.byte_length = at_cut.byte - head.byte_offset;  // pieces of a cut paragraph tile the file
    current_.text.erase(0, cut);
    std::vector<TextAnchor> rest = {{0, at_cut.byte, at_cut.chars}};
    for (const TextAnchor& a : current_.anchors)
      if (a.text > cut) rest.push_back({a.text - cut, a.byte, a.chars});
    current_.anchors = std::move(rest);
    current_.byte_offset = at_cut.byte;
    current_.char_offset = at_cut.chars;
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

TextAnchor paragraph_position(const Paragraph& paragraph, std::size_t text_position) {
  if (paragraph.anchors.empty()) return {text_position, paragraph.byte_offset, paragraph.char_offset};
  auto it = std::upper_bound(paragraph.anchors.begin(), paragraph.anchors.end(), text_position,
                             [](std::size_t pos, const TextAnchor& a) { return pos < a.text; });
  if (it != paragraph.anchors.begin()) --it;
  const std::size_t from = std::min(it->text, paragraph.text.size());
  const std::size_t to = std::clamp(text_position, from, paragraph.text.size());
  return {text_position, it->byte + static_cast<std::int64_t>(to - from),
          it->chars + static_cast<std::int64_t>(utf8_length(std::string_view(paragraph.text).substr(from, to - from)))};
}

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

#pragma once
// Splits a UTF-8 text stream into paragraphs (runs of non-blank lines), streaming: memory is
// bounded by the longest paragraph, and a paragraph longer than the cap is cut at a whitespace
// (or code point) boundary into several. Invalid UTF-8 stops the read with its line and column.
//
// Texts as people have them:
// - separator lines end a paragraph and belong to none: a line of only '%' (fortune files), a
//   line of three or more of one of * - _ = ~ with optional spaces between ("* * *", "---"),
//   and a form feed (page break) anywhere in a line, which cuts the line there;
// - terminal escape sequences and other control characters are removed from the text
//   (control_characters.h); a line left blank by that is a blank line;
// - the text is not the file's bytes (lines joined with '\n', CRs, trailing spaces and control
//   sequences gone), so each paragraph keeps anchors from its text back to the file, and
//   paragraph_position() maps any text position to its byte and code point in the file.

#include <cstdint>
#include <functional>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

#include "schema/error.h"

namespace palimpsest {

// From `text` (a position in Paragraph::text) on, up to the next anchor, the paragraph's text is
// the file's bytes from `byte` (`chars` code points into the file).
struct TextAnchor {
  std::size_t text = 0;
  std::int64_t byte = 0;
  std::int64_t chars = 0;
};

struct Paragraph {
  std::string text;              // lines joined with '\n', trailing whitespace trimmed
  std::int64_t byte_offset = 0;  // of the first byte of the paragraph in the file
  std::int64_t byte_length = 0;  // up to the end of its last line (before the newline)
  std::int64_t char_offset = 0;  // in code points
  int line = 0;                  // 1-based line where it starts
  std::string heading;           // nearest Markdown heading above it ("" when none)
  std::vector<TextAnchor> anchors;  // by text position, the first at 0
};

// Where position `text_position` (0 .. text.size()) of the paragraph's text lies in the file.
TextAnchor paragraph_position(const Paragraph& paragraph, std::size_t text_position);

class TextFormatError : public Error {
 public:
  TextFormatError(int line, int column, const std::string& message);
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_;
  int column_;
};

struct ParagraphOptions {
  std::size_t max_paragraph_bytes = 16 * 1024;
};

// Calls `emit` for every paragraph in order. Returns the number of paragraphs.
// Throws TextFormatError on invalid UTF-8 or NUL bytes.
std::int64_t split_paragraphs(std::istream& in, const std::function<void(Paragraph&&)>& emit,
                              const ParagraphOptions& options = {});

}  // namespace palimpsest

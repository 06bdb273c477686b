#pragma once
// Splits a UTF-8 text stream into paragraphs (runs of non-blank lines), streaming: memory is
// bounded by the longest paragraph, and a paragraph longer than the cap is cut at a whitespace
// (or code point) boundary into several. Invalid UTF-8 stops the read with its line and column.

#include <cstdint>
#include <functional>
#include <istream>
#include <stdexcept>
#include <string>
#include "schema/error.h"

namespace palimpsest {

struct Paragraph {
  std::string text;              // lines joined with '\n', trailing whitespace trimmed
  std::int64_t byte_offset = 0;  // of the first byte of the paragraph in the file
  std::int64_t byte_length = 0;  // up to the end of its last line (before the newline)
  std::int64_t char_offset = 0;  // in code points
  int line = 0;                  // 1-based line where it starts
  std::string heading;           // nearest Markdown heading above it ("" when none)
};

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

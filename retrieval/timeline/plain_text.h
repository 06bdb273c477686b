#pragma once
// Plain-text manuscripts: one shot per paragraph, paragraphs separated by blank lines.

#include <filesystem>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

struct PlainTextParagraph {
  std::string text;  // the paragraph's lines, each trimmed of spaces and tabs, joined with '\n'
  int line = 0;      // 1-based first line
  int end_line = 0;  // 1-based last line
  int column = 0;    // 1-based code point column of the first non-blank character
};

// Lines holding only spaces and tabs count as blank. Throws ManuscriptError (file, line, column)
// on invalid UTF-8, NUL bytes and lines over 64 KiB.
std::vector<PlainTextParagraph> parse_plain_text(std::istream& in, const std::string& file_name);
std::vector<PlainTextParagraph> parse_plain_text(std::string_view text, const std::string& file_name = "<text>");
std::vector<PlainTextParagraph> parse_plain_text_file(const std::filesystem::path& path);

}  // namespace palimpsest

#include "retrieval/timeline/plain_text.h"

#include <fstream>
#include <sstream>

#include "retrieval/timeline/manuscript_lines.h"

namespace palimpsest {

std::vector<PlainTextParagraph> parse_plain_text(std::istream& in, const std::string& file_name) {
  std::vector<PlainTextParagraph> paragraphs;
  bool open = false;
  for_each_manuscript_line(in, file_name, [&](std::string_view line, int number) {
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
      open = false;
      return;
    }
    const std::string_view trimmed = line.substr(first, line.find_last_not_of(" \t") + 1 - first);
    if (!open) {
      paragraphs.push_back({std::string(trimmed), number, number, manuscript_column(line, first)});
      open = true;
      return;
    }
    PlainTextParagraph& paragraph = paragraphs.back();
    paragraph.text += '\n';
    paragraph.text += trimmed;
    paragraph.end_line = number;
  });
  return paragraphs;
}

std::vector<PlainTextParagraph> parse_plain_text(std::string_view text, const std::string& file_name) {
  std::istringstream in{std::string(text)};
  return parse_plain_text(in, file_name);
}

std::vector<PlainTextParagraph> parse_plain_text_file(const std::filesystem::path& path) {
  std::ifstream file;
  open_manuscript(path, file);
  return parse_plain_text(file, path.string());
}

}  // namespace palimpsest

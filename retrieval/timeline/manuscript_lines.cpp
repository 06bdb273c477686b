#include "retrieval/timeline/manuscript_lines.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "indexer/text/line_reader.h"
#include "indexer/text/utf8.h"
#include "retrieval/timeline/manuscript_error.h"

namespace palimpsest {

int manuscript_column(std::string_view line, std::size_t byte_offset) {
  return static_cast<int>(utf8_length(line.substr(0, byte_offset))) + 1;
}

void for_each_manuscript_line(std::istream& in, const std::string& file_name,
                              const std::function<void(std::string_view, int)>& on_line) {
  LineReader reader(in, kMaxManuscriptLineBytes);
  while (reader.next()) {
    const std::string_view text = reader.text();
    if (auto bad = find_invalid_utf8(text))
      throw ManuscriptError(file_name, reader.number(), manuscript_column(text, *bad), "invalid UTF-8");
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos)
      throw ManuscriptError(file_name, reader.number(), manuscript_column(text, nul),
                            "NUL byte (is this a binary file?)");
    if (reader.too_long())
      throw ManuscriptError(file_name, reader.number(), 1,
                            "line longer than " + std::to_string(reader.max_line_bytes()) + " bytes");
    on_line(text, reader.number());
  }
  if (in.bad()) throw ManuscriptError(file_name, 0, 0, "read error");
}

std::vector<std::string> read_manuscript_lines(std::istream& in, const std::string& file_name) {
  std::vector<std::string> lines;
  for_each_manuscript_line(in, file_name, [&](std::string_view text, int) { lines.emplace_back(text); });
  return lines;
}

void open_manuscript(const std::filesystem::path& path, std::ifstream& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ManuscriptError(path.string(), 0, 0, "is a directory");
  file.open(path, std::ios::binary);
  if (!file) throw ManuscriptError(path.string(), 0, 0, std::string("cannot open: ") + std::strerror(errno));
}

}  // namespace palimpsest

#pragma once
// Reading a manuscript's lines with the checks every manuscript format needs: valid UTF-8, no NUL
// bytes (a binary file under a text name), no enormous lines. Line endings (LF, CRLF, CR) and a
// byte order mark are handled; the lines come back without terminators.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

inline constexpr std::size_t kMaxManuscriptLineBytes = 64 * 1024;

// Calls `on_line(text, line_number)` for every line, in order, streaming. Throws ManuscriptError
// naming `file_name`, the line and the (code point) column of the first bad byte.
void for_each_manuscript_line(std::istream& in, const std::string& file_name,
                              const std::function<void(std::string_view, int)>& on_line);

// All lines; element i is line i + 1.
std::vector<std::string> read_manuscript_lines(std::istream& in, const std::string& file_name);

// Opens `path` for reading, or throws ManuscriptError naming it (missing, a directory, unreadable).
void open_manuscript(const std::filesystem::path& path, std::ifstream& file);

// 1-based code point column of `byte_offset` in a line that is valid UTF-8 up to there.
int manuscript_column(std::string_view line, std::size_t byte_offset);

}  // namespace palimpsest

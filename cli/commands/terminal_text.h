#pragma once
// Text from files, the catalog or the user as the commands print it on a terminal: escaped by
// indexer/text/printable.h's rules, so that a file name with a newline or an ANSI escape sequence
// can neither break a line of output nor drive the terminal. JSON output needs none of this (its
// strings are escaped by JSON itself).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace palimpsest::cli {

// The whole text (a path, a title, a message), escaped.
std::string shown(std::string_view text);

// One line of at most `max_chars` characters: runs of spaces, tabs and line breaks become one
// space, the rest is escaped, and "…" marks what was cut.
std::string one_line(std::string_view text, std::size_t max_chars);

// An error message as the commands print it: escaped, and at most `max_chars` characters (the
// start of it, "…" marking the cut), so that one quoting a huge manuscript stays readable.
std::string error_line(std::string_view message, std::size_t max_chars = 1000);

}  // namespace palimpsest::cli

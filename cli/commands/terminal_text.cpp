#include "cli/commands/terminal_text.h"

#include "indexer/text/printable.h"

namespace palimpsest::cli {

std::string shown(std::string_view text) { return printable(text); }

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string collapsed;
  collapsed.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !collapsed.empty();
      continue;
    }
    if (space) collapsed.push_back(' ');
    space = false;
    collapsed.push_back(c);
  }
  return printable_excerpt(collapsed, max_chars);
}

std::string error_line(std::string_view message, std::size_t max_chars) {
  return printable_excerpt(message, max_chars);
}

}  // namespace palimpsest::cli

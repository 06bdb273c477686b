#include <cctype>

#include "retrieval/timeline/fountain.h"

namespace palimpsest {

std::optional<NoteDirective> parse_note_directive(std::string_view note_text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  while (!note_text.empty() && is_space(note_text.front())) note_text.remove_prefix(1);
  const std::size_t colon = note_text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view key = note_text.substr(0, colon);
  while (!key.empty() && is_space(key.back())) key.remove_suffix(1);
  if (key.empty() || !std::isalpha(static_cast<unsigned char>(key.front()))) return std::nullopt;
  for (char c : key) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ' ';
    if (!allowed) return std::nullopt;
  }
  std::string_view value = note_text.substr(colon + 1);
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  NoteDirective directive{std::string(key), std::string(value)};
  for (char& c : directive.key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return directive;
}

}  // namespace palimpsest

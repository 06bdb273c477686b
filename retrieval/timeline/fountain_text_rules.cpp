#include "retrieval/timeline/fountain_text_rules.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace palimpsest::fountain_detail {
namespace {

// Decodes the code point at s[i] (valid UTF-8 assumed) and advances i.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  std::uint32_t cp = length == 1 ? c : length == 2 ? (c & 0x1F) : length == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < length && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += length;
  return cp;
}

bool is_lower(std::uint32_t cp) {
  if (cp >= 'a' && cp <= 'z') return true;
  if (cp >= 0xDF && cp <= 0xFF) return cp != 0xF7;
  if (cp >= 0x100 && cp <= 0x17F) return cp % 2 == 1;  // Latin Extended-A pairs upper, lower
  if (cp >= 0x3AC && cp <= 0x3CE) return true;         // Greek
  if (cp >= 0x430 && cp <= 0x45F) return true;         // Cyrillic
  return false;
}

bool is_letter(std::uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

bool is_alnum_or_non_ascii(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string_view trim_right(std::string_view s) {
  const std::size_t last = s.find_last_not_of(" \t");
  return last == std::string_view::npos ? std::string_view() : s.substr(0, last + 1);
}

bool is_upper_case_text(std::string_view s) {
  bool letter = false;
  for (std::size_t i = 0; i < s.size();) {
    const std::uint32_t cp = next_code_point(s, i);
    if (is_lower(cp)) return false;
    letter = letter || is_letter(cp);
  }
  return letter;
}

bool looks_like_scene_heading(std::string_view line) {
  // Longest first, so that "INT./EXT" is not read as "INT" + "./EXT".
  static constexpr std::array<std::string_view, 6> kPrefixes = {"INT./EXT", "INT/EXT", "I/E", "INT", "EXT", "EST"};
  for (std::string_view prefix : kPrefixes) {
    if (!starts_with_ignoring_case(line, prefix)) continue;
    if (line.size() == prefix.size()) return false;
    const char next = line[prefix.size()];
    // Something must follow: "INT." alone is not a heading.
    return (next == '.' || next == ' ') && !trim(line.substr(prefix.size() + 1)).empty();
  }
  return false;
}

bool is_forced_scene_heading(std::string_view line) {
  return line.size() >= 2 && line[0] == '.' && is_alnum_or_non_ascii(line[1]);
}

std::pair<std::string_view, std::string_view> split_scene_number(std::string_view heading) {
  heading = trim(heading);
  if (heading.size() < 3 || heading.back() != '#') return {heading, {}};
  const std::size_t open = heading.rfind('#', heading.size() - 2);
  if (open == std::string_view::npos || open + 2 > heading.size() - 1) return {heading, {}};
  const std::string_view number = heading.substr(open + 1, heading.size() - open - 2);
  for (char c : number)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return {heading, {}};
  if (open > 0 && heading[open - 1] != ' ' && heading[open - 1] != '\t') return {heading, {}};
  return {trim(heading.substr(0, open)), number};
}

bool looks_like_transition(std::string_view line) { return line.ends_with("TO:") && is_upper_case_text(line); }

bool is_page_break(std::string_view line) {
  return line.size() >= 3 && line.find_first_not_of('=') == std::string_view::npos;
}

bool is_centered(std::string_view line) { return line.size() >= 2 && line.front() == '>' && line.back() == '<'; }

std::optional<CharacterCue> parse_character_cue(std::string_view line) {
  CharacterCue cue;
  const bool forced = line.starts_with('@');
  if (forced) line.remove_prefix(1);
  line = trim(line);
  if (line.ends_with('^')) {
    cue.dual = true;
    line = trim(line.substr(0, line.size() - 1));
  }
  const std::size_t paren = line.find('(');
  const std::string_view name = trim(line.substr(0, paren));
  if (name.empty()) return std::nullopt;
  if (!forced && !is_upper_case_text(name)) return std::nullopt;
  cue.name = std::string(name);
  for (std::size_t at = paren; at != std::string_view::npos && at < line.size();) {
    if (line[at] == ' ' || line[at] == '\t') {
      ++at;
      continue;
    }
    const std::size_t close = line[at] == '(' ? line.find(')', at) : std::string_view::npos;
    if (close == std::string_view::npos) {
      if (!forced) return std::nullopt;  // "BOB (V.O.) SAYS" is not a cue
      cue.name = std::string(line);       // a forced cue keeps whatever was written
      cue.extensions.clear();
      return cue;
    }
    cue.extensions.emplace_back(trim(line.substr(at + 1, close - at - 1)));
    at = close + 1;
  }
  return cue;
}

bool is_parenthetical(std::string_view line) {
  return line.size() >= 2 && line.front() == '(' && line.back() == ')';
}

}  // namespace palimpsest::fountain_detail

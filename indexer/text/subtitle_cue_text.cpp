#include "indexer/text/subtitle_cue_text.h"

#include <array>
#include <cstdint>
#include <utility>

namespace palimpsest {
namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

constexpr std::array<std::pair<std::string_view, std::uint32_t>, 8> kNamedEntities = {{
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    {"nbsp", 0xA0}, {"lrm", 0x200E}, {"rlm", 0x200F},
}};

// The code point of an entity body (the text between '&' and ';'), or nullopt-like 0 when unknown.
std::uint32_t entity_code_point(std::string_view body) {
  for (const auto& [name, cp] : kNamedEntities)
    if (body == name) return cp;
  if (body.size() < 2 || body[0] != '#') return 0;
  const bool hex = body[1] == 'x' || body[1] == 'X';
  std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return 0;
  std::uint32_t cp = 0;
  for (char c : digits) {
    if (hex ? !is_hex_digit(c) : !is_digit(c)) return 0;
    const std::uint32_t d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    cp = cp * (hex ? 16 : 10) + d;
  }
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  return cp == 0 || surrogate || cp > 0x10FFFF ? 0 : cp;
}

// Where the markup starting at `i` ends (one past its closing character), or npos when the text
// at `i` is not markup. `line` holds no newline.
std::size_t markup_end(std::string_view line, std::size_t i) {
  const char open = line[i];
  if (open == '{') {
    if (i + 1 >= line.size() || line[i + 1] != '\\') return std::string_view::npos;
    const std::size_t close = line.find('}', i + 2);
    return close == std::string_view::npos ? close : close + 1;
  }
  // open == '<'
  const std::size_t close = line.find('>', i + 1);
  if (close == std::string_view::npos) return close;
  std::size_t k = i + 1;
  if (k < line.size() && line[k] == '/') ++k;
  if (k < line.size() && is_ascii_letter(line[k])) {
    if (line.substr(i + 1, close - i - 1).find('<') != std::string_view::npos) return std::string_view::npos;
    return close + 1;
  }
  if (k == i + 1 && k < line.size() && is_digit(line[k])) {  // inline timestamp <00:01.000>
    for (std::size_t j = k; j < close; ++j)
      if (!is_digit(line[j]) && line[j] != ':' && line[j] != '.') return std::string_view::npos;
    return close + 1;
  }
  return std::string_view::npos;
}

// The annotation of a voice tag such as "<v.loud Roger Bingham>", or "" for other tags.
std::string_view voice_of(std::string_view tag) {
  if (tag.size() < 3 || tag[1] != 'v' || (tag[2] != ' ' && tag[2] != '\t' && tag[2] != '.'))
    return {};
  tag.remove_suffix(1);  // '>'
  const std::size_t space = tag.find_first_of(" \t");
  if (space == std::string_view::npos) return {};
  std::string_view name = tag.substr(space);
  while (!name.empty() && is_space(name.front())) name.remove_prefix(1);
  while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
  return name;
}

std::string clean_line(std::string_view line, std::string& voice) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (c == '<' || c == '{') {
      const std::size_t end = markup_end(line, i);
      if (end != std::string_view::npos) {
        if (voice.empty() && c == '<') voice = std::string(voice_of(line.substr(i, end - i)));
        i = end;
        continue;
      }
    } else if (c == '&') {
      const std::size_t semicolon = line.find(';', i + 1);
      if (semicolon != std::string_view::npos && semicolon - i <= 12) {
        if (const std::uint32_t cp = entity_code_point(line.substr(i + 1, semicolon - i - 1))) {
          append_utf8(out, cp);
          i = semicolon + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

CleanedCueText clean_cue_text(std::string_view raw) {
  CleanedCueText result;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string cleaned = clean_line(raw.substr(start, end - start), result.voice);
    const std::string_view kept = trim(cleaned);
    if (!kept.empty()) {
      if (!result.text.empty()) result.text += '\n';
      result.text += kept;
    }
    start = end + 1;
  }
  return result;
}

}  // namespace palimpsest

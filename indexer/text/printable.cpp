#include "indexer/text/printable.h"

#include <algorithm>

#include "indexer/text/utf8.h"

namespace palimpsest {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_byte_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 15]);
}

char32_t decode(std::string_view sequence) {
  const auto* s = reinterpret_cast<const unsigned char*>(sequence.data());
  switch (sequence.size()) {
    case 1: return s[0];
    case 2: return (char32_t(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return (char32_t(s[0] & 0x0F) << 12) | (char32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default: return (char32_t(s[0] & 0x07) << 18) | (char32_t(s[1] & 0x3F) << 12) | (char32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
  }
}

// Characters that split a line or reorder the text around them when displayed.
bool reorders_or_splits(char32_t c) {
  return c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Appends the printable form of the character (or invalid byte) at text[i]; returns the offset
// after it.
std::size_t append_unit(std::string& out, std::string_view text, std::size_t i) {
  const std::size_t len = utf8_sequence_length(text.substr(i));
  if (len == 0) {
    append_byte_escape(out, static_cast<unsigned char>(text[i]));
    return i + 1;
  }
  const std::string_view sequence = text.substr(i, len);
  const char32_t c = decode(sequence);
  if (c == '\n') out += "\\n";
  else if (c == '\r') out += "\\r";
  else if (c == '\t') out += "\\t";
  else if (c < 0x20 || c == 0x7F) append_byte_escape(out, static_cast<unsigned char>(c));
  else if (c >= 0x80 && c <= 0x9F) append_byte_escape(out, static_cast<unsigned char>(c));
  else if (reorders_or_splits(c)) {
    out += "\\u{";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(c >> shift) & 15]);
    out += "}";
  } else {
    out.append(sequence);
  }
  return i + len;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) i = append_unit(out, text, i);
  return out;
}

std::string printable_excerpt(std::string_view text, std::size_t max_chars, std::size_t focus) {
  std::size_t start = 0;
  if (focus != std::string_view::npos && focus < text.size()) {
    // About half the window before the focus (counted in bytes: never more characters than that),
    // starting on a character rather than inside one.
    start = focus - std::min(focus, max_chars / 2);
    for (int k = 0; k < 3 && start < focus && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80; ++k) ++start;
  }
  std::string out = start > 0 ? "…" : "";
  std::size_t i = start, chars = 0;
  while (i < text.size() && chars < max_chars) {
    i = append_unit(out, text, i);
    ++chars;
  }
  if (i < text.size()) out += "…";
  return out;
}

std::string quoted_excerpt(std::string_view text, std::size_t max_chars, std::size_t focus) {
  return "\"" + printable_excerpt(text, max_chars, focus) + "\"";
}

}  // namespace palimpsest

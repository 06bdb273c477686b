#include "indexer/text/utf8.h"

namespace palimpsest {

std::size_t utf8_sequence_length(std::string_view text, bool* cut_off) {
  if (cut_off) *cut_off = false;
  if (text.empty()) return 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (k >= text.size()) {
      if (cut_off) *cut_off = true;
      return 0;
    }
    const unsigned char b = s[k];
    const unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return len;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text, bool allow_truncated_tail) {
  std::size_t i = 0;
  while (i < text.size()) {
    bool cut_off = false;
    const std::size_t len = utf8_sequence_length(text.substr(i), &cut_off);
    if (len == 0) {
      if (cut_off && allow_truncated_tail) return std::nullopt;
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++count;
  return count;
}

}  // namespace palimpsest

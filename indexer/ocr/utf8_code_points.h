#pragma once
// Decoding UTF-8 one code point at a time, for indexer/ocr and indexer/pdf (error rates, text-layer
// statistics, the PDF writer's encodings). Invalid or truncated sequences decode as U+FFFD, one
// byte each.

#include <cstddef>
#include <string_view>

namespace palimpsest::text_detail {

inline char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const int extra = lead < 0x80            ? 0
                    : (lead >> 5) == 0x6   ? 1
                    : (lead >> 4) == 0xE   ? 2
                    : (lead >> 3) == 0x1E  ? 3
                                           : -1;
  if (extra < 0 || (extra > 0 && i + static_cast<std::size_t>(extra) >= text.size())) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = extra == 0 ? lead : static_cast<char32_t>(lead & (0x3F >> extra));
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

}  // namespace palimpsest::text_detail

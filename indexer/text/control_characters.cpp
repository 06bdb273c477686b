#include "indexer/text/control_characters.h"

namespace palimpsest {
namespace {

constexpr unsigned char kEsc = 0x1B, kBel = 0x07;

// The end of a CSI sequence whose parameters start at `j`: parameters and intermediates
// (0x20-0x3F) up to and including a final byte (0x40-0x7E) when there is one.
std::size_t csi_end(std::string_view t, std::size_t j) {
  while (j < t.size() && static_cast<unsigned char>(t[j]) >= 0x20 && static_cast<unsigned char>(t[j]) <= 0x3F) ++j;
  if (j < t.size() && static_cast<unsigned char>(t[j]) >= 0x40 && static_cast<unsigned char>(t[j]) <= 0x7E) ++j;
  return j;
}

// Length of the escape sequence starting with ESC at `i` (at least 1).
std::size_t escape_length(std::string_view t, std::size_t i) {
  if (i + 1 >= t.size()) return 1;
  const auto kind = static_cast<unsigned char>(t[i + 1]);
  std::size_t j = i + 2;
  if (kind == '[') return csi_end(t, j) - i;  // CSI "ESC ["
  if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {  // strings up to BEL or ST
    while (j < t.size()) {
      const auto c = static_cast<unsigned char>(t[j]);
      if (c == kBel) return j + 1 - i;
      if (c == kEsc && j + 1 < t.size() && t[j + 1] == '\\') return j + 2 - i;
      ++j;
    }
    return j - i;
  }
  // ESC, intermediate bytes (0x20-0x2F, e.g. "ESC ( B") and one final character (a whole code
  // point, in case it is not ASCII).
  std::size_t end = i + 1;
  while (end < t.size() && static_cast<unsigned char>(t[end]) >= 0x20 && static_cast<unsigned char>(t[end]) <= 0x2F) ++end;
  if (end < t.size()) ++end;
  while (end < t.size() && (static_cast<unsigned char>(t[end]) & 0xC0) == 0x80) ++end;
  return end - i;
}

}  // namespace

std::string strip_control_characters(std::string_view t, std::vector<KeptSpan>* kept) {
  std::string out;
  out.reserve(t.size());
  std::size_t run = 0;  // start of the current kept run
  auto cut = [&](std::size_t from, std::size_t length) {
    if (from > run) {
      out.append(t.substr(run, from - run));
      if (kept) kept->push_back({run, from - run});
    }
    run = from + length;
  };
  std::size_t i = 0;
  while (i < t.size()) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == kEsc) {
      const std::size_t n = escape_length(t, i);
      cut(i, n);
      i += n;
    } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      cut(i, 1);
      ++i;
    } else if (c == 0xC2 && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(t[i + 1]) <= 0x9F) {
      const bool csi = static_cast<unsigned char>(t[i + 1]) == 0x9B;  // 8-bit CSI, with its parameters
      const std::size_t n = csi ? csi_end(t, i + 2) - i : 2;
      cut(i, n);
      i += n;
    } else {
      ++i;
    }
  }
  cut(t.size(), 0);
  return out;
}

}  // namespace palimpsest

#include "indexer/ocr/character_error_rate.h"

#include <algorithm>
#include <vector>

#include "indexer/ocr/utf8_code_points.h"

namespace palimpsest {
namespace {

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0xA0;
}

char32_t fold(char32_t c) {
  switch (c) {
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: return '\'';
    case 0x201C: case 0x201D: case 0x201E: case 0x2033: return '"';
    case 0x2013: case 0x2014: case 0x2212: return '-';
    default: return c;
  }
}

}  // namespace

std::u32string normalise_for_cer(std::string_view utf8) {
  std::u32string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t c = text_detail::next_code_point(utf8, i);
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += U' ';
    pending_space = false;
    out += fold(c);
  }
  return out;
}

double character_error_rate(std::string_view reference, std::string_view hypothesis) {
  const std::u32string ref = normalise_for_cer(reference);
  const std::u32string hyp = normalise_for_cer(hypothesis);
  if (ref.empty()) return hyp.empty() ? 0.0 : 1.0;
  std::vector<std::size_t> previous(hyp.size() + 1), current(hyp.size() + 1);
  for (std::size_t j = 0; j <= hyp.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= ref.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= hyp.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1);
      current[j] = std::min({substitute, previous[j] + 1, current[j - 1] + 1});
    }
    std::swap(previous, current);
  }
  return static_cast<double>(previous[hyp.size()]) / static_cast<double>(ref.size());
}

}  // namespace palimpsest

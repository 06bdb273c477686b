#pragma once
// Character error rate (CER): the edit distance (insertions, deletions, substitutions of code
// points) from the reference text to the OCR text, divided by the reference's length. Both are
// normalised first: every run of whitespace becomes one space, ends are trimmed, and
// typographic quotes and dashes become ASCII ones (‘’ -> ', “” -> ", – — -> -), so that layout
// and typography do not count as reading errors. Used by the OCR tests and benchmark.

#include <string>
#include <string_view>

namespace palimpsest {

std::u32string normalise_for_cer(std::string_view utf8);

// 0 for identical texts; may exceed 1 when the hypothesis is much longer. An empty reference
// gives 0 for an empty hypothesis, else 1.
double character_error_rate(std::string_view reference, std::string_view hypothesis);

}  // namespace palimpsest

#pragma once
// Unicode data the CLIP tokenizer needs (letters, numbers, white space, lower-case mapping),
// generated from the Unicode database by gen_unicode_tables.py. Query it through clip_text.h.

#include <cstddef>

namespace palimpsest::clip::unicode_data {

struct CodeRange {
  char32_t first;
  char32_t last;  // inclusive
};

struct LowerMapping {
  char32_t code;
  char32_t lower[3];  // full lower-case mapping, zero-terminated when shorter than 3
};

// Sorted, non-overlapping ranges.
extern const CodeRange kLetters[];      // general category L*
extern const std::size_t kLettersCount;
extern const CodeRange kNumbers[];      // general category N*
extern const std::size_t kNumbersCount;
extern const CodeRange kSpaces[];       // Python's str.isspace()
extern const std::size_t kSpacesCount;
// Sorted by code.
extern const LowerMapping kLower[];     // Python's str.lower(), where it changes the character
extern const std::size_t kLowerCount;

}  // namespace palimpsest::clip::unicode_data

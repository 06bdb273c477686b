#pragma once
// Word error rate, as speech recognition is scored: the minimum number of substitutions,
// deletions and insertions that turn the reference's words into the hypothesis's (Levenshtein
// alignment over words), over the number of reference words. Both texts are normalised first:
// lower case, and every character other than a letter, a digit or an apostrophe separates words;
// sentence markers (<s>, </s>) and utterance ids in parentheses, as in Sphinx transcription
// files, are dropped.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

struct WordErrors {
  std::int64_t substitutions = 0;
  std::int64_t deletions = 0;
  std::int64_t insertions = 0;
  std::int64_t reference_words = 0;

  std::int64_t errors() const { return substitutions + deletions + insertions; }
  // errors / reference words; 0 for an empty reference and an empty hypothesis, 1 per inserted
  // word for an empty reference.
  double rate() const;
  WordErrors& operator+=(const WordErrors& other);
};

std::vector<std::string> normalise_words(std::string_view text);

WordErrors word_errors(std::string_view reference, std::string_view hypothesis);

}  // namespace palimpsest

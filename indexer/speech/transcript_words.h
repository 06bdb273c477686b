#pragma once
// Decoder tokens turned into transcript words. Recognisers put non-words in their hypotheses:
// sentence and silence markers (<s>, </s>, <sil>), noise classes ([NOISE], [SPEECH], [laugh]) and
// fillers (++UM++, +BREATH+); those are not words. Dictionaries with several pronunciations of a
// word name the variants `word(2)`, `word(3)`: the suffix is not part of the word.

#include <string>
#include <string_view>
#include <vector>

#include "indexer/speech/transcriber.h"

namespace palimpsest {

// True for tokens that are not words: empty, or starting with '<', '[' or '+'.
bool is_filler_token(std::string_view token);

// `word(2)` -> `word`; anything else unchanged.
std::string_view strip_pronunciation_variant(std::string_view token);

// Recognisers fed music or noise tend to repeat one short word ("her her her her her her"):
// true for 6 or more words of which at most a third are distinct. Read speech never does that.
bool is_degenerate_repetition(const std::vector<SpokenWord>& words);

}  // namespace palimpsest

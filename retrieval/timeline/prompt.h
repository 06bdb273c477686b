#pragma once
// The prompt syntax of a shot's text, as people know it from Stable Diffusion front ends and
// Deforum:
//
//   A (red circle:1.3) over the (calm:0.8) sea [[record: 12]] --neg city, buildings
//
// - `(words:1.3)` weights a group of words (default weight 1). Groups do not nest. Parentheses
//   without a trailing `:number` are ordinary text ("He waits (a long time)."); `\(` and `\)` are
//   literal parentheses, for prose that would read as a weight ("\(ratio 16:9\)").
// - `--neg` (a word of its own) starts the negative prompt: everything after it.
// - `[[...]]` notes are taken out of the text. `[[record: 12]]` (or `[[record: 12, 15]]`) pins
//   records; every note is also returned as written, so that manuscript formats without notes of
//   their own (plain text, subtitles) can carry directives such as `[[duration: 4s]]`.
//
// Malformed weights throw PromptError with the 1-based line and column (code points) in the text.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include "schema/error.h"

namespace palimpsest {

class PromptError : public Error {
 public:
  // what() reads "line 1, column 7: invalid weight \"1.x\"".
  PromptError(int line, int column, std::string message);
  int line = 0;    // 1-based, within the prompt text
  int column = 0;  // 1-based code points, within that line
  std::string message;
};

struct PromptTerm {
  std::string text;     // whitespace collapsed
  double weight = 1.0;  // 1 for text outside weighted groups
  bool operator==(const PromptTerm&) const = default;
};

struct PromptNote {
  std::string text;  // between [[ and ]], trimmed
  int line = 0;      // of the opening [[, 1-based, within the prompt text
  int column = 0;
};

struct Prompt {
  // The positive text for search: weights, notes and the negative tail removed, whitespace
  // (including line breaks) collapsed to single spaces.
  std::string search_text;
  // The positive text in order, split at weighted groups: unweighted runs have weight 1.
  std::vector<PromptTerm> terms;
  std::string negative_text;  // after --neg, weights stripped, whitespace collapsed
  std::vector<std::int64_t> pinned_records;  // from [[record: ...]], in order, without repeats
  std::vector<PromptNote> notes;             // every [[note]], including record pins
};

Prompt parse_prompt(std::string_view text);

// Record ids from the value of a `record:` directive: "12", "12, 15", "12 15". Throws
// std::invalid_argument naming the bad id.
std::vector<std::int64_t> parse_record_ids(std::string_view value);

// Collapses runs of whitespace (spaces, tabs, line breaks) to one space and trims the ends.
std::string collapse_whitespace(std::string_view text);

}  // namespace palimpsest

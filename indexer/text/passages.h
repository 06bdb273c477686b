#pragma once
// Long paragraphs cut into passages that fit an embedding model's context. CLIP reads at most 77
// tokens (75 after its start and end tokens), so the tail of a longer paragraph would never reach
// the embedding; English prose runs about 1.3 BPE tokens a word, so a passage holds at most
// `max_words` (48) words and starts `max_words - overlap_words` (36) words after the previous one,
// the 12-word overlap keeping a sentence that straddles a cut whole in one of them.
//
// Words are runs of anything but spaces, tabs and newlines; a passage's text is the paragraph's
// text from its first word to its last, and its byte and code point range in the file come from
// the paragraph's anchors (paragraphs.h), so they are exact. A paragraph of at most max_words words
// is one passage equal to it.

#include <cstdint>
#include <string>
#include <vector>

#include "indexer/text/paragraphs.h"

namespace palimpsest {

struct PassageOptions {
  int max_words = 48;
  int overlap_words = 12;  // < max_words
};

struct Passage {
  std::string text;
  std::int64_t byte_offset = 0;  // in the file
  std::int64_t byte_length = 0;
  std::int64_t char_offset = 0;  // in code points
};

// Throws std::invalid_argument for options without room for progress (max_words < 1, overlap
// outside [0, max_words)).
std::vector<Passage> split_passages(const Paragraph& paragraph, const PassageOptions& options = {});

}  // namespace palimpsest

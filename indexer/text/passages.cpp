#include "indexer/text/passages.h"

#include <stdexcept>
#include <utility>

namespace palimpsest {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

std::vector<Passage> split_passages(const Paragraph& paragraph, const PassageOptions& options) {
  if (options.max_words < 1 || options.overlap_words < 0 || options.overlap_words >= options.max_words)
    throw std::invalid_argument("passages need max_words >= 1 and 0 <= overlap_words < max_words");
  const std::string& text = paragraph.text;
  std::vector<std::pair<std::size_t, std::size_t>> words;  // [begin, end) in the text
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t begin = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > begin) words.emplace_back(begin, i);
  }
  const auto max_words = static_cast<std::size_t>(options.max_words);
  if (words.size() <= max_words)
    return {{text, paragraph.byte_offset, paragraph.byte_length, paragraph.char_offset}};

  std::vector<Passage> out;
  const std::size_t step = max_words - static_cast<std::size_t>(options.overlap_words);
  for (std::size_t first = 0;; first += step) {
    const std::size_t last = std::min(first + max_words, words.size()) - 1;
    const std::size_t begin = words[first].first, end = words[last].second;
    const TextAnchor from = paragraph_position(paragraph, begin), to = paragraph_position(paragraph, end);
    out.push_back({text.substr(begin, end - begin), from.byte, to.byte - from.byte, from.chars});
    if (last + 1 == words.size()) break;
  }
  return out;
}

}  // namespace palimpsest

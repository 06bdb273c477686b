#include "indexer/speech/transcript_words.h"

#include <set>

namespace palimpsest {

bool is_filler_token(std::string_view token) {
  if (token.empty()) return true;
  const char first = token.front();
  return first == '<' || first == '[' || first == '+';
}

std::string_view strip_pronunciation_variant(std::string_view token) {
  if (token.size() < 4 || token.back() != ')') return token;
  const std::size_t open = token.rfind('(');
  if (open == std::string_view::npos || open == 0 || open + 2 >= token.size()) return token;
  for (std::size_t i = open + 1; i + 1 < token.size(); ++i)
    if (token[i] < '0' || token[i] > '9') return token;
  return token.substr(0, open);
}

bool is_degenerate_repetition(const std::vector<SpokenWord>& words) {
  if (words.size() < 6) return false;
  std::set<std::string_view> distinct;
  for (const SpokenWord& word : words) distinct.insert(word.text);
  return distinct.size() * 3 <= words.size();
}

}  // namespace palimpsest

#include "indexer/speech/word_error_rate.h"

#include <algorithm>
#include <cctype>

namespace palimpsest {

double WordErrors::rate() const {
  if (reference_words == 0) return static_cast<double>(insertions);
  return static_cast<double>(errors()) / static_cast<double>(reference_words);
}

WordErrors& WordErrors::operator+=(const WordErrors& other) {
  substitutions += other.substitutions;
  deletions += other.deletions;
  insertions += other.insertions;
  reference_words += other.reference_words;
  return *this;
}

std::vector<std::string> normalise_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  std::size_t i = 0;
  auto flush = [&] {
    if (!word.empty() && word != "'") words.push_back(word);
    word.clear();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '(') {  // a Sphinx utterance id: "(sense_and_sensibility-0870)"
      const std::size_t close = text.find(')', i);
      flush();
      i = close == std::string_view::npos ? text.size() : close + 1;
      continue;
    }
    if (c == '<') {  // <s>, </s>, <sil>
      const std::size_t close = text.find('>', i);
      if (close != std::string_view::npos) {
        flush();
        i = close + 1;
        continue;
      }
    }
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'' || u >= 0x80) {
      word.push_back(static_cast<char>(std::tolower(u)));
    } else {
      flush();
    }
    ++i;
  }
  flush();
  return words;
}

WordErrors word_errors(std::string_view reference, std::string_view hypothesis) {
  const std::vector<std::string> ref = normalise_words(reference);
  const std::vector<std::string> hyp = normalise_words(hypothesis);
  // cost[j] for the current reference prefix, with its (sub, del, ins) breakdown.
  struct Cell {
    std::int64_t cost = 0, sub = 0, del = 0, ins = 0;
  };
  std::vector<Cell> previous(hyp.size() + 1), current(hyp.size() + 1);
  for (std::size_t j = 0; j <= hyp.size(); ++j) previous[j] = {static_cast<std::int64_t>(j), 0, 0, static_cast<std::int64_t>(j)};
  for (std::size_t i = 1; i <= ref.size(); ++i) {
    current[0] = {static_cast<std::int64_t>(i), 0, static_cast<std::int64_t>(i), 0};
    for (std::size_t j = 1; j <= hyp.size(); ++j) {
      Cell diagonal = previous[j - 1];
      if (ref[i - 1] != hyp[j - 1]) {
        ++diagonal.cost;
        ++diagonal.sub;
      }
      Cell deletion = previous[j];
      ++deletion.cost;
      ++deletion.del;
      Cell insertion = current[j - 1];
      ++insertion.cost;
      ++insertion.ins;
      Cell best = diagonal;
      if (deletion.cost < best.cost) best = deletion;
      if (insertion.cost < best.cost) best = insertion;
      current[j] = best;
    }
    std::swap(previous, current);
  }
  const Cell& last = previous[hyp.size()];
  WordErrors errors;
  errors.substitutions = last.sub;
  errors.deletions = last.del;
  errors.insertions = last.ins;
  errors.reference_words = static_cast<std::int64_t>(ref.size());
  return errors;
}

}  // namespace palimpsest

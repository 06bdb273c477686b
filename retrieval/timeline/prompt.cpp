#include "retrieval/timeline/prompt.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "retrieval/timeline/fountain.h"  // parse_note_directive

namespace palimpsest {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

struct Position {
  int line = 1;
  int column = 1;
};

// Text with the prompt position of every byte, so that errors found after notes were removed
// still point at the spot the writer typed.
struct LocatedText {
  std::string text;
  std::vector<Position> positions;  // one per byte of text, plus one for the end

  Position at(std::size_t offset) const { return positions[std::min(offset, positions.size() - 1)]; }
};

[[noreturn]] void fail(Position where, std::string message) {
  throw PromptError(where.line, where.column, std::move(message));
}

// Pass 1: takes [[notes]] out (each leaves a space so words on either side stay apart).
LocatedText remove_notes(std::string_view text, std::vector<PromptNote>& notes) {
  LocatedText out;
  Position pos;
  auto advance = [&pos](char c) {
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++pos.column;
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "[[") == 0) {
      const std::size_t close = text.find("]]", i + 2);
      if (close == std::string_view::npos) fail(pos, "unclosed '[[' (a note ends with ']]')");
      notes.push_back({std::string(trim(text.substr(i + 2, close - i - 2))), pos.line, pos.column});
      out.text += ' ';
      out.positions.push_back(pos);
      for (; i < close + 2; ++i) advance(text[i]);
      continue;
    }
    out.text += text[i];
    out.positions.push_back(pos);
    advance(text[i]);
    ++i;
  }
  out.positions.push_back(pos);
  return out;
}

// Pass 2: the offset of the "--neg" word that starts the negative tail, or npos.
std::size_t find_negative_marker(std::string_view text) {
  constexpr std::string_view kMarker = "--neg";
  for (std::size_t at = text.find(kMarker); at != std::string_view::npos; at = text.find(kMarker, at + 1)) {
    const bool starts_word = at == 0 || is_space(text[at - 1]);
    const std::size_t end = at + kMarker.size();
    const bool ends_word = end == text.size() || is_space(text[end]) || text[end] == ':';
    if (starts_word && ends_word) return at;
  }
  return std::string_view::npos;
}

bool starts_like_number(std::string_view s) {
  return !s.empty() && ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '+' || s[0] == '-');
}

std::optional<double> parse_weight(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  const auto result = std::from_chars(s.data(), s.data() + s.size(), value);
  if (result.ec != std::errc() || result.ptr != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Whether `run` ends in ":number" (possibly with spaces), i.e. a ')' after it closed a weight.
bool ends_with_weight(std::string_view run) {
  run = trim(run);
  const std::size_t colon = run.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view after = trim(run.substr(colon + 1));
  return starts_like_number(after) && parse_weight(after).has_value();
}

struct Segment {
  std::string plain;
  std::vector<PromptTerm> terms;
};

// Pass 3: weighted groups in one segment (the positive text or the negative tail), which is
// located.text[begin, end).
Segment parse_segment(const LocatedText& located, std::size_t begin, std::size_t end) {
  const std::string_view text = std::string_view(located.text).substr(0, end);
  Segment out;
  std::string run;  // unweighted text since the last group
  auto flush_run = [&] {
    std::string collapsed = collapse_whitespace(run);
    if (!collapsed.empty()) out.terms.push_back({std::move(collapsed), 1.0});
    run.clear();
  };
  std::size_t i = begin;
  // Keeps character c as text and moves past `consumed` bytes.
  auto literal = [&](char c, std::size_t consumed = 1) {
    run += c;
    out.plain += c;
    i += consumed;
  };
  while (i < end) {
    const char c = text[i];
    if (c == '\\' && i + 1 < end && (text[i + 1] == '(' || text[i + 1] == ')')) {
      literal(text[i + 1], 2);
      continue;
    }
    if (c == ')') {
      if (ends_with_weight(run)) fail(located.at(i), "unmatched ')' after a weight (weighted groups do not nest)");
      literal(c);
      continue;
    }
    if (c != '(') {
      literal(c);
      continue;
    }
    // A '(' opens a weighted group only when its content ends in ":number".
    std::size_t close = i + 1;
    while (close < end && text[close] != ')' && text[close] != '(') {
      if (text[close] == '\\' && close + 1 < end) ++close;
      ++close;
    }
    if (close >= end) {
      const std::string_view rest = text.substr(i + 1, end - i - 1);
      const std::size_t colon = rest.rfind(':');
      if (colon != std::string_view::npos && starts_like_number(trim(rest.substr(colon + 1))))
        fail(located.at(i), "unclosed '(' (a weighted group ends with ')')");
    }
    if (close >= end || text[close] == '(') {  // no group here: a literal parenthesis
      literal(c);
      continue;
    }
    const std::string_view content = text.substr(i + 1, close - i - 1);
    const std::size_t colon = content.rfind(':');
    if (colon == std::string_view::npos) {
      literal(c);
      continue;
    }
    const std::string_view after = content.substr(colon + 1);
    const std::string_view weight_text = trim(after);
    const std::size_t leading_spaces = after.find_first_not_of(" \t\n\r\f\v");
    const std::size_t weight_at = i + 1 + colon + 1 + (leading_spaces == std::string_view::npos ? 0 : leading_spaces);
    if (weight_text.empty()) fail(located.at(i + 1 + colon), "missing weight after ':'");
    if (!starts_like_number(weight_text)) {  // "(time: noon)": prose, not a weight
      literal(c);
      continue;
    }
    const std::optional<double> weight = parse_weight(weight_text);
    if (!weight) fail(located.at(weight_at), "invalid weight \"" + std::string(weight_text) + "\"");
    if (*weight < 0) fail(located.at(weight_at), "weights must be 0 or more");
    std::string words = collapse_whitespace(content.substr(0, colon));
    for (std::size_t at = words.find('\\'); at != std::string::npos; at = words.find('\\', at + 1))
      if (at + 1 < words.size() && (words[at + 1] == '(' || words[at + 1] == ')')) words.erase(at, 1);
    if (words.empty()) fail(located.at(i), "a weighted group needs words before ':'");
    flush_run();
    out.terms.push_back({words, *weight});
    out.plain += words;
    i = close + 1;
  }
  flush_run();
  out.plain = collapse_whitespace(out.plain);
  return out;
}

}  // namespace

PromptError::PromptError(int line_number, int column_number, std::string text)
    : Error("line " + std::to_string(line_number) + ", column " + std::to_string(column_number) +
                         ": " + text, error_class::bad_input),
      line(line_number),
      column(column_number),
      message(std::move(text)) {}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::vector<std::int64_t> parse_record_ids(std::string_view value) {
  std::vector<std::int64_t> ids;
  std::size_t i = 0;
  while (i < value.size()) {
    if (is_space(value[i]) || value[i] == ',') {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < value.size() && !is_space(value[end]) && value[end] != ',') ++end;
    const std::string_view token = value.substr(i, end - i);
    std::int64_t id = 0;
    const auto result = std::from_chars(token.data(), token.data() + token.size(), id);
    if (result.ec != std::errc() || result.ptr != token.data() + token.size() || id <= 0)
      throw std::invalid_argument("invalid record id \"" + std::string(token) + "\" (ids are whole numbers from 1)");
    ids.push_back(id);
    i = end;
  }
  if (ids.empty()) throw std::invalid_argument("a record directive needs at least one record id");
  return ids;
}

Prompt parse_prompt(std::string_view text) {
  Prompt prompt;
  const LocatedText located = remove_notes(text, prompt.notes);

  for (const PromptNote& note : prompt.notes) {
    const auto directive = parse_note_directive(note.text);
    if (!directive || directive->key != "record") continue;
    try {
      for (std::int64_t id : parse_record_ids(directive->value))
        if (std::find(prompt.pinned_records.begin(), prompt.pinned_records.end(), id) == prompt.pinned_records.end())
          prompt.pinned_records.push_back(id);
    } catch (const std::invalid_argument& e) {
      throw PromptError(note.line, note.column, e.what());
    }
  }

  const std::size_t marker = find_negative_marker(located.text);
  const std::size_t positive_end = marker == std::string::npos ? located.text.size() : marker;
  Segment positive = parse_segment(located, 0, positive_end);
  prompt.search_text = std::move(positive.plain);
  prompt.terms = std::move(positive.terms);
  if (marker != std::string::npos) {
    std::size_t negative_begin = marker + 5;
    if (negative_begin < located.text.size() && located.text[negative_begin] == ':') ++negative_begin;
    prompt.negative_text = parse_segment(located, negative_begin, located.text.size()).plain;
  }
  return prompt;
}

}  // namespace palimpsest

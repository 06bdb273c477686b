#include "retrieval/timeline/fountain_source.h"

#include <algorithm>
#include <string_view>

#include "indexer/text/utf8.h"

namespace palimpsest::fountain_detail {
namespace {

struct Position {
  std::size_t line;
  std::size_t offset;
};
struct Span {
  Position begin;  // first character
  Position end;    // one past the last character
};

bool is_whitespace_only(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\n") - first + 1);
}

// Boneyard spans in document order. An opening "/*" that is never closed is text, not a boneyard
// swallowing the rest of the script.
std::vector<Span> find_boneyard(const std::vector<std::string>& lines) {
  std::vector<Span> spans;
  std::size_t line = 0, offset = 0;
  while (line < lines.size()) {
    const std::size_t open = lines[line].find("/*", offset);
    if (open == std::string::npos) {
      ++line;
      offset = 0;
      continue;
    }
    std::size_t close_line = line, from = open + 2, close = std::string::npos;
    for (; close_line < lines.size(); ++close_line, from = 0) {
      close = lines[close_line].find("*/", from);
      if (close != std::string::npos) break;
    }
    if (close == std::string::npos) break;
    spans.push_back({{line, open}, {close_line, close + 2}});
    line = close_line;
    offset = close + 2;
  }
  return spans;
}

// Fills text, pieces and hidden from the original line and the boneyard spans.
void remove_boneyard(std::vector<SourceLine>& lines, const std::vector<Span>& spans) {
  std::size_t next_span = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SourceLine& line = lines[i];
    const std::string& original = line.original;
    std::size_t kept_from = 0;
    bool removed = false;
    auto keep = [&](std::size_t until) {
      // "Kept /* not */ line." reads "Kept line.", not "Kept  line.".
      if (removed && kept_from < until && original[kept_from] == ' ' && !line.text.empty() && line.text.back() == ' ')
        ++kept_from;
      if (until > kept_from) {
        line.pieces.emplace_back(line.text.size(), kept_from);
        line.text.append(original, kept_from, until - kept_from);
      }
    };
    // Spans are ordered; the ones touching line i start at next_span (a span may cover many lines).
    for (std::size_t s = next_span; s < spans.size() && spans[s].begin.line <= i; ++s) {
      const Span& span = spans[s];
      if (span.end.line < i) continue;
      const std::size_t from = span.begin.line == i ? span.begin.offset : 0;
      const std::size_t to = span.end.line == i ? span.end.offset : original.size();
      keep(from);
      kept_from = to;
      removed = true;
    }
    keep(original.size());
    while (next_span < spans.size() && spans[next_span].end.line <= i) ++next_span;
    line.hidden = removed && is_whitespace_only(line.text);
  }
}

void label_lines(std::vector<SourceLine>& lines) {
  for (SourceLine& line : lines) {
    if (line.hidden) continue;
    line.spacer = line.text == "  ";
    line.blank = !line.spacer && is_whitespace_only(line.text);
  }
}

// Finds the notes of one paragraph (non-blank lines; hidden ones skipped) and fills `bare` and
// `note_only` of its lines. A "[[" without a "]]" before the paragraph ends is text.
void extract_notes(std::vector<SourceLine>& lines, const std::vector<std::size_t>& paragraph,
                   std::vector<FountainNote>& notes) {
  std::string joined;
  std::vector<std::size_t> starts;  // offset of each paragraph line in `joined`
  for (std::size_t index : paragraph) {
    if (!starts.empty()) joined += '\n';
    starts.push_back(joined.size());
    joined += lines[index].text;
  }
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // [begin, end) in joined
  for (std::size_t from = 0;;) {
    const std::size_t open = joined.find("[[", from);
    if (open == std::string::npos) break;
    const std::size_t close = joined.find("]]", open + 2);
    if (close == std::string::npos) break;
    spans.emplace_back(open, close + 2);
    from = close + 2;
  }
  // A note spanning lines takes the line break with it: the text after it continues the line
  // where it opened ("He walks [[...\n...]] away." reads "He walks away.").
  auto line_of = [&](std::size_t offset) {
    return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) - 1;
  };
  std::vector<bool> touched(paragraph.size(), false);
  std::size_t first_span = 0;  // the first span that does not end before the current line
  for (std::size_t k = 0; k < paragraph.size(); ++k) {
    SourceLine& line = lines[paragraph[k]];
    const std::size_t begin = starts[k], end = begin + line.text.size();
    while (first_span < spans.size() && spans[first_span].second <= begin) ++first_span;
    std::size_t target = k;  // the line whose bare text receives what follows
    std::size_t at = begin;
    for (std::size_t s = first_span; s < spans.size() && spans[s].first < end; ++s) {
      const auto [open, close] = spans[s];
      if (open >= begin) {
        notes.push_back({std::string(trim(std::string_view(joined).substr(open + 2, close - open - 4))),
                         line.number, line.column_of(open - begin)});
        line.notes.push_back(notes.size() - 1);
      }
      std::string& bare = lines[paragraph[target]].bare;
      const std::size_t cut_from = std::max(open, begin), cut_to = std::min(close, end);
      if (cut_from > at) bare.append(joined, at, cut_from - at);
      at = cut_to;
      touched[k] = true;
      if (open < begin && close <= end) target = line_of(open);
      // "walks [[note]] in" reads "walks in", not "walks  in".
      std::string& receiver = lines[paragraph[target]].bare;
      if (at < end && joined[at] == ' ' && !receiver.empty() && receiver.back() == ' ') ++at;
    }
    if (at < end) lines[paragraph[target]].bare.append(joined, at, end - at);
  }
  for (std::size_t k = 0; k < paragraph.size(); ++k) {
    if (!touched[k]) continue;
    SourceLine& line = lines[paragraph[k]];
    line.spacer = false;
    line.note_only = is_whitespace_only(line.bare);
  }
  // A line that received a note's tail may no longer be note-only.
  for (std::size_t k = 0; k < paragraph.size(); ++k) {
    SourceLine& line = lines[paragraph[k]];
    if (line.note_only && !is_whitespace_only(line.bare)) line.note_only = false;
  }
}

}  // namespace

int SourceLine::column_of(std::size_t offset) const {
  std::size_t original_offset = offset;
  for (const auto& [text_at, original_at] : pieces) {
    if (text_at > offset) break;
    original_offset = original_at + (offset - text_at);
  }
  original_offset = std::min(original_offset, original.size());
  return static_cast<int>(utf8_length(std::string_view(original).substr(0, original_offset))) + 1;
}

SourceScript prepare_fountain_source(std::vector<std::string> raw_lines) {
  SourceScript script;
  const std::vector<Span> boneyard = find_boneyard(raw_lines);
  script.lines.resize(raw_lines.size());
  for (std::size_t i = 0; i < raw_lines.size(); ++i) {
    script.lines[i].number = static_cast<int>(i) + 1;
    script.lines[i].original = std::move(raw_lines[i]);
  }
  remove_boneyard(script.lines, boneyard);
  label_lines(script.lines);
  std::vector<std::size_t> paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) extract_notes(script.lines, paragraph, script.notes);
    paragraph.clear();
  };
  for (std::size_t i = 0; i < script.lines.size(); ++i) {
    const SourceLine& line = script.lines[i];
    if (line.hidden) continue;
    if (line.blank) {
      flush();
    } else {
      paragraph.push_back(i);
    }
  }
  flush();
  return script;
}

}  // namespace palimpsest::fountain_detail

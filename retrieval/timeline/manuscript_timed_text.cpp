// Subtitle files and plain text -> shot drafts (the rules are listed in manuscript.h).

#include <algorithm>
#include <sstream>

#include "retrieval/timeline/manuscript_error.h"
#include "retrieval/timeline/manuscript_lines.h"
#include "retrieval/timeline/manuscript_shots.h"
#include "retrieval/timeline/plain_text.h"

namespace palimpsest::manuscript_detail {

Drafts subtitle_drafts(std::string_view text, SubtitleFormat format, Directives& directives) {
  std::istringstream in{std::string(text)};
  SubtitleParseResult parsed = parse_subtitles(in, format);
  for (const SubtitleProblem& problem : parsed.problems) {
    // A film cannot be made from text that is not text; a malformed cue only loses itself.
    if (problem.message.find("invalid UTF-8") != std::string::npos)
      throw ManuscriptError(directives.file(), problem.line, problem.column, problem.message);
    directives.warn({problem.line, problem.column}, problem.message + " (cue left out)");
  }
  std::stable_sort(parsed.cues.begin(), parsed.cues.end(),
                   [](const SubtitleCue& a, const SubtitleCue& b) { return a.start_ms < b.start_ms; });

  Drafts drafts;
  drafts.timed = true;
  for (const SubtitleCue& cue : parsed.cues) {
    // The payload starts on the line after the timing line.
    const Location payload{cue.line + 1, 1};
    const Prompt prompt = located_prompt(cue.text, directives.file(), payload);
    ShotDraft draft;
    draft.shot.kind = ShotKind::cue;
    draft.shot.raw_text = cue.raw_text;
    draft.shot.source_line = cue.line;
    draft.shot.character = cue.voice;
    std::string own = prompt.search_text;
    if (!cue.voice.empty()) own = cue.voice + ": " + own;
    draft.shot.text = std::move(own);
    draft.shot.terms = prompt.terms;
    draft.shot.negative = prompt.negative_text;
    draft.words = count_words(prompt.search_text);
    draft.start_ms = cue.start_ms;
    draft.end_ms = cue.end_ms;
    for (const PromptNote& note : prompt.notes)
      directives.apply(draft, note.text, {payload.line + note.line - 1, note.column}, /*allow_duration=*/false);
    drafts.shots.push_back(std::move(draft));
  }
  return drafts;
}

Drafts plain_text_drafts(std::string_view text, Directives& directives) {
  const std::vector<PlainTextParagraph> paragraphs = parse_plain_text(text, directives.file());
  std::vector<std::string> lines;
  {
    std::istringstream in{std::string(text)};
    lines = read_manuscript_lines(in, directives.file());
  }
  // Paragraph lines are trimmed; a position in them plus the line's indentation is one in the file.
  auto file_location = [&](const PlainTextParagraph& paragraph, int prompt_line, int prompt_column) {
    const int line = paragraph.line + prompt_line - 1;
    int indent = 0;
    if (line >= 1 && static_cast<std::size_t>(line) <= lines.size()) {
      const std::string& original = lines[static_cast<std::size_t>(line - 1)];
      indent = static_cast<int>(std::min(original.find_first_not_of(" \t"), original.size()));
    }
    return Location{line, indent + prompt_column};
  };

  Drafts drafts;
  std::vector<std::pair<PromptNote, Location>> pending;  // notes of paragraphs that hold nothing else
  for (const PlainTextParagraph& paragraph : paragraphs) {
    Prompt prompt;
    try {
      prompt = parse_prompt(paragraph.text);
    } catch (const PromptError& e) {
      const Location at = file_location(paragraph, e.line, e.column);
      throw ManuscriptError(directives.file(), at.line, at.column, e.message);
    }
    if (prompt.search_text.empty() && prompt.pinned_records.empty()) {
      for (const PromptNote& note : prompt.notes) pending.emplace_back(note, file_location(paragraph, note.line, note.column));
      continue;
    }
    ShotDraft draft;
    draft.shot.kind = ShotKind::paragraph;
    draft.shot.raw_text = paragraph.text;
    draft.shot.source_line = paragraph.line;
    draft.shot.text = prompt.search_text;
    draft.shot.terms = prompt.terms;
    draft.shot.negative = prompt.negative_text;
    draft.words = count_words(prompt.search_text);
    for (const auto& [note, at] : pending) directives.apply(draft, note.text, at);
    pending.clear();
    for (const PromptNote& note : prompt.notes)
      directives.apply(draft, note.text, file_location(paragraph, note.line, note.column));
    drafts.shots.push_back(std::move(draft));
  }
  if (!drafts.shots.empty())
    for (const auto& [note, at] : pending) directives.apply(drafts.shots.back(), note.text, at);
  return drafts;
}

}  // namespace palimpsest::manuscript_detail

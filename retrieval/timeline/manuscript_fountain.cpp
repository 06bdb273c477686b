// Fountain screenplay -> shot drafts (the rules are listed in manuscript.h).

#include <cctype>

#include "retrieval/timeline/fountain.h"
#include "retrieval/timeline/manuscript_shots.h"

namespace palimpsest::manuscript_detail {
namespace {

using Type = FountainElementType;

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "EXT. RED DESERT - NIGHT" -> "red desert, night": the interior/exterior prefix says nothing a
// picture shows, the location and time of day do.
std::string scene_context(std::string_view heading) {
  heading = heading.substr(std::min(heading.find_first_not_of(" \t"), heading.size()));
  const std::size_t space = heading.find(' ');
  std::string first = lower_ascii(heading.substr(0, space));
  while (!first.empty() && first.back() == '.') first.pop_back();
  static constexpr std::string_view kPrefixes[] = {"int", "ext", "est", "int./ext", "int/ext", "i/e", "int.ext"};
  for (std::string_view prefix : kPrefixes) {
    if (first == prefix) {
      heading = space == std::string_view::npos ? std::string_view() : heading.substr(space + 1);
      break;
    }
  }
  std::string out = lower_ascii(collapse_whitespace(heading));
  for (std::size_t at = out.find(" - "); at != std::string::npos; at = out.find(" - ", at)) out.replace(at, 3, ", ");
  return out;
}

class FountainShots {
 public:
  explicit FountainShots(Directives& directives) : directives_(directives) {}

  Drafts run(std::string_view text) {
    const std::vector<FountainElement> elements = parse_fountain(text, directives_.file());
    for (const FountainElement& element : elements) {
      switch (element.type) {
        case Type::title_page: title_page(element); break;
        case Type::scene_heading: scene_heading(element); break;
        case Type::action: shot(element, ShotKind::action); break;
        case Type::dialogue: shot(element, ShotKind::dialogue); break;
        case Type::centered: shot(element, ShotKind::centered); break;
        case Type::lyric: shot(element, ShotKind::lyric); break;
        case Type::note:
        case Type::character:
        case Type::parenthetical:
        case Type::transition:
        case Type::section:
        case Type::synopsis:
        case Type::page_break:
          pending_.insert(pending_.end(), element.notes.begin(), element.notes.end());
          break;
      }
    }
    close_scene();
    // Directives with no shot after them belong to the last one.
    if (!pending_.empty() && !drafts_.shots.empty()) {
      for (const FountainNote& note : pending_) directives_.apply(drafts_.shots.back(), note.text, {note.line, note.column});
    }
    return std::move(drafts_);
  }

 private:
  void title_page(const FountainElement& element) {
    if (lower_ascii(element.key) == "title" && drafts_.title.empty()) drafts_.title = collapse_whitespace(element.plain_text);
    for (const FountainNote& note : element.notes) directives_.apply_to_film(drafts_.film, note.text, {note.line, note.column});
  }

  void scene_heading(const FountainElement& element) {
    close_scene();
    heading_ = &element;
    scene_has_shot_ = false;
    scene_ = scene_context(element.plain_text);
  }

  // A heading followed by nothing to film is still a place to see: it becomes a shot of its own.
  void close_scene() {
    if (!heading_ || scene_has_shot_) return;
    ShotDraft draft;
    draft.shot.kind = ShotKind::scene;
    draft.shot.raw_text = heading_->raw_text;
    draft.shot.source_line = heading_->line;
    draft.shot.scene = scene_;
    draft.shot.text = scene_.empty() ? collapse_whitespace(heading_->plain_text) : scene_;
    draft.shot.terms.push_back({draft.shot.text, 1.0});
    draft.words = count_words(draft.shot.text);
    apply_notes(draft);
    drafts_.shots.push_back(std::move(draft));
    scene_has_shot_ = true;
  }

  void shot(const FountainElement& element, ShotKind kind) {
    const Prompt prompt = located_prompt(element.plain_text, directives_.file(), {element.line, element.column});
    ShotDraft draft;
    draft.shot.kind = kind;
    draft.shot.raw_text = element.raw_text;
    draft.shot.source_line = element.line;
    draft.shot.character = element.character;
    draft.shot.scene = scene_;
    std::string own = prompt.search_text;
    if (!element.character.empty() && (kind == ShotKind::dialogue || kind == ShotKind::lyric))
      own = element.character + ": " + own;
    draft.shot.text = with_scene(std::move(own), scene_);
    draft.shot.terms = prompt.terms;
    draft.shot.negative = prompt.negative_text;
    draft.shot.pinned_records = prompt.pinned_records;
    draft.words = count_words(prompt.search_text);
    apply_notes(draft, &element);
    drafts_.shots.push_back(std::move(draft));
    if (heading_) scene_has_shot_ = true;
  }

  // Scene-wide notes first, then those waiting for this shot, then the shot's own: later wins.
  void apply_notes(ShotDraft& draft, const FountainElement* element = nullptr) {
    if (heading_)
      for (const FountainNote& note : heading_->notes) directives_.apply(draft, note.text, {note.line, note.column});
    for (const FountainNote& note : pending_) directives_.apply(draft, note.text, {note.line, note.column});
    pending_.clear();
    if (element)
      for (const FountainNote& note : element->notes) directives_.apply(draft, note.text, {note.line, note.column});
  }

  Directives& directives_;
  Drafts drafts_;
  const FountainElement* heading_ = nullptr;
  bool scene_has_shot_ = false;
  std::string scene_;
  std::vector<FountainNote> pending_;
};

}  // namespace

Drafts fountain_drafts(std::string_view text, Directives& directives) { return FountainShots(directives).run(text); }

}  // namespace palimpsest::manuscript_detail

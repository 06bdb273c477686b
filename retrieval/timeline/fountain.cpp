// Fountain elements from prepared source lines. Fountain decides most elements by context (an
// all-caps line is a character cue only with a blank line before it and text after it), so the
// parser works paragraph by paragraph: a paragraph is a run of non-blank lines. Lines that hold only
// notes do not count as content when deciding; they attach to the element before them in the
// paragraph, or the one after, or become a note element when the paragraph has nothing else.

#include "retrieval/timeline/fountain.h"

#include <array>
#include <cctype>
#include <fstream>
#include <functional>
#include <sstream>

#include "retrieval/timeline/fountain_emphasis.h"
#include "retrieval/timeline/fountain_source.h"
#include "retrieval/timeline/fountain_text_rules.h"
#include "retrieval/timeline/manuscript_lines.h"

namespace palimpsest {
namespace {

using fountain_detail::SourceLine;
using fountain_detail::SourceScript;
using fountain_detail::trim;
using fountain_detail::trim_right;
using fountain_detail::is_centered;
using fountain_detail::is_forced_scene_heading;
using fountain_detail::is_page_break;
using Type = FountainElementType;

// Keys that may open a title page. Any key may follow once it is open; requiring a known first key
// keeps a script that opens with "FADE IN:" from being read as a title page.
bool is_title_page_opening_key(std::string_view key) {
  static constexpr std::array<std::string_view, 12> kKeys = {
      "title", "credit", "author", "authors", "source", "draft date", "date", "contact", "copyright",
      "notes", "revision", "format"};
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view known : kKeys)
    if (lower == known) return true;
  return false;
}

// "Draft date: 1 May" -> the key, when the line is a title page key line.
std::optional<std::string_view> title_page_key(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 40) return std::nullopt;
  const std::string_view key = line.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(key.front()))) return std::nullopt;
  for (char c : key) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' || c == '-' ||
                         c == '\'' || c == '.';
    if (!allowed) return std::nullopt;
  }
  return key;
}

bool is_title_page_continuation(std::string_view line) {
  return line.starts_with('\t') || line.starts_with("   ");
}

// Removes the element's own syntax from the first line (forcing characters and the like).
using Unmark = std::function<std::string_view(std::string_view)>;

std::string_view drop_first(std::string_view s) { return s.substr(1); }

std::string_view drop_forced_action(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first != std::string_view::npos && s[first] == '!') return s.substr(first + 1);
  return s;
}

class Assembler {
 public:
  explicit Assembler(const SourceScript& script) : script_(script), lines_(script.lines) {}

  std::vector<FountainElement> run() {
    std::size_t i = 0;
    while (i < lines_.size() && (lines_[i].hidden || lines_[i].blank)) ++i;
    i = title_page(i);
    std::vector<std::size_t> paragraph;
    for (; i < lines_.size(); ++i) {
      if (lines_[i].hidden) continue;
      if (lines_[i].blank) {
        this->paragraph(paragraph);
        paragraph.clear();
      } else {
        paragraph.push_back(i);
      }
    }
    this->paragraph(paragraph);
    return std::move(elements_);
  }

 private:
  // ---- title page ----------------------------------------------------------------------------

  std::size_t title_page(std::size_t i) {
    if (i >= lines_.size()) return i;
    const auto first_key = title_page_key(lines_[i].bare);
    if (!first_key || !is_title_page_opening_key(*first_key)) return i;
    std::vector<std::size_t> entry;  // the key line and its continuation lines
    auto flush = [&] {
      if (!entry.empty()) title_page_entry(entry);
      entry.clear();
    };
    for (; i < lines_.size() && !lines_[i].blank; ++i) {
      const SourceLine& line = lines_[i];
      if (line.hidden) continue;
      if (is_title_page_continuation(line.text) && !entry.empty()) {
        entry.push_back(i);
      } else if (!is_title_page_continuation(line.text) && title_page_key(line.bare)) {
        flush();
        entry.push_back(i);
      } else if (line.note_only && !entry.empty()) {
        entry.push_back(i);
      } else {
        break;  // not title page syntax: the script starts here
      }
    }
    flush();
    return i;
  }

  void title_page_entry(const std::vector<std::size_t>& entry) {
    const SourceLine& key_line = lines_[entry.front()];
    FountainElement element = start(Type::title_page, entry.front());
    element.key = std::string(trim(*title_page_key(key_line.bare)));
    std::vector<std::string> raw, plain;
    const auto value_of = [](std::string_view s) { return trim(s.substr(s.find(':') + 1)); };
    if (auto value = value_of(key_line.text); !value.empty()) raw.emplace_back(value);
    if (auto value = value_of(key_line.bare); !value.empty()) plain.push_back(strip_fountain_emphasis(value));
    for (std::size_t k = 1; k < entry.size(); ++k) {
      const SourceLine& line = lines_[entry[k]];
      raw.emplace_back(trim(line.text));
      if (!line.note_only) plain.push_back(strip_fountain_emphasis(trim(line.bare)));
    }
    element.raw_text = join(raw);
    element.plain_text = join(plain);
    element.end_line = lines_[entry.back()].number;
    for (std::size_t index : entry) attach_notes(element, index);
    elements_.push_back(std::move(element));
  }

  // ---- body ----------------------------------------------------------------------------------

  void paragraph(const std::vector<std::size_t>& lines) {
    if (lines.empty()) return;
    std::vector<std::size_t> content;  // positions in `lines` of lines with something besides notes
    for (std::size_t k = 0; k < lines.size(); ++k)
      if (!lines_[lines[k]].note_only) content.push_back(k);
    if (content.empty()) {
      note_element(lines);
      return;
    }
    paragraph_lines_ = &lines;
    first_content_ = content.front();
    last_content_ = content.back();
    first_element_ = elements_.size();
    speaker_.clear();
    dual_ = false;
    bool in_dialogue = false;
    // Note-only lines before the first content line belong to the first element.
    std::vector<std::size_t> waiting(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(first_content_));
    std::size_t k = first_content_;
    while (k < lines.size()) {
      if (!lines_[lines[k]].note_only) {
        k = in_dialogue ? dialogue_part(k) : element_at(k, in_dialogue);
      } else if (elements_.size() > first_element_) {  // it carries notes for the element before it
        FountainElement& element = elements_.back();
        attach_notes(element, lines[k]);
        element.raw_text += '\n';
        element.raw_text += trim(lines_[lines[k]].text);
        element.end_line = lines_[lines[k]].number;
        ++k;
      } else {
        waiting.push_back(lines[k++]);
      }
    }
    if (elements_.size() == first_element_) {  // the paragraph's content came to nothing
      if (!waiting.empty()) note_element(waiting);
      return;
    }
    for (std::size_t n = waiting.size(); n-- > 0;) prepend_notes(elements_[first_element_], waiting[n]);
  }

  // Recognises the element starting at position k of the paragraph; returns the position after it.
  std::size_t element_at(std::size_t k, bool& in_dialogue) {
    const std::size_t index = (*paragraph_lines_)[k];
    const std::string_view t = trim(lines_[index].bare);
    const bool alone = k == first_content_ && k == last_content_;

    if (is_page_break(t)) return single(Type::page_break, k, [](std::string_view) { return std::string_view(); });
    if (t.starts_with('#')) {
      FountainElement& e = emit_single(Type::section, k, [](std::string_view s) {
        return trim(s.substr(s.find_first_not_of('#') == std::string_view::npos ? s.size() : s.find_first_not_of('#')));
      });
      e.depth = static_cast<int>(t.find_first_not_of('#') == std::string_view::npos ? t.size() : t.find_first_not_of('#'));
      return k + 1;
    }
    if (t.starts_with('=')) return single(Type::synopsis, k, [](std::string_view s) { return trim(drop_first(s)); });
    if (is_centered(t))
      return single(Type::centered, k, [](std::string_view s) { return trim(s.substr(1, s.size() - 2)); });
    if (t.starts_with('>')) return single(Type::transition, k, [](std::string_view s) { return trim(drop_first(s)); }, true);
    if (t.starts_with('~')) return single(Type::lyric, k, drop_first);
    if (is_forced_scene_heading(t)) return scene_heading(k, true);
    if (t.starts_with('@')) {
      if (auto cue = fountain_detail::parse_character_cue(t)) {
        character(k, *cue, true);
        in_dialogue = true;
        return k + 1;
      }
    }
    if (!t.starts_with('!')) {
      if (alone && looks_like_scene_heading(t)) return scene_heading(k, false);
      if (alone && fountain_detail::looks_like_transition(t)) return single(Type::transition, k, nullptr);
      // A heading or transition that runs into more text is action, not a character cue.
      if (k == first_content_ && !alone && !looks_like_scene_heading(t) && !fountain_detail::looks_like_transition(t)) {
        if (auto cue = fountain_detail::parse_character_cue(t)) {
          character(k, *cue, false);
          in_dialogue = true;
          return k + 1;
        }
      }
    }
    return action(k);
  }

  static bool looks_like_scene_heading(std::string_view t) { return fountain_detail::looks_like_scene_heading(t); }

  // Whether the line at position k starts an element of its own even inside an action paragraph.
  bool starts_line_element(std::size_t k) const {
    const std::string_view t = trim(lines_[(*paragraph_lines_)[k]].bare);
    return is_page_break(t) || t.starts_with('#') || t.starts_with('=') || t.starts_with('>') ||
           t.starts_with('~') || t.starts_with('@') || fountain_detail::is_forced_scene_heading(t);
  }

  std::size_t action(std::size_t k) {
    const std::vector<std::size_t>& lines = *paragraph_lines_;
    std::vector<std::size_t> block{lines[k]};
    std::size_t end = k + 1;
    while (end < lines.size() && (lines_[lines[end]].note_only || !starts_line_element(end))) {
      block.push_back(lines[end]);
      ++end;
    }
    FountainElement element = build(Type::action, block, drop_forced_action, /*keep_indent=*/true);
    element.forced = trim(lines_[lines[k]].bare).starts_with('!');
    // Nothing but spacers: there is no action to keep.
    if (trim(element.raw_text).empty() && element.notes.empty()) return end;
    elements_.push_back(std::move(element));
    return end;
  }

  std::size_t scene_heading(std::size_t k, bool forced) {
    const std::size_t index = (*paragraph_lines_)[k];
    const auto unmark = [forced](std::string_view s) {
      s = trim(s);
      if (forced) s = drop_first(s);
      return fountain_detail::split_scene_number(s).first;
    };
    FountainElement element = build(Type::scene_heading, {index}, unmark, false);
    std::string_view bare = trim(lines_[index].bare);
    if (forced) bare = drop_first(bare);
    element.scene_number = std::string(fountain_detail::split_scene_number(bare).second);
    element.forced = forced;
    elements_.push_back(std::move(element));
    return k + 1;
  }

  void character(std::size_t k, const fountain_detail::CharacterCue& cue, bool forced) {
    const auto unmark = [](std::string_view s) {
      s = trim(s);
      if (s.starts_with('@')) s = drop_first(s);
      if (s.ends_with('^')) s = trim(s.substr(0, s.size() - 1));
      return s;
    };
    FountainElement element = build(Type::character, {(*paragraph_lines_)[k]}, unmark, false);
    element.character = cue.name;
    element.extensions = cue.extensions;
    element.forced = forced;
    element.dual_dialogue = cue.dual;
    speaker_ = cue.name;
    dual_ = cue.dual;
    if (cue.dual) mark_previous_speech_dual();
    elements_.push_back(std::move(element));
  }

  // The first speaker of a dual dialogue pair is only known to be one when the second, marked
  // with '^', arrives: mark the previous character and what they said.
  void mark_previous_speech_dual() {
    for (std::size_t e = elements_.size(); e-- > 0;) {
      FountainElement& element = elements_[e];
      if (element.type == Type::dialogue || element.type == Type::parenthetical ||
          (element.type == Type::lyric && !element.character.empty())) {
        element.dual_dialogue = true;
        continue;
      }
      if (element.type == Type::character) element.dual_dialogue = true;
      break;
    }
  }

  // Inside a dialogue block: a parenthetical, a lyric, or a run of dialogue lines.
  std::size_t dialogue_part(std::size_t k) {
    const std::vector<std::size_t>& lines = *paragraph_lines_;
    const std::string_view t = trim(lines_[lines[k]].bare);
    std::size_t end = k + 1;
    FountainElement element;
    if (fountain_detail::is_parenthetical(t)) {
      element = build(Type::parenthetical, {lines[k]}, nullptr, false);
    } else if (t.starts_with('~')) {
      element = build(Type::lyric, {lines[k]}, drop_first, false);
    } else {
      std::vector<std::size_t> block{lines[k]};
      while (end < lines.size()) {
        const SourceLine& line = lines_[lines[end]];
        const std::string_view next = trim(line.bare);
        if (!line.note_only && (fountain_detail::is_parenthetical(next) || next.starts_with('~'))) break;
        block.push_back(lines[end]);
        ++end;
      }
      element = build(Type::dialogue, block, nullptr, false);
    }
    element.character = speaker_;
    element.dual_dialogue = dual_;
    elements_.push_back(std::move(element));
    return end;
  }

  std::size_t single(Type type, std::size_t k, const Unmark& unmark, bool forced = false) {
    emit_single(type, k, unmark).forced = forced;
    return k + 1;
  }

  FountainElement& emit_single(Type type, std::size_t k, const Unmark& unmark) {
    elements_.push_back(build(type, {(*paragraph_lines_)[k]}, unmark, false));
    return elements_.back();
  }

  void note_element(const std::vector<std::size_t>& lines) {
    FountainElement element = start(Type::note, lines.front());
    std::vector<std::string> raw;
    for (std::size_t index : lines) {
      raw.emplace_back(trim(lines_[index].text));
      attach_notes(element, index);
    }
    element.raw_text = join(raw);
    std::vector<std::string> texts;
    for (const FountainNote& note : element.notes) texts.push_back(note.text);
    element.plain_text = join(texts);
    element.end_line = lines_[lines.back()].number;
    elements_.push_back(std::move(element));
  }

  // ---- building elements ---------------------------------------------------------------------

  FountainElement start(Type type, std::size_t index) const {
    const SourceLine& line = lines_[index];
    FountainElement element;
    element.type = type;
    element.line = line.number;
    element.end_line = line.number;
    const std::size_t first = line.text.find_first_not_of(" \t");
    element.column = line.column_of(first == std::string::npos ? 0 : first);
    return element;
  }

  // An element from whole lines: raw text from the lines as written, plain text from the lines
  // without notes; `unmark` strips the element's syntax from the first line of both.
  FountainElement build(Type type, const std::vector<std::size_t>& block, const Unmark& unmark, bool keep_indent) {
    FountainElement element = start(type, block.front());
    std::vector<std::string> raw, plain;
    for (std::size_t n = 0; n < block.size(); ++n) {
      const SourceLine& line = lines_[block[n]];
      std::string_view text = keep_indent ? trim_right(line.text) : trim(line.text);
      std::string_view bare = keep_indent ? trim_right(line.bare) : trim(line.bare);
      const bool unmark_this = unmark && (n == 0 || (type == Type::action && trim(bare).starts_with('!')));
      if (unmark_this) {
        text = unmark(text);
        bare = unmark(bare);
      }
      raw.emplace_back(text);
      if (!line.note_only) plain.push_back(strip_fountain_emphasis(bare));
      attach_notes(element, block[n]);
      element.end_line = line.number;
    }
    element.raw_text = join(raw);
    element.plain_text = join(plain);
    return element;
  }

  void attach_notes(FountainElement& element, std::size_t index) const {
    for (std::size_t note : lines_[index].notes) element.notes.push_back(script_.notes[note]);
  }

  void prepend_notes(FountainElement& element, std::size_t index) const {
    const auto& notes = lines_[index].notes;
    for (auto it = notes.rbegin(); it != notes.rend(); ++it)
      element.notes.insert(element.notes.begin(), script_.notes[*it]);
  }

  // Lines joined with '\n', without leading or trailing empty lines.
  static std::string join(const std::vector<std::string>& lines) {
    std::size_t begin = 0, end = lines.size();
    while (begin < end && trim(lines[begin]).empty()) ++begin;
    while (end > begin && trim(lines[end - 1]).empty()) --end;
    std::string out;
    for (std::size_t n = begin; n < end; ++n) {
      if (n > begin) out += '\n';
      out += lines[n];
    }
    return out;
  }

  const SourceScript& script_;
  const std::vector<SourceLine>& lines_;
  std::vector<FountainElement> elements_;
  // The paragraph being read.
  const std::vector<std::size_t>* paragraph_lines_ = nullptr;
  std::size_t first_content_ = 0;
  std::size_t last_content_ = 0;
  std::size_t first_element_ = 0;
  std::string speaker_;
  bool dual_ = false;
};

}  // namespace

std::string_view fountain_element_type_name(FountainElementType type) {
  switch (type) {
    case Type::title_page: return "title_page";
    case Type::scene_heading: return "scene_heading";
    case Type::action: return "action";
    case Type::character: return "character";
    case Type::dialogue: return "dialogue";
    case Type::parenthetical: return "parenthetical";
    case Type::lyric: return "lyric";
    case Type::transition: return "transition";
    case Type::centered: return "centered";
    case Type::section: return "section";
    case Type::synopsis: return "synopsis";
    case Type::note: return "note";
    case Type::page_break: return "page_break";
  }
  return "unknown";
}

std::vector<FountainElement> parse_fountain(std::istream& in, const std::string& file_name) {
  const SourceScript script = fountain_detail::prepare_fountain_source(read_manuscript_lines(in, file_name));
  return Assembler(script).run();
}

std::vector<FountainElement> parse_fountain(std::string_view text, const std::string& file_name) {
  std::istringstream in{std::string(text)};
  return parse_fountain(in, file_name);
}

std::vector<FountainElement> parse_fountain_file(const std::filesystem::path& path) {
  std::ifstream file;
  open_manuscript(path, file);
  return parse_fountain(file, path.string());
}

}  // namespace palimpsest

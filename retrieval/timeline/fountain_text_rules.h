#pragma once
// The line-level tests of Fountain's element rules (what looks like a scene heading, a character
// cue, a transition...), kept apart from the paragraph logic that applies them. Each takes a line
// with notes removed and surrounding whitespace trimmed. Internal to the Fountain parser.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest::fountain_detail {

std::string_view trim(std::string_view s);
std::string_view trim_right(std::string_view s);

// No lower-case letter (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic) and at least one letter.
bool is_upper_case_text(std::string_view s);

// INT, EXT, EST, INT./EXT, INT/EXT, I/E (any case) followed by '.' or a space.
bool looks_like_scene_heading(std::string_view line);
// '.' followed by a letter or digit (".." starts an ellipsis, not a heading).
bool is_forced_scene_heading(std::string_view line);
// Splits "INT. HOUSE - DAY #12A#" into the heading and "12A".
std::pair<std::string_view, std::string_view> split_scene_number(std::string_view heading);

// All upper case, ending in "TO:".
bool looks_like_transition(std::string_view line);
bool is_page_break(std::string_view line);  // three or more '=' and nothing else
bool is_centered(std::string_view line);    // >text<

struct CharacterCue {
  std::string name;
  std::vector<std::string> extensions;
  bool dual = false;
};
// "MOM (V.O.) (CONT'D) ^": a name without lower case (unless forced with '@'), then parenthesised
// extensions in any case, then an optional '^'.
std::optional<CharacterCue> parse_character_cue(std::string_view line);

bool is_parenthetical(std::string_view line);  // (text)

}  // namespace palimpsest::fountain_detail

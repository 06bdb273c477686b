#pragma once
// Fountain screenplays (fountain.io, syntax 1.1) parsed into elements for shot planning and search.
// Every element keeps where it came from (line, column), its text as written and a plain version
// for search, and the notes written in it, because notes carry directives such as
// [[duration: 4s]], [[record: 123]] or [[strength: 0:(0.6), 12:(0.3)]].

#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

enum class FountainElementType {
  title_page,     // one per key: value pair
  scene_heading,  // INT. / EXT. / EST. / INT./EXT. / INT/EXT / I/E, or forced with a leading '.'
  action,         // anything else, incl. forced with '!' and syntax this parser does not know
  character,      // all caps before dialogue, or forced with '@'; (V.O.) etc.; '^' for dual dialogue
  dialogue,
  parenthetical,  // (beat), inside dialogue
  lyric,          // ~line
  transition,     // all caps ending in "TO:" alone in its paragraph, or forced with '>'
  centered,       // >text<
  section,        // # Act, ## Sequence (depth = number of '#')
  synopsis,       // = text
  note,           // a paragraph holding only [[notes]]
  page_break,     // ===
};

std::string_view fountain_element_type_name(FountainElementType type);

struct FountainNote {
  std::string text;  // between [[ and ]], trimmed; a note spanning lines keeps its '\n's
  int line = 0;      // of the opening [[ (1-based)
  int column = 0;    // of the opening [[ (1-based, code points)
};

struct FountainElement {
  FountainElementType type = FountainElementType::action;
  int line = 0;      // 1-based line of the element's first character
  int column = 0;    // 1-based code point column of its first non-blank character
  int end_line = 0;  // last line the element (or a note attached to it) occupies
  // The text as written, lines joined with '\n': emphasis markers, escapes and notes kept; the
  // element's own syntax removed (forcing characters, '#' of sections, '=' of synopses, the scene
  // number, the '^' of dual dialogue). Action keeps its leading whitespace and tabs; other
  // elements are trimmed. Boneyard /* */ is gone everywhere. It covers the lines from `line` to
  // `end_line`, including note-only lines that follow the element in its paragraph.
  std::string raw_text;
  // For search and prompts: as raw_text but emphasis markers removed, escapes (\* \_) resolved,
  // notes removed (with lines that held only notes). For a note element, the notes' text.
  std::string plain_text;
  // Written in the element, or on note-only lines next to it in the same paragraph (those before
  // it are attached to it as well, though they are not in raw_text).
  std::vector<FountainNote> notes;
  bool forced = false;              // made this type by a forcing character (! . @ > ~ aside)

  std::string key;                      // title_page: the key as written ("Draft date")
  std::string scene_number;             // scene_heading: "12" for "#12#", "" when none
  int depth = 0;                        // section: 1 for '#', 2 for '##', ...
  std::string character;                // character: the name; its dialogue, parentheticals and
                                        // lyrics: the speaker
  std::vector<std::string> extensions;  // character: "V.O.", "CONT'D", ... without parentheses
  bool dual_dialogue = false;           // both characters of a '^' pair and their speech
};

// Parses a whole script. `file_name` only names the input in errors. Unknown syntax becomes
// action; nothing is dropped except boneyard. Throws ManuscriptError (file, line, column) on
// invalid UTF-8, NUL bytes, or lines over 64 KiB.
std::vector<FountainElement> parse_fountain(std::istream& in, const std::string& file_name);
std::vector<FountainElement> parse_fountain(std::string_view text, const std::string& file_name = "<fountain>");
std::vector<FountainElement> parse_fountain_file(const std::filesystem::path& path);

// A note written as "key: value" (e.g. "duration: 4s", "record: 123"), the key lower-cased and
// both trimmed; nullopt when the note is free text. Keys are letters, digits, '_', '-' and spaces,
// starting with a letter.
struct NoteDirective {
  std::string key;
  std::string value;
};
std::optional<NoteDirective> parse_note_directive(std::string_view note_text);

}  // namespace palimpsest

#pragma once
// Text from outside (file names, manuscripts, queries) on a terminal or in a log line: it can
// neither break the line nor drive the terminal, and a long one is cut to a readable excerpt.
//
// Rules: valid UTF-8 that prints is kept as it is (accents, CJK, emoji). Everything else is
// escaped: \n, \r and \t as such, other C0 controls, DEL and C1 controls (U+0080..U+009F) as \xNN
// (ESC, which starts ANSI sequences, is \x1b), each byte that is not valid UTF-8 as \xNN, and the
// characters that reorder or split lines on display (U+2028, U+2029, the bidirectional overrides
// and isolates U+202A..U+202E, U+2066..U+2069) as \u{NNNN}. A backslash is kept as it is.

#include <cstddef>
#include <string>
#include <string_view>

namespace palimpsest {

// The whole text, escaped.
std::string printable(std::string_view text);

// At most `max_chars` characters of the escaped text (an escape counts as one), with "…" where
// text was left out. The excerpt keeps the start of the text, or, with `focus` (a byte offset into
// `text`), a window around that spot, so that an error's position stays visible.
std::string printable_excerpt(std::string_view text, std::size_t max_chars,
                              std::size_t focus = std::string_view::npos);

// Text quoted in an error message, e.g. `not "fast"`: the excerpt in double quotes, so that a value
// that runs for pages (a manuscript pasted where a number belongs) costs one line.
std::string quoted_excerpt(std::string_view text, std::size_t max_chars = 60,
                   std::size_t focus = std::string_view::npos);

}  // namespace palimpsest

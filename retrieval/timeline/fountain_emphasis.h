#pragma once
// Fountain's inline emphasis (*italic*, **bold**, ***bold italic***, _underline_) and backslash
// escapes, turned into plain text for search.

#include <string>
#include <string_view>

namespace palimpsest {

// Removes emphasis markers that pair up on the line (emphasis never spans lines in Fountain) and
// resolves \* and \_ to literal characters. A marker opens only before a non-space character and
// closes only after one, so "5 * 3" and a lone "*" stay; '_' does not pair inside a word, so
// "snake_case_name" stays.
std::string strip_fountain_emphasis(std::string_view line);

}  // namespace palimpsest

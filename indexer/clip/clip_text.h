#pragma once
// Text normalisation and pre-tokenisation for the CLIP BPE tokenizer: UTF-8 <-> code points,
// Unicode letter / number / space classes, Python-style lower-casing, HTML unescaping, and the
// split of OpenAI's tokenizer regex, implemented by hand over code points.

#include <string>
#include <string_view>
#include <vector>

namespace palimpsest::clip {

// Decodes UTF-8; an invalid or truncated sequence becomes one U+FFFD per offending byte.
std::u32string utf8_to_u32(std::string_view text);
std::string u32_to_utf8(std::u32string_view text);
void append_utf8(std::string& out, char32_t cp);

bool is_letter(char32_t cp);  // \p{L}
bool is_number(char32_t cp);  // \p{N}
bool is_space(char32_t cp);   // Python's str.isspace()

// Python's str.lower(): full lower-case mapping, with the final-sigma rule.
std::u32string to_lower(std::u32string_view text);

// Python's html.unescape for numeric references and the common named entities.
std::string html_unescape(std::string_view text);

// A light version of ftfy.fix_text as CLIP applies it: straight quotes for curly ones, Latin
// ligatures and full-width ASCII expanded, control characters and BOMs removed. (Mojibake repair
// and NFC normalisation are not done: input is expected to be valid, composed UTF-8.)
std::u32string fix_text_lite(std::u32string_view text);

// OpenAI's SimpleTokenizer clean-up: fix_text, html.unescape twice, strip, collapse white space
// to single spaces, lower-case. Returns code points.
std::u32string clip_clean_text(std::string_view text);

// re.findall of the CLIP pattern
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// over cleaned (lower-case) text. Returns the matches as UTF-8.
std::vector<std::string> clip_split_words(std::u32string_view cleaned);

}  // namespace palimpsest::clip

#pragma once
// UTF-8 validation for text and subtitle input: invalid bytes are reported with their position
// rather than stored or silently replaced.

#include <cstddef>
#include <optional>
#include <string_view>

namespace palimpsest {

// Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or nullopt when all of `text` is valid.
// A sequence cut off by the end of `text` is invalid unless `allow_truncated_tail` is set, for
// callers that validate a stream chunk by chunk.
std::optional<std::size_t> find_invalid_utf8(std::string_view text,
                                             bool allow_truncated_tail = false);

// The byte length (1 to 4) of the valid UTF-8 sequence at the start of `text`; 0 when `text` is
// empty or does not start with one. `cut_off` (optional) is set when the bytes are a valid start
// that `text` ends too early to complete.
std::size_t utf8_sequence_length(std::string_view text, bool* cut_off = nullptr);

// Number of code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

}  // namespace palimpsest

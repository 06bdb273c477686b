#pragma once
// Terminal escape sequences and other control characters removed from text before it is indexed:
// text files captured from terminals (logs, `script` sessions, coloured program output) carry ANSI
// escape sequences that are neither words nor visible, and would otherwise reach search, the
// viewer and the embedding model.
//
// Removed: ECMA-48 sequences introduced by ESC (CSI "ESC [" up to its final byte 0x40-0x7E; OSC,
// DCS, SOS, PM and APC strings up to BEL or ST "ESC \"; any other ESC with its intermediate bytes
// and final character, e.g. "ESC ( B"),
// the C1 controls U+0080-U+009F (an 8-bit CSI U+009B with its parameters), DEL, and every C0
// control but tab and newline. A form feed is not text either, but it separates pages: paragraph
// splitting (paragraphs.h) cuts at it before this runs. The input must be valid UTF-8; the output
// is too.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

// A run of kept bytes: `length` bytes at `source` in the input, appended in order to the output.
struct KeptSpan {
  std::size_t source = 0;
  std::size_t length = 0;
};

// `text` without control sequences. When `kept` is given, it receives the kept runs, so that a
// caller can map output positions back to input positions.
std::string strip_control_characters(std::string_view text, std::vector<KeptSpan>* kept = nullptr);

}  // namespace palimpsest

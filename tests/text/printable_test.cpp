// Text from outside on a terminal or in a log: escaped, capped, never able to break a line or
// drive the terminal (issue 15.10).
#include <gtest/gtest.h>

#include "indexer/text/printable.h"
#include "indexer/text/utf8.h"

namespace palimpsest {
namespace {

TEST(Printable, KeepsPrintableUtf8AndEscapesControlsAndInvalidBytes) {
  EXPECT_EQ(printable("café 東京 🎬 a\\b"), "café 東京 🎬 a\\b");
  EXPECT_EQ(printable("line\nnext\r\tend"), "line\\nnext\\r\\tend");
  EXPECT_EQ(printable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(printable(std::string("nul\0bell\a", 9)), "nul\\x00bell\\x07");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(printable("bad\xffname"), "bad\\xffname");
  EXPECT_EQ(printable("cut \xe6\x9d"), "cut \\xe6\\x9d");           // a sequence cut off
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                  // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");          // a UTF-16 surrogate
  EXPECT_EQ(printable("c1 \xc2\x9b" "31m"), "c1 \\x9b31m");           // U+009B: the 8-bit CSI
  EXPECT_EQ(printable("evil\xe2\x80\xaegnp.exe"), "evil\\u{202e}gnp.exe");  // right-to-left override
  EXPECT_EQ(printable("a\xe2\x80\xa8" "b"), "a\\u{2028}b");          // line separator
}

TEST(Printable, OutputIsValidUtf8WithoutControlsAndEscapingIsIdempotent) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  all += "\xe2\x80\xae\xf0\x9f\x8e\xac\xe6\x9d";
  const std::string out = printable(all);
  EXPECT_FALSE(find_invalid_utf8(out));
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int(c);
  EXPECT_EQ(printable(out), out);
}

TEST(Printable, ExcerptCapsLongTextAndKeepsTheFocusInView) {
  const std::string text = std::string(5000, 'a') + "X" + std::string(5000, 'b');
  EXPECT_EQ(printable_excerpt("short", 10), "short");
  const std::string head = printable_excerpt(text, 20);
  EXPECT_EQ(head, std::string(20, 'a') + "…");
  const std::string around = printable_excerpt(text, 20, 5000);
  EXPECT_EQ(around, "…" + std::string(10, 'a') + "X" + std::string(9, 'b') + "…");
  // Never cut inside a character; escapes count as one character.
  const std::string wide = printable_excerpt("ééééé\n\n\n", 6);
  EXPECT_EQ(wide, "ééééé\\n…");
  EXPECT_FALSE(find_invalid_utf8(printable_excerpt(std::string(30, '\xc3') + "\xa9", 7, 25)));
  EXPECT_EQ(quoted_excerpt(std::string(100, 'z'), 5), "\"zzzzz…\"");
}

TEST(Utf8, SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length(""), 0u);
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("é!"), 2u);
  EXPECT_EQ(utf8_sequence_length("東"), 3u);
  EXPECT_EQ(utf8_sequence_length("🎬"), 4u);
  EXPECT_EQ(utf8_sequence_length("\x80"), 0u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  bool cut = false;
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x8e", &cut), 0u);
  EXPECT_TRUE(cut);
  EXPECT_EQ(utf8_sequence_length("\xf0\x41", &cut), 0u);
  EXPECT_FALSE(cut);
  // find_invalid_utf8 still reads a stream chunk by chunk.
  EXPECT_FALSE(find_invalid_utf8("ok \xf0\x9f\x8e", /*allow_truncated_tail=*/true));
  EXPECT_EQ(find_invalid_utf8("ok \xf0\x9f\x8e"), 3u);
}

}  // namespace
}  // namespace palimpsest

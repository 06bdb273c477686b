#include "indexer/text/control_characters.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

TEST(ControlCharacters, AnsiSequencesAndControlsAreRemovedTabsAndNewlinesKept) {
  EXPECT_EQ(strip_control_characters("\x1b[1;31mred\x1b[0m alert"), "red alert");
  EXPECT_EQ(strip_control_characters("\x1b]0;window title\x07prompt$ ls"), "prompt$ ls");  // OSC up to BEL
  EXPECT_EQ(strip_control_characters("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b"), "alinkb");  // OSC up to ST
  EXPECT_EQ(strip_control_characters("x\x1b(By"), "xy");  // ESC and one character
  EXPECT_EQ(strip_control_characters("bell\x07 back\x08space\x7f"), "bell backspace");
  EXPECT_EQ(strip_control_characters("tab\there\nnext\r"), "tab\there\nnext");
  EXPECT_EQ(strip_control_characters("c1\xc2\x85 csi\xc2\x9b" "2Jdone"), "c1 csidone");
  EXPECT_EQ(strip_control_characters("é\x1b[Kà"), "éà");  // code points around are untouched
  EXPECT_EQ(strip_control_characters("cut off \x1b["), "cut off ");
  EXPECT_EQ(strip_control_characters(""), "");
}

TEST(ControlCharacters, KeptSpansMapTheOutputBackToTheInput) {
  const std::string in = "\x1b[1mbold\x1b[0m and plain";
  std::vector<KeptSpan> kept;
  const std::string out = strip_control_characters(in, &kept);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(in.substr(kept[0].source, kept[0].length), "bold");
  EXPECT_EQ(in.substr(kept[1].source, kept[1].length), " and plain");
  EXPECT_EQ(out, "bold and plain");
}

}  // namespace
}  // namespace palimpsest

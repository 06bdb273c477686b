#include "retrieval/timeline/plain_text.h"

#include <gtest/gtest.h>

#include "retrieval/timeline/manuscript_error.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

TEST(PlainText, OneParagraphPerBlankLineSeparatedBlock) {
  const auto p = parse_plain_text(
      "\n"
      "A quiet harbour at dawn.\n"     // 2
      "Gulls circle.   \n"             // 3
      "\n"
      "  \t \n"                        // blank: spaces and tabs only
      "   Indented second paragraph.\n"  // 6
      "\n\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].text, "A quiet harbour at dawn.\nGulls circle.");
  EXPECT_EQ(p[0].line, 2);
  EXPECT_EQ(p[0].end_line, 3);
  EXPECT_EQ(p[0].column, 1);
  EXPECT_EQ(p[1].text, "Indented second paragraph.");
  EXPECT_EQ(p[1].line, 6);
  EXPECT_EQ(p[1].column, 4);
}

TEST(PlainText, LineEndingsAndBom) {
  const auto p = parse_plain_text("\xEF\xBB\xBFOne\r\ntwo\r\n\r\nThree\rfour\r\rFive");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].text, "One\ntwo");
  EXPECT_EQ(p[1].text, "Three\nfour");
  EXPECT_EQ(p[1].line, 4);
  EXPECT_EQ(p[2].text, "Five");
  EXPECT_EQ(p[2].line, 7);
}

TEST(PlainText, EmptyInput) {
  EXPECT_TRUE(parse_plain_text("").empty());
  EXPECT_TRUE(parse_plain_text("\n \n\t\n").empty());
}

TEST(PlainText, ColumnsCountCodePoints) {
  const auto p = parse_plain_text("\n\t\tÉté.\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].column, 3);
  EXPECT_EQ(p[0].text, "Été.");
}

TEST(PlainText, InvalidUtf8IsAnErrorWithPosition) {
  try {
    parse_plain_text("fine\n\nnaïve \xE2\x82 text\n", "notes.txt");
    FAIL();
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(error.file, "notes.txt");
    EXPECT_EQ(error.line, 3);
    EXPECT_EQ(error.column, 7);
    EXPECT_EQ(std::string(error.what()), "notes.txt:3:7: invalid UTF-8");
  }
}

TEST(PlainText, EnormousLineIsAnError) {
  try {
    parse_plain_text("x\n" + std::string(100000, 'y'), "big.txt");
    FAIL();
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(error.line, 2);
    EXPECT_NE(error.message.find("longer than"), std::string::npos);
  }
}

TEST(PlainText, Files) {
  testing::TempDir dir;
  testing::write_file(dir / "story.txt", "First.\n\nSecond.\n");
  const auto p = parse_plain_text_file(dir / "story.txt");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].line, 3);
  EXPECT_THROW(parse_plain_text_file(dir / "missing.txt"), ManuscriptError);
  EXPECT_THROW(parse_plain_text_file(dir.path()), ManuscriptError);
}

}  // namespace
}  // namespace palimpsest

#include "indexer/text/paragraphs.h"

#include <sstream>

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

std::vector<Paragraph> split(const std::string& text, ParagraphOptions options = {}) {
  std::istringstream in(text);
  std::vector<Paragraph> out;
  split_paragraphs(in, [&](Paragraph&& p) { out.push_back(std::move(p)); }, options);
  return out;
}

TEST(Paragraphs, BlankLinesSeparateParagraphsWithOffsets) {
  const std::string text = "First line\nsame paragraph\n\n  \nSecond é paragraph\n";
  auto ps = split(text);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].text, "First line\nsame paragraph");
  EXPECT_EQ(ps[0].byte_offset, 0);
  EXPECT_EQ(ps[0].line, 1);
  EXPECT_EQ(ps[1].text, "Second é paragraph");
  EXPECT_EQ(ps[1].line, 5);
  EXPECT_EQ(text.substr(ps[1].byte_offset, ps[1].byte_length), "Second é paragraph");
  EXPECT_EQ(ps[1].char_offset, static_cast<std::int64_t>(ps[1].byte_offset));  // all ASCII before
}

TEST(Paragraphs, CharacterOffsetsCountCodePoints) {
  const std::string text = "ééé\n\nzzz";
  auto ps = split(text);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[1].byte_offset, 8);
  EXPECT_EQ(ps[1].char_offset, 5);
}

TEST(Paragraphs, CrlfAndBomAreHandled) {
  auto ps = split("\xEF\xBB\xBFone\r\ntwo\r\n\r\nthree\r\n");
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].text, "one\ntwo");
  EXPECT_EQ(ps[0].byte_offset, 3);
  EXPECT_EQ(ps[1].text, "three");
}

TEST(Paragraphs, MarkdownHeadingsAreRememberedForFollowingParagraphs) {
  auto ps = split("# Harbour\nThe boats.\n\nMore boats.\n\n## Night\nStars.\n");
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].heading, "Harbour");
  EXPECT_EQ(ps[1].heading, "Harbour");
  EXPECT_EQ(ps[2].heading, "Night");
}

TEST(Paragraphs, InvalidUtf8IsAnErrorWithLineAndColumn) {
  try {
    split("ok\nab\xC3(zz\n");
    FAIL() << "accepted invalid UTF-8";
  } catch (const TextFormatError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 3);
  }
}

TEST(Paragraphs, NulBytesAreRejected) { EXPECT_THROW(split(std::string("a\0b", 3)), TextFormatError); }

TEST(Paragraphs, OversizedParagraphsAreCutAtWordsWithBoundedMemory) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "wordé ";  // one 140 kB paragraph, no newline
  ParagraphOptions options;
  options.max_paragraph_bytes = 4096;
  auto ps = split(text, options);
  ASSERT_GT(ps.size(), 30u);
  std::int64_t expected_offset = 0;
  for (const auto& p : ps) {
    EXPECT_LE(p.text.size(), options.max_paragraph_bytes);
    EXPECT_EQ(p.byte_offset, expected_offset);
    expected_offset += p.byte_length;
    EXPECT_NE(p.text.back(), ' ');
  }
}

TEST(Paragraphs, InvalidUtf8DeepInsideAVeryLongLineReportsItsColumn) {
  std::string text(100000, 'a');
  text += "\xFF";
  try {
    split(text);
    FAIL();
  } catch (const TextFormatError& e) {
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 100001);
  }
}

}  // namespace
}  // namespace palimpsest

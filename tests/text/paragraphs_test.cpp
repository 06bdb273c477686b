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

TEST(Paragraphs, SeparatorLinesAndFormFeedsEndParagraphsAndBelongToNone) {
  const std::string text =
      "A fortune.\n%\nAnother one,\ntwo lines.\n%\nScene one.\n* * *\nScene two.\n---\n"
      "Page one ends\fpage two begins\n***\n=====\n% not a separator\n";
  const auto ps = split(text);
  std::vector<std::string> texts;
  for (const Paragraph& p : ps) texts.push_back(p.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"A fortune.", "Another one,\ntwo lines.", "Scene one.", "Scene two.",
                                              "Page one ends", "page two begins", "% not a separator"}));
  // The part after a form feed starts at its own byte.
  EXPECT_EQ(text.substr(ps[5].byte_offset, ps[5].byte_length), "page two begins");
  EXPECT_EQ(ps[5].line, ps[4].line);
  // "**" and "--" are text, not separators.
  EXPECT_EQ(split("a\n**\nb\n").size(), 1u);
}

TEST(Paragraphs, ControlSequencesAreRemovedAndRangesStayTheFiles) {
  const std::string text = "\x1b[1mTitle\x1b[0m\n\x1b[0m\n\x1b[31mred\x1b[0m words\x07 here\n";
  const auto ps = split(text);
  ASSERT_EQ(ps.size(), 2u);  // the line of only an escape is blank
  EXPECT_EQ(ps[0].text, "Title");
  EXPECT_EQ(ps[1].text, "red words here");
  EXPECT_EQ(text.substr(ps[1].byte_offset, ps[1].byte_length), std::string("\x1b[31mred\x1b[0m words\x07 here").substr(5));
  EXPECT_EQ(paragraph_position(ps[1], 4).byte, static_cast<std::int64_t>(text.find("words")));
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

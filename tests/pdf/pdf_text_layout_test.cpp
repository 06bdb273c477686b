#include "indexer/pdf/pdf_text_layout.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

// Words of one line at `y` (top) with height `h`, each 6 pt per character and 3 pt apart.
std::vector<PdfWord> line_words(const std::string& text, double x, double y, double h = 12) {
  std::vector<PdfWord> words;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    words.push_back({word, {x, y, 6.0 * word.size(), h}, end < text.size()});
    x += 6.0 * word.size() + 3;
    start = end + 1;
  }
  return words;
}

std::vector<PdfParagraph> layout(const std::vector<std::vector<PdfWord>>& lines) {
  std::vector<PdfWord> words;
  for (const auto& line : lines) words.insert(words.end(), line.begin(), line.end());
  return group_paragraphs(group_lines(words), 7);
}

std::vector<std::string> texts(const std::vector<PdfParagraph>& paragraphs) {
  std::vector<std::string> out;
  for (const PdfParagraph& paragraph : paragraphs) out.push_back(paragraph.text);
  return out;
}

TEST(PdfTextLayout, WordsJoinIntoLinesAndLinesIntoParagraphs) {
  const auto paragraphs = layout({line_words("the tide was out", 72, 100),
                                  line_words("and the boats lay", 72, 114),
                                  line_words("on their sides.", 72, 128),
                                  line_words("Gulls waited.", 72, 156)});
  EXPECT_EQ(texts(paragraphs),
            (std::vector<std::string>{"the tide was out\nand the boats lay\non their sides.",
                                      "Gulls waited."}));
  EXPECT_EQ(paragraphs[0].page, 7);
  EXPECT_EQ(paragraphs[0].lines.size(), 3u);
  EXPECT_DOUBLE_EQ(paragraphs[0].box.y, 100);
  EXPECT_DOUBLE_EQ(paragraphs[0].box.bottom(), 140);
}

TEST(PdfTextLayout, HeadingsIndentsAndColumnsStartParagraphs) {
  EXPECT_EQ(texts(layout({line_words("CHAPTER ONE", 72, 80, 20), line_words("It rained.", 72, 104)})),
            (std::vector<std::string>{"CHAPTER ONE", "It rained."}));
  EXPECT_EQ(texts(layout({line_words("It rained all day", 72, 100), line_words("long.", 72, 114),
                          line_words("Then it stopped.", 96, 128)})),
            (std::vector<std::string>{"It rained all day\nlong.", "Then it stopped."}));
  // poppler gives the left column, then the right one, starting again at the top.
  EXPECT_EQ(texts(layout({line_words("left one", 72, 100), line_words("left two", 72, 114),
                          line_words("right one", 320, 100), line_words("right two", 320, 114)})),
            (std::vector<std::string>{"left one\nleft two", "right one\nright two"}));
}

TEST(PdfTextLayout, BrokenWordsAreJoinedAndGluedPiecesStayGlued) {
  std::vector<PdfWord> first = line_words("the har-", 72, 100);
  EXPECT_EQ(texts(layout({first, line_words("bour master", 72, 114)})),
            (std::vector<std::string>{"the harbour master"}));
  EXPECT_EQ(texts(layout({line_words("cost 12-", 72, 100), line_words("14 francs", 72, 114)})),
            (std::vector<std::string>{"cost 12-\n14 francs"}));
  // A word poppler splits at a font change, with no space and no gap, stays one word.
  std::vector<PdfWord> glued = {{"Har", {72, 100, 18, 12}, false}, {"bour", {90, 100, 24, 12}, false}};
  EXPECT_EQ(texts(layout({glued})), (std::vector<std::string>{"Harbour"}));
}

TEST(PdfTextLayout, ReadableCharactersIgnoreWhatFontsWithoutUnicodeMapsYield) {
  EXPECT_EQ(readable_characters("Page 12."), 6);
  EXPECT_EQ(readable_characters("Gr\xC3\xB6\xC3\x9F" "e"), 5);
  EXPECT_EQ(readable_characters("\xEE\x80\x81\xEE\x80\x82\xEF\xBF\xBD"), 0);  // U+E001 U+E002 U+FFFD
  EXPECT_EQ(readable_characters("\x01\x02 -- !"), 0);
}

}  // namespace
}  // namespace palimpsest

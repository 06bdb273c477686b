#include "indexer/text/passages.h"

#include <sstream>

#include <gtest/gtest.h>

#include "indexer/text/control_characters.h"

namespace palimpsest {
namespace {

std::vector<Paragraph> split(const std::string& text) {
  std::istringstream in(text);
  std::vector<Paragraph> out;
  split_paragraphs(in, [&](Paragraph&& p) { out.push_back(std::move(p)); });
  return out;
}

std::string words(int from, int to) {  // "w<from> ... w<to - 1>"
  std::string out;
  for (int i = from; i < to; ++i) out += (out.empty() ? "w" : " w") + std::to_string(i);
  return out;
}

TEST(Passages, AShortParagraphIsOnePassage) {
  const auto ps = split("\n\nA short paragraph of six words.\n");
  const auto passages = split_passages(ps.at(0));
  ASSERT_EQ(passages.size(), 1u);
  EXPECT_EQ(passages[0].text, ps[0].text);
  EXPECT_EQ(passages[0].byte_offset, 2);
  EXPECT_EQ(passages[0].byte_length, ps[0].byte_length);
}

TEST(Passages, LongParagraphsAreCutWithOverlapEachKeepingItsBytesInTheFile) {
  // 100 words over several CRLF lines, with a colour escape and a multi-byte character before.
  std::string text = "é intro\r\n\r\n";
  for (int line = 0; line < 10; ++line) text += "\x1b[32m" + words(line * 10, line * 10 + 10) + "\x1b[0m  \r\n";
  const auto ps = split(text);
  ASSERT_EQ(ps.size(), 2u);
  const auto passages = split_passages(ps[1], {48, 12});
  ASSERT_EQ(passages.size(), 3u);  // words 0-47, 36-83, 72-99
  EXPECT_EQ(passages[0].text.substr(0, 6), "w0 w1 ");
  EXPECT_EQ(passages[1].text.substr(0, 8), "w36 w37 ");
  EXPECT_EQ(passages[2].text.substr(passages[2].text.size() - 7), "w98 w99");
  for (const Passage& p : passages) {
    // The file bytes of the passage hold exactly its words (and the escapes and CRLFs between).
    const std::string bytes = text.substr(static_cast<std::size_t>(p.byte_offset), static_cast<std::size_t>(p.byte_length));
    auto tokens = [](const std::string& t) {
      std::istringstream in(t);
      std::vector<std::string> out;
      for (std::string w; in >> w;) out.push_back(w);
      return out;
    };
    EXPECT_EQ(tokens(strip_control_characters(bytes)), tokens(p.text));
    EXPECT_EQ(bytes.find("w"), 0u) << bytes;
    // One code point (é) is two bytes before the paragraph: chars are one less than bytes.
    EXPECT_EQ(p.char_offset, p.byte_offset - 1);
  }
  EXPECT_THROW(split_passages(ps[1], {10, 10}), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest

#include "indexer/speech/transcript_words.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

std::vector<SpokenWord> words_of(const std::vector<std::string>& texts) {
  std::vector<SpokenWord> words;
  for (const std::string& text : texts) words.push_back({text, 0, 10, 0.5});
  return words;
}

TEST(TranscriptWords, MarkersNoiseAndFillersAreNotWords) {
  for (const char* token : {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "++BREATH++", "+UM+", ""})
    EXPECT_TRUE(is_filler_token(token)) << token;
  for (const char* token : {"and", "o'clock", "mr", "a", "dashwood(2)"}) EXPECT_FALSE(is_filler_token(token)) << token;
}

TEST(TranscriptWords, PronunciationVariantSuffixesAreStripped) {
  EXPECT_EQ(strip_pronunciation_variant("and(2)"), "and");
  EXPECT_EQ(strip_pronunciation_variant("leisure(12)"), "leisure");
  EXPECT_EQ(strip_pronunciation_variant("read"), "read");
  // Only a parenthesised number at the end is a variant suffix.
  EXPECT_EQ(strip_pronunciation_variant("(2)"), "(2)");
  EXPECT_EQ(strip_pronunciation_variant("word()"), "word()");
  EXPECT_EQ(strip_pronunciation_variant("word(a)"), "word(a)");
  EXPECT_EQ(strip_pronunciation_variant("word(2)x"), "word(2)x");
}

TEST(TranscriptWords, OneWordRepeatedIsDegenerate) {
  EXPECT_TRUE(is_degenerate_repetition(words_of({"her", "her", "her", "her", "here", "her"})));
  EXPECT_TRUE(is_degenerate_repetition(words_of({"if", "if", "if", "if", "if", "if", "if", "if"})));
  // Fewer than six words are never judged; ordinary sentences repeat function words only.
  EXPECT_FALSE(is_degenerate_repetition(words_of({"no", "no", "no", "no", "no"})));
  EXPECT_FALSE(is_degenerate_repetition(
      words_of({"he", "was", "not", "an", "ill", "disposed", "young", "man", "he", "was", "not"})));
}

}  // namespace
}  // namespace palimpsest

#include "indexer/speech/word_error_rate.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

TEST(WordErrorRate, CountsSubstitutionsDeletionsAndInsertions) {
  const WordErrors same = word_errors("he was not an ill disposed young man", "he was not an ill disposed young man");
  EXPECT_EQ(same.errors(), 0);
  EXPECT_EQ(same.reference_words, 8);
  EXPECT_DOUBLE_EQ(same.rate(), 0.0);

  // pocketsphinx_continuous's own output for this LibriVox recording: "ill disposed" heard as
  // "illness those", two substitutions.
  const WordErrors heard = word_errors("he was not an ill disposed young man", "he was not an illness those young man");
  EXPECT_EQ(heard.substitutions, 2);
  EXPECT_EQ(heard.deletions, 0);
  EXPECT_EQ(heard.insertions, 0);
  EXPECT_DOUBLE_EQ(heard.rate(), 2.0 / 8);

  const WordErrors deleted = word_errors("a b c d", "a c d");
  EXPECT_EQ(deleted.deletions, 1);
  EXPECT_EQ(deleted.errors(), 1);
  const WordErrors inserted = word_errors("a b c", "a x b c y");
  EXPECT_EQ(inserted.insertions, 2);
  EXPECT_EQ(inserted.errors(), 2);
  EXPECT_DOUBLE_EQ(inserted.rate(), 2.0 / 3);
}

TEST(WordErrorRate, EmptySidesAreAllDeletionsOrInsertions) {
  EXPECT_EQ(word_errors("one two three", "").deletions, 3);
  EXPECT_DOUBLE_EQ(word_errors("one two three", "").rate(), 1.0);
  EXPECT_EQ(word_errors("", "uh oh").insertions, 2);
  EXPECT_DOUBLE_EQ(word_errors("", "").rate(), 0.0);
}

TEST(WordErrorRate, NormalisesCasePunctuationAndSphinxMarkup) {
  EXPECT_EQ(normalise_words("<s> He said: \"Don't go!\" </s> (utt-0870)"),
            (std::vector<std::string>{"he", "said", "don't", "go"}));
  EXPECT_EQ(word_errors("The fox, the DOG.", "the fox the dog").errors(), 0);
  WordErrors total = word_errors("a b", "a c");
  total += word_errors("c d e", "c d e");
  EXPECT_EQ(total.reference_words, 5);
  EXPECT_DOUBLE_EQ(total.rate(), 1.0 / 5);
}

}  // namespace
}  // namespace palimpsest

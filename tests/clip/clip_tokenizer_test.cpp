// CLIP BPE tokenizer and text normalisation against OpenAI's SimpleTokenizer (fixture ids).

#include <zlib.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/clip_text.h"
#include "indexer/clip/clip_tokenizer.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using testing::fixture_dir;
using testing::TempDir;

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(ClipTokenizer, MatchesOpenAiIdsForEveryFixtureCase) {
  const auto dir = fixture_dir("clip");
  const ClipBpeTokenizer tokenizer(dir / "bpe_simple_vocab_16e6.txt.gz");
  const auto cases = read_json(dir / "tokenizer_cases.json");
  ASSERT_GE(cases.size(), 10u);
  bool saw_truncation = false;
  for (const auto& c : cases) {
    const std::string text = c["text"];
    SCOPED_TRACE(text);
    const std::vector<int> bpe = c["bpe"];
    const std::vector<std::int64_t> ids77 = c["ids77"];
    EXPECT_EQ(tokenizer.encode(text), bpe);
    const TokenizedText row = tokenizer.tokenize(text, 77);
    EXPECT_EQ(row.ids, ids77);
    // The end-of-text position is the row's argmax, as OpenAI's model reads it.
    const auto argmax = std::max_element(ids77.begin(), ids77.end()) - ids77.begin();
    EXPECT_EQ(row.eot, argmax);
    EXPECT_EQ(row.ids[row.eot], ClipBpeTokenizer::kEndToken);
    if (bpe.size() + 2 > 77) {
      saw_truncation = true;
      EXPECT_EQ(row.ids.back(), ClipBpeTokenizer::kEndToken);
      EXPECT_EQ(row.eot, 76);
    }
  }
  EXPECT_TRUE(saw_truncation) << "the fixture's long case should truncate";
}

TEST(ClipTokenizer, ContextLengthPaddingAndDecode) {
  const auto dir = fixture_dir("clip");
  const ClipBpeTokenizer tokenizer(dir / "bpe_simple_vocab_16e6.txt.gz");
  const TokenizedText row = tokenizer.tokenize("a dog", 8);
  EXPECT_EQ(row.ids, (std::vector<std::int64_t>{49406, 320, 1929, 49407, 0, 0, 0, 0}));
  EXPECT_EQ(row.eot, 3);
  const TokenizedText cut = tokenizer.tokenize("a photo of a red circle", 4);
  EXPECT_EQ(cut.ids, (std::vector<std::int64_t>{49406, 320, 1125, 49407}));
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("A Photo of a   cat!")), "a photo of a cat ! ");
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("naïve café 🎬")), "naïve café 🎬 ");
  EXPECT_EQ(tokenizer.encode("<|endoftext|>"), std::vector<int>{49407});
  EXPECT_EQ(tokenizer.encode(""), std::vector<int>{});
  EXPECT_THROW(tokenizer.tokenize("x", 1), TokenizerError);
  EXPECT_THROW(tokenizer.decode({49408}), TokenizerError);
}

TEST(ClipTokenizer, HtmlEntitiesAreUnescapedTwice) {
  const auto dir = fixture_dir("clip");
  const ClipBpeTokenizer tokenizer(dir / "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(tokenizer.encode("fish &amp; chips"), tokenizer.encode("fish & chips"));
  EXPECT_EQ(tokenizer.encode("fish &amp;amp; chips"), tokenizer.encode("fish & chips"));
  EXPECT_EQ(tokenizer.encode("caf&eacute;"), tokenizer.encode("café"));
  EXPECT_EQ(tokenizer.encode("don\u2019t"), tokenizer.encode("don't"));
}

TEST(ClipTokenizer, BadFilesGiveClearErrors) {
  TempDir tmp;
  try {
    ClipBpeTokenizer t(tmp / "missing.txt.gz");
    FAIL() << "no error for a missing merges file";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.txt.gz"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
  // A gzip file that is not a merges list.
  const auto small = tmp / "small.txt.gz";
  gzFile gz = gzopen(small.c_str(), "wb");
  gzputs(gz, "#version: 0.2\na b\nc d\n");
  gzclose(gz);
  try {
    ClipBpeTokenizer t(small);
    FAIL() << "no error for a short merges file";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("not a CLIP BPE merges file"), std::string::npos)
        << e.what();
  }
  // A truncated gzip stream.
  const auto dir = fixture_dir("clip");
  const std::string full = testing::read_file(dir / "bpe_simple_vocab_16e6.txt.gz");
  const auto cut = tmp / "cut.txt.gz";
  testing::write_file(cut, full.substr(0, full.size() / 2));
  EXPECT_THROW(ClipBpeTokenizer{cut}, TokenizerError);
}

TEST(ClipTokenizer, UnknownKindNamesTheConfigFile) {
  try {
    make_text_tokenizer("wordpiece", "vocab.txt", "/models/x/model.json");
    FAIL() << "no error for an unknown tokenizer kind";
  } catch (const TokenizerError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/models/x/model.json"), std::string::npos) << what;
    EXPECT_NE(what.find("wordpiece"), std::string::npos) << what;
  }
}

TEST(ClipText, SplitsLikeTheClipPattern) {
  using clip::clip_clean_text;
  using clip::clip_split_words;
  using V = std::vector<std::string>;
  EXPECT_EQ(clip_split_words(clip_clean_text("don't stop!!!")), (V{"don", "'t", "stop", "!!!"}));
  EXPECT_EQ(clip_split_words(clip_clean_text("the year 1929, archive")),
            (V{"the", "year", "1", "9", "2", "9", ",", "archive"}));
  EXPECT_EQ(clip_split_words(clip_clean_text("a<|endoftext|>b")),
            (V{"a", "<|endoftext|>", "b"}));
  EXPECT_EQ(clip_split_words(clip_clean_text("we'll  ''s")), (V{"we", "'ll", "''", "s"}));
  EXPECT_EQ(clip_split_words(clip_clean_text("Straße ΟΔΟΣ 東京")),
            (V{"straße", "οδος", "東京"}));
}

TEST(ClipText, CleaningAndUnicodeClasses) {
  using clip::u32_to_utf8;
  EXPECT_EQ(u32_to_utf8(clip::clip_clean_text("  multiple \t spaces\n\u00a0and\u3000more  ")),
            "multiple spaces and more");
  EXPECT_EQ(u32_to_utf8(clip::clip_clean_text("ÀÉÎ İ ΣΑΣ")), "àéî i̇ σας");
  EXPECT_EQ(clip::html_unescape("&lt;b&gt; &#65;&#x42; &amp &copy; &unknown; &#0;"),
            "<b> AB & © &unknown; \uFFFD");
  EXPECT_EQ(clip::html_unescape("&#150; &notit;"), "\u2013 ¬it;");
  EXPECT_TRUE(clip::is_letter(U'é'));
  EXPECT_TRUE(clip::is_letter(U'東'));
  EXPECT_FALSE(clip::is_letter(U'1'));
  EXPECT_TRUE(clip::is_number(U'٣'));  // Arabic-Indic digit three
  EXPECT_TRUE(clip::is_number(U'½'));
  EXPECT_FALSE(clip::is_letter(U'🎬'));
  EXPECT_TRUE(clip::is_space(U'\u2003'));
  // Invalid UTF-8 becomes U+FFFD rather than failing.
  EXPECT_EQ(clip::utf8_to_u32("a\xff" "b"), U"a\uFFFDb");
}

}  // namespace
}  // namespace palimpsest

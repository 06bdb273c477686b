// sentencepiece through its dlmopen'ed plugin, in a process that also runs libtorch (this test
// binary links libtorch with libprotobuf first, the set-up in which linking sentencepiece directly
// crashes or aborts).

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/clip_tokenizer.h"
#include "indexer/clip/sentencepiece_tokenizer.h"
#include "indexer/runtime/runtime_info.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

fs::path write_corpus(const TempDir& tmp) {
  const fs::path path = tmp / "corpus.txt";
  std::ofstream out(path);
  const char* colours[] = {"red", "blue", "green", "grey", "amber"};
  const char* shapes[] = {"circle", "square", "triangle", "ribbon"};
  const char* places[] = {"over the sea", "in the desert", "at night", "on a rooftop"};
  for (int i = 0; i < 400; ++i) {
    out << "a " << colours[i % 5] << " " << shapes[(i / 5) % 4] << " " << places[(i / 20) % 4]
        << " number " << i % 13 << "\n";
  }
  return path;
}

fs::path train_tiny(const TempDir& tmp, int vocab_size = 40) {
  SentencePieceTrainOptions options;
  options.inputs = {write_corpus(tmp)};
  options.model_prefix = tmp / "tiny";
  options.vocab_size = vocab_size;
  return train_sentencepiece(options);
}

TEST(SentencePiece, TrainsEncodesAndDecodesAlongsideTorch) {
  // libtorch first (thread pool, version info), then sentencepiece, then libtorch again.
  const std::string before = runtime_versions();
  ASSERT_NE(before.find("libtorch"), std::string::npos);

  TempDir tmp;
  const fs::path model = train_tiny(tmp);
  ASSERT_TRUE(fs::exists(model));
  EXPECT_TRUE(fs::exists(tmp / "tiny.vocab"));

  auto sp = SentencePieceTokenizer::load(model);
  EXPECT_EQ(sp->piece_size(), 40);
  EXPECT_EQ(sp->unk_id(), 0);
  EXPECT_EQ(sp->bos_id(), 1);
  EXPECT_EQ(sp->eos_id(), 2);
  EXPECT_EQ(sp->pad_id(), -1);
  const std::string text = "a green triangle over the sea at night number 7";
  const std::vector<int> ids = sp->encode(text);
  ASSERT_FALSE(ids.empty());
  for (int id : ids) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 40);
  }
  EXPECT_LT(ids.size(), text.size()) << "pieces should merge characters";
  EXPECT_EQ(sp->decode(ids), text);
  EXPECT_EQ(sp->id_to_piece(sp->eos_id()), "</s>");
  EXPECT_THROW(sp->decode({40}), TokenizerError);
  EXPECT_THROW(sp->id_to_piece(-3), TokenizerError);
  EXPECT_TRUE(sp->encode("").empty());
  // Long input: more ids than the first buffer guess is never a problem.
  std::string long_text = "red";
  for (int i = 0; i < 300; ++i) long_text += " a blue ribbon 9";
  const auto long_ids = sp->encode(long_text);
  EXPECT_GT(long_ids.size(), 300u);
  EXPECT_EQ(sp->decode(long_ids), long_text);

  EXPECT_EQ(runtime_versions(), before);
}

TEST(SentencePiece, AsClipTextTokenizer) {
  TempDir tmp;
  const fs::path model = train_tiny(tmp);
  const SentencePieceTextTokenizer tok(model, /*add_bos=*/false, /*add_eos=*/true);
  EXPECT_EQ(tok.vocab_size(), 40);
  const auto sp = SentencePieceTokenizer::load(model);
  const auto pieces = sp->encode("a red circle");
  const TokenizedText row = tok.tokenize("a red circle", 16);
  ASSERT_EQ(row.ids.size(), 16u);
  EXPECT_EQ(row.eot, static_cast<int>(pieces.size()));
  EXPECT_EQ(row.ids[row.eot], 2);  // </s>
  for (std::size_t i = 0; i < pieces.size(); ++i) EXPECT_EQ(row.ids[i], pieces[i]);
  for (std::size_t i = pieces.size() + 1; i < 16; ++i) EXPECT_EQ(row.ids[i], 0);
  // Truncation keeps the end token.
  const TokenizedText cut = tok.tokenize("a red circle over the sea at night number 12", 4);
  EXPECT_EQ(cut.ids.size(), 4u);
  EXPECT_EQ(cut.ids[3], 2);
  EXPECT_EQ(cut.eot, 3);
  // Through the factory, as model.json names it.
  auto made = make_text_tokenizer("sentencepiece", model, tmp / "model.json");
  EXPECT_EQ(made->kind(), "sentencepiece");
  EXPECT_EQ(made->tokenize("a red circle", 16).ids, row.ids);
}

TEST(SentencePiece, BadFilesGiveClearErrors) {
  TempDir tmp;
  try {
    SentencePieceTokenizer::load(tmp / "absent.model");
    FAIL();
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.model"), std::string::npos) << e.what();
  }
  testing::write_file(tmp / "garbage.model", "this is not a protobuf model at all");
  try {
    SentencePieceTokenizer::load(tmp / "garbage.model");
    FAIL();
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("garbage.model"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a usable sentencepiece model"), std::string::npos)
        << e.what();
  }
  SentencePieceTrainOptions options;
  options.inputs = {tmp / "no-corpus.txt"};
  options.model_prefix = tmp / "m";
  EXPECT_THROW(train_sentencepiece(options), TokenizerError);
  // A vocabulary far larger than the corpus supports: sentencepiece's own error comes back.
  options.inputs = {write_corpus(tmp)};
  options.vocab_size = 100000;
  try {
    train_sentencepiece(options);
    FAIL();
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("sentencepiece training failed"), std::string::npos)
        << e.what();
  }
}

TEST(SentencePiece, PluginPathHonoursTheEnvironment) {
  const fs::path found = sentencepiece_plugin_path();
  EXPECT_TRUE(fs::exists(found)) << found;
  EXPECT_EQ(found.filename(), kSentencePiecePluginFile);
  TempDir tmp;
  const std::string missing = (tmp / "nope.so").string();
  ::setenv(kSentencePiecePluginEnv, missing.c_str(), 1);
  try {
    sentencepiece_plugin_path();
    ADD_FAILURE() << "no error for a missing plugin";
  } catch (const ClipError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  ::setenv(kSentencePiecePluginEnv, found.c_str(), 1);
  EXPECT_EQ(sentencepiece_plugin_path(), found);
  ::unsetenv(kSentencePiecePluginEnv);
}

}  // namespace
}  // namespace palimpsest

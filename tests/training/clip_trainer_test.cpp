// `palimpsest train`'s trainer on a tiny configuration (the loss falls, runs repeat exactly, the
// saved folder reloads through ClipEncoder with the same embeddings), its data split and
// retrieval metric, and the committed palimpsest-tiny model on combinations it never saw.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/training/clip_train_data.h"
#include "indexer/training/clip_trainer.h"
#include "indexer/runtime/runtime_info.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// Seconds, not minutes: 16 px images, one layer per tower, a few hundred pairs.
ClipTrainConfig tiny_config() {
  ClipTrainConfig c;
  c.name = "tiny-test";
  c.image_size = 16;
  c.patch_size = 8;
  c.vision_width = 32;
  c.vision_layers = 1;
  c.vision_heads = 2;
  c.text_width = 32;
  c.text_layers = 1;
  c.text_heads = 2;
  c.context_length = 32;
  c.embed_dim = 16;
  c.vocab_size = 64;
  c.train_pairs = 256;
  c.eval_pairs = 32;
  c.batch_size = 32;
  c.steps = 40;
  c.warmup_steps = 5;
  c.learning_rate = 3e-3;
  c.seed = 11;
  return c;
}

double mean(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / (end - begin);
}

double max_abs_difference(const std::vector<std::vector<float>>& a,
                          const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      worst = std::max(worst, std::abs(double{a[i][k]} - b[i][k]));
    }
  }
  return worst;
}

TEST(ClipTrainer, LossFallsOnATinyConfiguration) {
  TempDir tmp;
  ClipTrainer trainer(tiny_config(), tmp.path());
  trainer.train();
  const auto& losses = trainer.report().losses;
  ASSERT_EQ(losses.size(), 40u);
  for (double l : losses) ASSERT_TRUE(std::isfinite(l));
  // ln(32) ~ 3.47 is chance for a batch of 32: an untrained model is no better (its random
  // features can make it worse).
  EXPECT_GT(mean(losses, 0, 3), std::log(32.0) - 0.3);
  EXPECT_LT(mean(losses, 35, 40), mean(losses, 0, 5) - 0.5)
      << "first " << mean(losses, 0, 5) << ", last " << mean(losses, 35, 40);
  EXPECT_EQ(trainer.report().steps_done, 40);
  EXPECT_GT(trainer.report().final_logit_scale, 1.0);
  EXPECT_LE(trainer.report().final_logit_scale, 100.0 + 1e-6);
}

TEST(ClipTrainer, SameSeedSameLosses) {
  ClipTrainConfig config = tiny_config();
  config.steps = 8;
  TempDir a_dir, b_dir, c_dir;
  ClipTrainer a(config, a_dir.path());
  a.train();
  ClipTrainer b(config, b_dir.path());
  b.train();
  EXPECT_EQ(a.report().losses, b.report().losses);
  config.seed += 1;
  ClipTrainer c(config, c_dir.path());
  c.train();
  EXPECT_NE(a.report().losses, c.report().losses);
}

TEST(ClipTrainer, SavedFolderReloadsWithTheSameEmbeddings) {
  TempDir work, out;
  ClipTrainConfig config = tiny_config();
  config.steps = 10;
  ClipTrainer trainer(config, work.path());
  trainer.train();
  trainer.evaluate();
  trainer.save(out.path());
  for (const char* file : {"model.safetensors", "model.json", "tokenizer.model",
                           "training_report.json"}) {
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;
  }

  auto encoder = ClipEncoder::load(out.path());
  EXPECT_EQ(encoder->info().name, "tiny-test");
  EXPECT_EQ(encoder->info().tokenizer, "sentencepiece");
  EXPECT_EQ(encoder->info().image_size, 16);
  EXPECT_EQ(encoder->info().embed_dim, 16);

  const std::vector<std::string> texts = {"a large red circle in the centre in the sky",
                                          "two small green squares on the left at night",
                                          "Three Large Blue Stars at the top in the snow",
                                          "a purple ring"};
  EXPECT_LT(max_abs_difference(trainer.encode_texts(texts), encoder->encode_texts(texts)), 1e-5);

  std::mt19937_64 rng(5);
  std::vector<RgbImage> images;
  for (int i = 0; i < 3; ++i) {
    images.push_back(demo::render_scene(demo::random_scene(rng), 64, 48, 0));
  }
  EXPECT_LT(max_abs_difference(trainer.encode_images(images), encoder->encode_images(images)),
            1e-5);

  std::ifstream in(out / "training_report.json");
  const auto report = nlohmann::json::parse(in);
  EXPECT_EQ(report["steps"], 10);
  EXPECT_EQ(report["retrieval"]["held_out_unseen_combinations"]["gallery"], 32);
  EXPECT_EQ(report["held_out_combinations"].size(), trainer.report().held_out_combinations.size());
}

TEST(ClipTrainer, RejectsUnusableConfigurations) {
  TempDir tmp;
  ClipTrainConfig c = tiny_config();
  c.patch_size = 5;  // 16 px is not a whole number of 5 px patches
  EXPECT_THROW(ClipTrainer(c, tmp.path()), std::invalid_argument);
  c = tiny_config();
  c.train_pairs = 8;  // fewer than a batch
  EXPECT_THROW(ClipTrainer(c, tmp.path()), std::invalid_argument);
}

TEST(ClipTrainData, HeldOutCombinationsNeverReachTraining) {
  const clip::HeldOutSplit split(7, 0.1);
  ASSERT_GE(split.held_out().size(), 20u);
  EXPECT_EQ(split.held_out(), clip::HeldOutSplit(7, 0.1).held_out());
  EXPECT_NE(split.held_out(), clip::HeldOutSplit(8, 0.1).held_out());
  for (const auto& c : split.held_out()) {
    EXPECT_FALSE(demo::low_contrast(c.background, c.colour)) << clip::describe(c);
  }
  std::mt19937_64 rng(3);
  for (const auto& s : clip::make_scenes(split, clip::SceneKind::Training, 500, rng)) {
    EXPECT_FALSE(split.touches(s.scene)) << s.caption;
    EXPECT_EQ(s.caption, demo::caption(s.scene));
  }
  for (const auto& s : clip::make_scenes(split, clip::SceneKind::HeldOut, 100, rng)) {
    EXPECT_TRUE(split.touches(s.scene)) << s.caption;
  }
}

TEST(ClipTrainData, RecallCountsIdenticalCaptionsAsHits) {
  // Texts and images on the axes; the third image is closer to the second text than its own.
  const std::vector<std::vector<float>> text = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  std::vector<std::vector<float>> image = {{1, 0, 0}, {0, 1, 0}, {0, 0.8f, 0.6f}};
  auto s = clip::retrieval_scores(text, image, {"a", "b", "c"});
  EXPECT_EQ(s.pairs, 3);
  EXPECT_DOUBLE_EQ(s.text_to_image.at1, 1.0);      // text "c" still finds its image first
  EXPECT_DOUBLE_EQ(s.image_to_text.at1, 2.0 / 3);  // image "c" finds text "b" first
  EXPECT_DOUBLE_EQ(s.image_to_text.at5, 1.0);
  // Same caption for the second and third pairs: either image answers either text.
  s = clip::retrieval_scores(text, image, {"a", "b", "b"});
  EXPECT_DOUBLE_EQ(s.image_to_text.at1, 1.0);
  EXPECT_THROW(clip::retrieval_scores(text, image, {"a"}), std::invalid_argument);
}

// The BLAS behind libtorch's matrix products is named (and shown by --version): a reference
// BLAS makes training and embedding about 10x slower, which users must be able to see.
TEST(RuntimeInfo, NamesTheLoadedBlas) {
  const std::string blas = blas_library();
  EXPECT_NE(blas, "unknown") << "no libblas among the loaded libraries";
  EXPECT_NE(runtime_versions().find("blas " + blas), std::string::npos);
  // scripts/setup.sh installs OpenBLAS; CI runs it, so CI must measure with it.
  if (std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true")
    EXPECT_EQ(blas.rfind("openblas", 0), 0u) << blas;
}

// The committed default model: captions of combinations it was never trained on must pick out
// their own image among a handful of other unseen-combination scenes, rendered at the demo
// archive's still size and downscaled by the preprocessing as at inference.
TEST(PalimpsestTiny, RanksHeldOutCaptionsFirst) {
  const fs::path dir = fs::path(PALIMPSEST_SOURCE_DIR) / "data/models/palimpsest-tiny";
  ASSERT_TRUE(fs::is_regular_file(dir / "model.json")) << dir << " is missing";
  auto encoder = ClipEncoder::load(dir);
  EXPECT_EQ(encoder->info().name, "palimpsest-tiny");
  EXPECT_EQ(encoder->info().tokenizer, "sentencepiece");

  // The combinations held out from its training, as its report lists them.
  std::ifstream in(dir / "training_report.json");
  const auto report = nlohmann::json::parse(in);
  std::vector<clip::Combination> held_out;
  auto find = [](const auto& values, const std::string& name) {
    for (auto v : values) {
      if (demo::word(v) == name) return v;
    }
    throw std::runtime_error("unknown word in the report: " + name);
  };
  for (const auto& c : report.at("held_out_combinations")) {
    held_out.push_back({find(demo::kColours, c.at("colour").get<std::string>()),
                        find(demo::kShapes, c.at("shape").get<std::string>()),
                        find(demo::kBackgrounds, c.at("background").get<std::string>())});
  }
  ASSERT_FALSE(held_out.empty());
  const clip::HeldOutSplit split(held_out);

  // A seed of its own: none of these scenes is in the training or evaluation sets.
  constexpr int kScenes = 12;
  std::mt19937_64 rng(20240601);
  const auto scenes = clip::make_scenes(split, clip::SceneKind::HeldOut, kScenes, rng);
  std::vector<std::string> captions;
  std::vector<RgbImage> images;
  for (const auto& s : scenes) {
    captions.push_back(s.caption);
    images.push_back(demo::render_scene(s.scene, 128, 128, s.noise_seed));
  }
  const auto text = encoder->encode_texts(captions);
  const auto image = encoder->encode_images(images);
  const auto scores = clip::retrieval_scores(text, image, captions);
  RecordProperty("text_to_image_r1", std::to_string(scores.text_to_image.at1));
  RecordProperty("image_to_text_r1", std::to_string(scores.image_to_text.at1));
  EXPECT_GE(scores.text_to_image.at1, 10.0 / kScenes);
  EXPECT_GE(scores.image_to_text.at1, 10.0 / kScenes);
  EXPECT_EQ(scores.text_to_image.at5, 1.0);
}

}  // namespace
}  // namespace palimpsest

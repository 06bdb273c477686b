// The native CLIP model against OpenAI's reference outputs (TorchScript and safetensors
// fixtures), architecture inference on other configurations, and loader errors.
// The only test file that includes torch.

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_error.h"
#include "indexer/clip/clip_model.h"
#include "indexer/clip/safetensors.h"
#include "indexer/clip/sentencepiece_tokenizer.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::fixture_dir;
using testing::TempDir;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

torch::Tensor json_tensor(const nlohmann::json& j) {
  std::vector<int64_t> shape;
  const nlohmann::json* level = &j;
  while (level->is_array()) {
    shape.push_back(static_cast<int64_t>(level->size()));
    if (level->empty()) break;
    level = &(*level)[0];
  }
  std::vector<double> flat;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& v) {
    if (v.is_array()) {
      for (const auto& x : v) walk(x);
    } else {
      flat.push_back(v.get<double>());
    }
  };
  walk(j);
  return torch::tensor(flat, torch::kDouble).reshape(shape);
}

// |actual - expected| <= abs + rel * |expected|, elementwise.
void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double abs_tol,
                  double rel_tol, const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const auto a = actual.to(torch::kDouble);
  const auto diff = (a - expected).abs();
  const auto allowed = abs_tol + rel_tol * expected.abs();
  const auto worst = (diff - allowed).max().item<double>();
  EXPECT_LE(worst, 0.0) << what << ": max |diff| = " << diff.max().item<double>();
  if (std::getenv("PALIMPSEST_PRINT_DIFFS")) {
    std::cout << what << ": max |diff| " << diff.max().item<double>() << "\n";
  }
}

struct Fixture {
  nlohmann::json expected;
  double abs_tol = 0, rel_tol = 0;
};

Fixture read_expected(const fs::path& dir) {
  Fixture f;
  f.expected = read_json(dir / "tiny_vit_p8.expected.json");
  f.abs_tol = f.expected["tolerance"]["abs"];
  f.rel_tol = f.expected["tolerance"]["rel"];
  return f;
}

ClipConfig fixture_config(const nlohmann::json& cfg) {
  ClipConfig c;
  c.embed_dim = cfg["embed_dim"];
  c.image_resolution = cfg["image_resolution"];
  c.vision_layers = cfg["vision_layers"];
  c.vision_width = cfg["vision_width"];
  c.vision_heads = 1;  // the README: vision width 64, 1 head
  c.vision_patch_size = cfg["vision_patch_size"];
  c.vision_mlp_width = 4 * c.vision_width;
  c.context_length = cfg["context_length"];
  c.vocab_size = cfg["vocab_size"];
  c.text_width = cfg["transformer_width"];
  c.text_heads = cfg["transformer_heads"];
  c.text_layers = cfg["transformer_layers"];
  c.text_mlp_width = 4 * c.text_width;
  return c;
}

void check_against_fixture(const fs::path& weights) {
  const auto dir = weights.parent_path();
  const Fixture f = read_expected(dir);
  const int text_heads = f.expected["config"]["transformer_heads"];
  clip::LoadedClip loaded = clip::load_clip_checkpoint(weights, /*vision_heads=*/1, text_heads);
  EXPECT_EQ(loaded.config, fixture_config(f.expected["config"])) << loaded.config.describe();

  torch::NoGradGuard no_grad;
  const auto images = json_tensor(f.expected["images_nchw"]).to(torch::kFloat);
  const auto ids = json_tensor(f.expected["text_ids"]).to(torch::kLong);
  expect_close(loaded.model->encode_image(images), json_tensor(f.expected["encode_image"]),
               f.abs_tol, f.rel_tol, "encode_image");
  expect_close(loaded.model->encode_text(ids), json_tensor(f.expected["encode_text"]), f.abs_tol,
               f.rel_tol, "encode_text");
  expect_close(loaded.model->logits_per_image(images, ids),
               json_tensor(f.expected["logits_per_image"]), f.abs_tol, f.rel_tol,
               "logits_per_image");
}

TEST(ClipModel, TorchScriptCheckpointMatchesOpenAi) {
  const auto dir = fixture_dir("clip");
  check_against_fixture(dir / "tiny_vit_p8.jit.pt");
}

TEST(ClipModel, SafetensorsCheckpointMatchesOpenAi) {
  const auto dir = fixture_dir("clip");
  check_against_fixture(dir / "tiny_vit_p8.safetensors");
}

TEST(ClipModel, ParameterNamesAreOpenAis) {
  ClipConfig c;
  c.embed_dim = 8, c.image_resolution = 16, c.vision_layers = 1, c.vision_width = 16;
  c.vision_heads = 2, c.vision_patch_size = 8, c.vision_mlp_width = 32, c.context_length = 5;
  c.vocab_size = 10, c.text_width = 8, c.text_heads = 1, c.text_layers = 1, c.text_mlp_width = 16;
  clip::ClipModel model(c);
  ClipShapeMap actual;
  for (const auto& p : model->named_parameters()) actual[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(actual, clip_parameter_shapes(c));
  EXPECT_TRUE(actual.count("visual.transformer.resblocks.0.attn.in_proj_weight"));
  EXPECT_TRUE(actual.count("transformer.resblocks.0.mlp.c_fc.bias"));
}

// A model unlike the fixture: other patch size, depths, widths, heads, MLP widths, embed dim,
// resolution, context length and vocabulary.
ClipConfig other_config() {
  ClipConfig c;
  c.embed_dim = 24;
  c.image_resolution = 48;
  c.vision_layers = 3;
  c.vision_width = 96;
  c.vision_heads = 3;
  c.vision_patch_size = 16;
  c.vision_mlp_width = 160;
  c.context_length = 20;
  c.vocab_size = 300;
  c.text_width = 48;
  c.text_heads = 4;
  c.text_layers = 1;
  c.text_mlp_width = 192;
  return c;
}

TEST(ClipModel, OtherConfigurationRoundTripsThroughSafetensors) {
  TempDir tmp;
  const ClipConfig config = other_config();
  clip::ClipModel original(config);
  clip::randomize_clip_parameters(*original, 1234);
  original->eval();
  const auto path = tmp / "other.safetensors";
  save_safetensors(path, clip::clip_state_tensors(*original), {{"format", "pt"}});

  clip::LoadedClip loaded = clip::load_clip_checkpoint(path, config.vision_heads, config.text_heads);
  EXPECT_EQ(loaded.config, config) << loaded.config.describe() << " vs " << config.describe();

  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  const auto images = torch::randn({3, 3, 48, 48});
  const auto ids = torch::randint(1, 299, {4, 20}, torch::kLong);
  const auto expected_img = original->encode_image(images);
  const auto expected_txt = original->encode_text(ids);
  EXPECT_TRUE(torch::allclose(loaded.model->encode_image(images), expected_img, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(loaded.model->encode_text(ids), expected_txt, 1e-6, 1e-6));
  EXPECT_GT(expected_img.abs().sum().item<float>(), 0.0f);
  // Explicit end-of-text positions select other rows than argmax.
  const auto eot = torch::tensor({19, 0, 5, 7}, torch::kLong);
  EXPECT_TRUE(torch::allclose(loaded.model->encode_text(ids, eot),
                              original->encode_text(ids, eot), 1e-6, 1e-6));
  EXPECT_THROW(loaded.model->encode_image(torch::zeros({1, 3, 32, 32})), ClipError);
  // The activation is not in the weights: exact GELU (open_clip) gives other features.
  clip::LoadedClip gelu =
      clip::load_clip_checkpoint(path, config.vision_heads, config.text_heads, false);
  EXPECT_FALSE(gelu.config.quick_gelu);
  EXPECT_FALSE(torch::allclose(gelu.model->encode_image(images), expected_img, 1e-4, 1e-4));
  EXPECT_THROW(loaded.model->encode_text(torch::full({1, 3}, 300, torch::kLong)), ClipError);
}

TEST(ClipModel, HeadsDefaultToWidthOver64AndPrefixesAreStripped) {
  TempDir tmp;
  ClipConfig config = other_config();
  config.vision_width = 128;
  config.vision_heads = 2;  // 128 / 64
  config.text_width = 64;
  config.text_heads = 1;  // 64 / 64
  clip::ClipModel original(config);
  clip::randomize_clip_parameters(*original, 99);
  auto tensors = clip::clip_state_tensors(*original);
  for (auto& t : tensors) t.name = "module." + t.name;
  const auto path = tmp / "prefixed.safetensors";
  save_safetensors(path, tensors);
  clip::LoadedClip loaded = clip::load_clip_checkpoint(path);
  EXPECT_EQ(loaded.config, config);
  torch::NoGradGuard no_grad;
  const auto ids = torch::randint(1, 299, {2, 20}, torch::kLong);
  EXPECT_TRUE(torch::allclose(loaded.model->encode_text(ids), original->encode_text(ids)));
}

// Loads `tensors` saved to a file and expects a ClipModelError containing `expected`.
void expect_load_error(std::vector<SafetensorsTensor> tensors, const std::string& expected,
                       int text_heads = 4) {
  TempDir tmp;
  const auto path = tmp / "bad.safetensors";
  save_safetensors(path, tensors);
  try {
    clip::load_clip_checkpoint(path, 3, text_heads);
    FAIL() << "no error; expected: " << expected;
  } catch (const ClipModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
}

TEST(ClipModel, BadCheckpointsGiveClearErrors) {
  clip::ClipModel model(other_config());
  const auto good = clip::clip_state_tensors(*model);
  auto without = [&](const std::string& name) {
    auto t = good;
    std::erase_if(t, [&](const SafetensorsTensor& x) { return x.name == name; });
    return t;
  };
  expect_load_error(without("ln_final.bias"), "missing tensor 'ln_final.bias'");
  expect_load_error(without("transformer.resblocks.0.attn.in_proj_bias"),
                    "missing tensor 'transformer.resblocks.0.attn.in_proj_bias'");
  auto wrong = good;
  for (auto& t : wrong) {
    if (t.name == "visual.ln_post.weight") {
      t.shape = {95};
      t.data.resize(95);
    }
  }
  expect_load_error(wrong, "tensor 'visual.ln_post.weight' has shape [95], expected [96]");
  expect_load_error(good, "not divisible by 5 heads", /*text_heads=*/5);
  // A Modified-ResNet checkpoint (RN50-style): out of scope, said plainly.
  expect_load_error({{"visual.layer1.0.conv1.weight", {1}, {0}},
                     {"visual.attnpool.c_proj.weight", {1}, {0}}},
                    "Modified-ResNet");
  expect_load_error({{"foo", {1}, {0}}}, "not a ViT CLIP checkpoint");
  // A variant with tensors this architecture lacks (layer scale) is refused, not half-loaded.
  auto extra = good;
  extra.push_back({"visual.transformer.resblocks.0.ls_1.gamma", {96}, std::vector<float>(96)});
  expect_load_error(extra, "does not have: visual.transformer.resblocks.0.ls_1.gamma");
}

TEST(ClipModel, BadTorchScriptFilesGiveClearErrors) {
  TempDir tmp;
  try {
    clip::load_clip_checkpoint(tmp / "absent.pt");
    FAIL();
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.pt: weights file not found"), std::string::npos)
        << e.what();
  }
  const auto dir = fixture_dir("clip");
  const std::string full = testing::read_file(dir / "tiny_vit_p8.jit.pt");
  const auto cut = tmp / "cut.pt";
  testing::write_file(cut, full.substr(0, full.size() / 3));
  try {
    clip::load_clip_checkpoint(cut);
    FAIL() << "no error for a truncated TorchScript archive";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find(cut.string()), std::string::npos) << e.what();
  }
}

// A model folder with a sentencepiece tokenizer and random weights, through the public facade.
TEST(ClipModel, SentencePieceModelFolderEncodes) {
  TempDir tmp;
  {
    std::ofstream corpus(tmp / "corpus.txt");
    for (int i = 0; i < 300; ++i) {
      corpus << "a red circle over the sea at night " << i % 17 << "\n"
             << "blue squares drift across a grey desert\n";
    }
  }
  SentencePieceTrainOptions options;
  options.inputs = {tmp / "corpus.txt"};
  options.model_prefix = tmp / "spm";
  options.vocab_size = 40;
  options.extra = {{"hard_vocab_limit", "false"}};  // the corpus may support fewer pieces
  train_sentencepiece(options);

  ClipConfig config = other_config();
  config.vocab_size = 64;
  clip::ClipModel model(config);
  clip::randomize_clip_parameters(*model, 5);
  save_safetensors(tmp / "weights.safetensors", clip::clip_state_tensors(*model));
  testing::write_file(tmp / "model.json", R"({
    "name": "spm-test", "weights": "weights.safetensors",
    "tokenizer": {"kind": "sentencepiece", "file": "spm.model"},
    "vision_heads": 3, "text_heads": 4, "context_length": 20})");
  auto encoder = ClipEncoder::load(tmp.path());
  EXPECT_EQ(encoder->info().tokenizer, "sentencepiece");
  EXPECT_EQ(encoder->info().embed_dim, 24);
  EXPECT_EQ(encoder->info().image_size, 48);
  const auto rows = encoder->encode_texts({"a red circle", "blue squares", "a red circle"});
  ASSERT_EQ(rows.size(), 3u);
  // The same text gives the same embedding (up to float rounding: BLAS kernels may round a row
  // differently by its position in the batch); another text a clearly different one.
  auto max_diff = [](const std::vector<float>& x, const std::vector<float>& y) {
    double d = 0;
    for (std::size_t i = 0; i < x.size(); ++i) d = std::max(d, static_cast<double>(std::abs(x[i] - y[i])));
    return d;
  };
  EXPECT_LT(max_diff(rows[0], rows[2]), 1e-5);
  EXPECT_GT(max_diff(rows[0], rows[1]), 1e-3);
  double norm = 0;
  for (float v : rows[1]) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-5);

  // The CLI binary (libtorch, libav, faiss, sqlite in one process) finds the plugin next to
  // itself and gives the same embedding.
  const auto r = testing::run_palimpsest(
      {"embed", "--model", tmp.path().string(), "--text", "a red circle", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cli_row = nlohmann::json::parse(r.out)["embedding"].get<std::vector<float>>();
  ASSERT_EQ(cli_row.size(), rows[0].size());
  for (std::size_t i = 0; i < cli_row.size(); ++i) EXPECT_NEAR(cli_row[i], rows[0][i], 1e-6);
}

}  // namespace
}  // namespace palimpsest

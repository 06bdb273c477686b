// The public CLIP facade (no torch here): model folders, embeddings against OpenAI's reference
// outputs, image preprocessing, and clear errors for bad model folders.

#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_preprocess.h"
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

std::vector<float> normalised(std::vector<float> v) {
  double norm = 0;
  for (float x : v) norm += double{x} * x;
  norm = std::sqrt(norm);
  for (float& x : v) x = static_cast<float>(x / norm);
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double{a[i]} * b[i];
  return s;
}

void expect_rows_close(const std::vector<std::vector<float>>& actual,
                       const std::vector<std::vector<float>>& expected, double tol,
                       const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i].size(), expected[i].size()) << what;
    for (std::size_t k = 0; k < actual[i].size(); ++k) {
      EXPECT_NEAR(actual[i][k], expected[i][k], tol) << what << " row " << i << " dim " << k;
    }
  }
}

// A model folder pointing at the fixture's weights (absolute paths) and BPE merges.
fs::path write_fixture_model(const TempDir& tmp, const fs::path& fixtures,
                             const std::string& weights) {
  nlohmann::json j = {
      {"name", "tiny-fixture"},
      {"weights", (fixtures / weights).string()},
      {"tokenizer", {{"kind", "clip_bpe"}, {"file", (fixtures / "bpe_simple_vocab_16e6.txt.gz").string()}}},
      {"image_size", 32},
      {"context_length", 77},
      {"vision_heads", 1},
      {"text_heads", 2},
  };
  testing::write_file(tmp / "model.json", j.dump(2));
  return tmp.path();
}

void check_fixture_embeddings(const std::string& weights) {
  const auto dir = fixture_dir("clip");
  TempDir tmp;
  auto encoder = ClipEncoder::load(write_fixture_model(tmp, dir, weights));
  const ClipModelInfo& info = encoder->info();
  EXPECT_EQ(info.name, "tiny-fixture");
  EXPECT_EQ(info.embed_dim, 32);
  EXPECT_EQ(info.image_size, 32);
  EXPECT_EQ(info.context_length, 77);
  EXPECT_EQ(info.device, "cpu");
  EXPECT_EQ(info.tokenizer, "clip_bpe");
  EXPECT_EQ(info.weights_sha256.size(), 64u);

  const auto expected = read_json(dir / "tiny_vit_p8.expected.json");
  const double tol = 1e-4;  // rows are unit vectors; the fixture's tolerance applies per value
  // Texts: the first three tokenizer cases are the fixture's text_ids.
  const auto cases = read_json(dir / "tokenizer_cases.json");
  std::vector<std::string> texts;
  for (int i = 0; i < 3; ++i) texts.push_back(cases[i]["text"]);
  std::vector<std::vector<float>> expected_text;
  for (const auto& row : expected["encode_text"]) {
    expected_text.push_back(normalised(row.get<std::vector<float>>()));
  }
  const auto text_rows = encoder->encode_texts(texts);
  expect_rows_close(text_rows, expected_text, tol, "encode_texts");
  std::vector<std::vector<std::int64_t>> ids;
  for (const auto& row : expected["text_ids"]) ids.push_back(row.get<std::vector<std::int64_t>>());
  expect_rows_close(encoder->encode_token_ids(ids), expected_text, tol, "encode_token_ids");

  // Images: already normalised N x 3 x 32 x 32.
  std::vector<float> nchw;
  for (const auto& image : expected["images_nchw"]) {
    for (const auto& channel : image) {
      for (const auto& row : channel) {
        for (const auto& v : row) nchw.push_back(v.get<float>());
      }
    }
  }
  std::vector<std::vector<float>> expected_image;
  for (const auto& row : expected["encode_image"]) {
    expected_image.push_back(normalised(row.get<std::vector<float>>()));
  }
  const auto image_rows = encoder->encode_preprocessed_images(nchw, 3);
  expect_rows_close(image_rows, expected_image, tol, "encode_preprocessed_images");

  // logits = exp(logit_scale) * cosine similarity.
  const auto& logits = expected["logits_per_image"];
  for (int i = 0; i < 3; ++i) {
    for (int t = 0; t < 3; ++t) {
      const double want = logits[i][t].get<double>();
      EXPECT_NEAR(encoder->logit_scale() * dot(image_rows[i], text_rows[t]), want,
                  1e-4 + 1e-4 * std::abs(want))
          << i << "," << t;
    }
  }
}

TEST(ClipEncoder, SafetensorsModelFolderMatchesOpenAi) { check_fixture_embeddings("tiny_vit_p8.safetensors"); }

TEST(ClipEncoder, TorchScriptModelFolderMatchesOpenAi) { check_fixture_embeddings("tiny_vit_p8.jit.pt"); }

RgbImage gradient(int w, int h, int seed) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      auto* p = img.row(y) + 3 * x;
      p[0] = static_cast<std::uint8_t>((x * 7 + seed * 31) % 256);
      p[1] = static_cast<std::uint8_t>((y * 5 + seed * 17) % 256);
      p[2] = static_cast<std::uint8_t>((x * y + seed) % 256);
    }
  }
  return img;
}

TEST(ClipEncoder, EncodesImagesOfAnySizeInBatches) {
  const auto dir = fixture_dir("clip");
  TempDir tmp;
  auto encoder = ClipEncoder::load(write_fixture_model(tmp, dir, "tiny_vit_p8.safetensors"));
  const std::vector<RgbImage> images = {gradient(64, 48, 1), gradient(20, 90, 2),
                                        gradient(32, 32, 3), gradient(300, 200, 4),
                                        gradient(7, 5, 5)};
  const auto all = encoder->encode_images(images);
  ASSERT_EQ(all.size(), images.size());
  for (const auto& row : all) {
    ASSERT_EQ(row.size(), 32u);
    EXPECT_NEAR(dot(row, row), 1.0, 1e-5);
  }
  encoder->set_batch_size(2);
  const auto batched = encoder->encode_images(images);
  expect_rows_close(batched, all, 1e-5, "batch size 2");
  const auto texts = encoder->encode_texts({"a", "b", "c", "a"});
  expect_rows_close({texts[3]}, {texts[0]}, 1e-6, "same text");
  EXPECT_TRUE(encoder->encode_texts({}).empty());
  EXPECT_THROW(encoder->encode_images({RgbImage()}), std::invalid_argument);
  EXPECT_THROW(encoder->encode_preprocessed_images(std::vector<float>(10), 1), ClipError);
}

// Expects ClipEncoder::load(dir) to throw an error of type E whose message has every fragment.
template <typename E = ClipError>
void expect_load_error(const fs::path& dir, const std::vector<std::string>& fragments,
                       const std::string& device = "cpu") {
  try {
    ClipEncoder::load(dir, device);
    FAIL() << "no error; expected " << fragments.front();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& f : fragments) EXPECT_NE(what.find(f), std::string::npos) << what;
  }
}

TEST(ClipEncoder, BadModelFoldersGiveClearErrors) {
  TempDir tmp;
  const fs::path dir = tmp.path();
  const std::string json = (dir / "model.json").string();
  expect_load_error<ClipModelError>(dir / "absent", {"absent", "model folder not found"});
  expect_load_error<ClipModelError>(dir, {json, "model.json not found"});
  testing::write_file(dir / "model.json", "{\"name\": ");
  expect_load_error<ClipModelError>(dir, {json, "not valid JSON"});
  testing::write_file(dir / "model.json", R"({"name": "x", "tokenizer": {"kind": "clip_bpe", "file": "b.gz"}})");
  expect_load_error<ClipModelError>(dir, {json, "missing \"weights\""});
  testing::write_file(dir / "model.json", R"({"weights": "w.safetensors"})");
  expect_load_error<ClipModelError>(dir, {json, "missing \"tokenizer\""});
  testing::write_file(dir / "model.json",
                      R"({"weights": "w.safetensors", "tokenizer": {"kind": "clip_bpe", "file": "b.gz"}, "std": [1, 0, 1]})");
  expect_load_error<ClipModelError>(dir, {json, "\"std\""});
  testing::write_file(dir / "model.json",
                      R"({"weights": "w.safetensors", "tokenizer": {"kind": "clip_bpe", "file": "b.gz"}, "activation": "relu"})");
  expect_load_error<ClipModelError>(dir, {json, "\"activation\""});
  testing::write_file(dir / "model.json",
                      R"({"weights": "w.safetensors", "tokenizer": {"kind": "wordpiece", "file": "v.txt"}})");
  expect_load_error<TokenizerError>(dir, {json, "unknown tokenizer kind 'wordpiece'"});
  testing::write_file(dir / "model.json",
                      R"({"weights": "w.safetensors", "tokenizer": {"kind": "clip_bpe", "file": "b.gz"}})");
  expect_load_error<TokenizerError>(dir, {(dir / "b.gz").string(), "not found"});
  testing::write_file(dir / "model.json",
                      R"({"weights": "w.safetensors", "tokenizer": {"kind": "sentencepiece", "file": "s.model"}})");
  expect_load_error<TokenizerError>(dir, {(dir / "s.model").string(), "not found"});
  // CUDA on a CPU-only libtorch is refused up front; with a GPU the folder's error comes next.
  try {
    ClipEncoder::load(dir, "cuda");
    FAIL() << "no error for cuda";
  } catch (const ClipError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("no CUDA device") != std::string::npos ||
                what.find("s.model") != std::string::npos)
        << what;
  }
  expect_load_error<ClipError>(dir, {"unknown device 'tpu'"}, "tpu");

  const auto fixtures = fixture_dir("clip");
  const std::string bpe = (fixtures / "bpe_simple_vocab_16e6.txt.gz").string();
  auto with_weights = [&](const std::string& weights, const std::string& extra = "") {
    testing::write_file(dir / "model.json",
                        R"({"weights": ")" + weights +
                            R"(", "tokenizer": {"kind": "clip_bpe", "file": ")" + bpe + "\"}" +
                            extra + "}");
  };
  with_weights("w.safetensors");
  expect_load_error<ClipModelError>(dir, {(dir / "w.safetensors").string(), "not found"});
  // Truncated safetensors.
  const std::string full = testing::read_file(fixtures / "tiny_vit_p8.safetensors");
  testing::write_file(dir / "w.safetensors", full.substr(0, full.size() - 1000));
  expect_load_error<ClipModelError>(dir, {(dir / "w.safetensors").string(), "truncated"});
  // Header that is not JSON (same length, garbled).
  std::string garbled = full;
  garbled[8] = '#';
  testing::write_file(dir / "w.safetensors", garbled);
  expect_load_error<ClipModelError>(dir, {(dir / "w.safetensors").string(), "not valid JSON"});
  // Weights and model.json disagreeing.
  with_weights((fixtures / "tiny_vit_p8.safetensors").string(), R"(, "text_heads": 2, "image_size": 224)");
  expect_load_error<ClipModelError>(dir, {json, "\"image_size\" is 224", "32 pixels"});
  // A head count that does not divide the width is an error.
  with_weights((fixtures / "tiny_vit_p8.safetensors").string(), R"(, "text_heads": 3)");
  expect_load_error<ClipModelError>(dir, {"not divisible by 3 heads"});
}

TEST(ClipCli, EmbedPrintsNormalisedRows) {
  const auto dir = fixture_dir("clip");
  TempDir tmp;
  const fs::path model = write_fixture_model(tmp, dir, "tiny_vit_p8.safetensors");
  auto r = testing::run_palimpsest({"embed", "--model", model.string(), "--text", "a dog",
                                    "--text", "a cat", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["text"], "a dog");
  EXPECT_EQ(rows[0]["model"], "tiny-fixture");
  EXPECT_EQ(rows[0]["dim"], 32);
  const auto embedding = rows[1]["embedding"].get<std::vector<float>>();
  ASSERT_EQ(embedding.size(), 32u);
  EXPECT_NEAR(dot(embedding, embedding), 1.0, 1e-5);

  // An image written by hand as a binary PPM, which libav decodes.
  const RgbImage img = gradient(40, 24, 3);
  std::string ppm = "P6\n40 24\n255\n";
  ppm.append(img.pixels.begin(), img.pixels.end());
  testing::write_file(tmp / "still.ppm", ppm);
  r = testing::run_palimpsest({"embed", "--model", model.string(), "--image",
                               (tmp / "still.ppm").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("image\t", 0), 0u) << r.out;

  r = testing::run_palimpsest({"embed", "--model", (tmp / "nowhere").string(), "--text", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown model '" + (tmp / "nowhere").string() + "': not a model folder"), std::string::npos)
      << r.err;
  r = testing::run_palimpsest({"embed", "--model", model.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(ClipPreprocess, ResizeCropAndNormalise) {
  // A uniform image stays uniform through resizing and cropping.
  RgbImage flat(50, 30);
  for (std::size_t i = 0; i < flat.pixels.size(); i += 3) {
    flat.pixels[i] = 200, flat.pixels[i + 1] = 100, flat.pixels[i + 2] = 0;
  }
  clip::PreprocessOptions options;
  options.image_size = 16;
  std::vector<float> out;
  clip::preprocess_image(flat, options, out);
  ASSERT_EQ(out.size(), 3u * 16 * 16);
  const float want[3] = {(200 / 255.0f - clip::kOpenAiMean[0]) / clip::kOpenAiStd[0],
                         (100 / 255.0f - clip::kOpenAiMean[1]) / clip::kOpenAiStd[1],
                         (0 - clip::kOpenAiMean[2]) / clip::kOpenAiStd[2]};
  for (int ch = 0; ch < 3; ++ch) {
    for (int i = 0; i < 256; ++i) ASSERT_NEAR(out[ch * 256 + i], want[ch], 1e-5) << ch;
  }
  // Short side to the target size, long side scaled with truncation (torchvision's rule).
  const RgbImage resized = clip::resize_bicubic(gradient(50, 30, 0), 26, 16);
  EXPECT_EQ(resized.width, 26);
  EXPECT_EQ(resized.height, 16);
  // Centre crop offsets use Python's round(): (5 - 2) / 2 = 1.5 -> 2, (4 - 2) / 2 = 1.
  RgbImage small(5, 4);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) small.row(y)[3 * x] = static_cast<std::uint8_t>(10 * y + x);
  }
  const RgbImage crop = clip::center_crop(small, 2, 2);
  EXPECT_EQ(crop.row(0)[0], 12);
  EXPECT_EQ(crop.row(1)[3], 23);
  // Identity when the size does not change; upscaling interpolates between neighbours.
  const RgbImage same = clip::resize_bicubic(small, 5, 4);
  EXPECT_EQ(same.pixels, small.pixels);
  RgbImage two(2, 1);
  two.row(0)[0] = 0;
  two.row(0)[3] = 200;
  const RgbImage up = clip::resize_bicubic(two, 4, 1);
  EXPECT_LE(up.row(0)[0], up.row(0)[3]);
  EXPECT_LT(up.row(0)[3], up.row(0)[6]);
  EXPECT_THROW(clip::resize_bicubic(RgbImage(), 4, 4), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest

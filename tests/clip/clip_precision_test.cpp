// Reduced precision (clip_precision.h): bf16 and int8 keep every fixture embedding within cosine
// 0.99 of fp32 (and of OpenAI's reference), search on the demo archive keeps its top 10, "auto"
// is measured once per machine and recorded, and an unsupported precision falls back to fp32
// with one line saying so.

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_precision.h"
#include "indexer/clip/model_location.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/demo/scene.h"
#include "indexer/media/media_decoder.h"
#include "tests/common/test_support.h"
#include "tests/clip/model_test_support.h"

extern "C" {
#include <libavutil/log.h>
}

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The precisions this machine runs; the others are checked for their clean fallback instead.
std::vector<Precision> reduced_precisions() { return {Precision::bf16, Precision::int8}; }

TEST(ClipPrecisionTest, EachReducedPrecisionKeepsEveryFixtureEmbeddingClose) {
  const fs::path clip = testing::clip_fixtures();
  TempDir tmp;
  const fs::path model = testing::write_fixture_model(tmp.path(), clip);
  const auto expected = testing::read_expected_clip(clip);
  const PrecisionSupport support = precision_support();

  ClipLoadOptions fp32_options;
  fp32_options.precision = "fp32";
  auto fp32 = ClipEncoder::load(model, fp32_options);
  const auto fp32_images = fp32->encode_preprocessed_images(expected.images_nchw, expected.image_count);
  const auto fp32_texts = fp32->encode_token_ids(expected.text_ids);
  EXPECT_EQ(fp32->info().precision, "fp32");

  for (Precision p : reduced_precisions()) {
    const std::string name = to_string(p);
    ClipLoadOptions options;
    options.precision = name;
    auto encoder = ClipEncoder::load(model, options);
    if (!support.supports(p)) {
      // Not this machine's: a clean fallback, said once.
      EXPECT_EQ(encoder->info().precision, "fp32") << name;
      ASSERT_EQ(encoder->info().notes.size(), 1u) << name;
      EXPECT_NE(encoder->info().notes[0].find(name + " is not supported here"), std::string::npos);
      ::testing::Test::RecordProperty(name, "unsupported here: fallback checked");
      continue;
    }
    ::testing::Test::RecordProperty(name, "supported: accuracy checked");
    EXPECT_EQ(encoder->info().precision, name);
    EXPECT_TRUE(encoder->info().notes.empty());
    const auto images = encoder->encode_preprocessed_images(expected.images_nchw, expected.image_count);
    const auto texts = encoder->encode_token_ids(expected.text_ids);
    ASSERT_EQ(images.size(), fp32_images.size());
    ASSERT_EQ(texts.size(), fp32_texts.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      EXPECT_GE(testing::cosine(images[i], fp32_images[i]), kAutoMinCosine) << name << " image " << i;
      EXPECT_GE(testing::cosine(images[i], expected.image_features[i]), kAutoMinCosine) << name << " image " << i;
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      EXPECT_GE(testing::cosine(texts[i], fp32_texts[i]), kAutoMinCosine) << name << " text " << i;
      EXPECT_GE(testing::cosine(texts[i], expected.text_features[i]), kAutoMinCosine) << name << " text " << i;
    }
    // Texts through the tokenizer too (the cut padding path).
    const auto a = encoder->encode_texts({"a red circle over the sea", "night"});
    const auto b = fp32->encode_texts({"a red circle over the sea", "night"});
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_GE(testing::cosine(a[i], b[i]), kAutoMinCosine);
  }
}

TEST(ClipPrecisionTest, UnsupportedPrecisionsFallBackToFp32WithOneLine) {
  const fs::path clip = testing::clip_fixtures();
  TempDir tmp;
  const fs::path model = testing::write_fixture_model(tmp.path(), clip);
  ScopedEnv unsupported("PALIMPSEST_UNSUPPORTED_PRECISIONS", "bf16, int8");
  const PrecisionSupport support = precision_support();
  EXPECT_FALSE(support.supports(Precision::bf16));
  EXPECT_FALSE(support.supports(Precision::int8));
  EXPECT_TRUE(support.supports(Precision::fp32));

  for (const char* name : {"bf16", "int8"}) {
    ClipLoadOptions options;
    options.precision = name;
    auto encoder = ClipEncoder::load(model, options);
    EXPECT_EQ(encoder->info().precision, "fp32");
    ASSERT_EQ(encoder->info().notes.size(), 1u);
    EXPECT_NE(encoder->info().notes[0].find("PALIMPSEST_UNSUPPORTED_PRECISIONS"), std::string::npos)
        << encoder->info().notes[0];
  }

  // auto measures only fp32 and chooses it, and records why the others were left out.
  const AutoPrecision a = measure_auto_precision(model, support, 2);
  EXPECT_EQ(a.chosen, Precision::fp32);
  ASSERT_EQ(a.measured.size(), 3u);
  EXPECT_TRUE(a.measured[0].supported);
  EXPECT_FALSE(a.measured[1].supported);
  EXPECT_FALSE(a.measured[2].supported);
  EXPECT_NE(a.measured[1].problem.find("declared unsupported"), std::string::npos);

  // A recorded choice of bf16 for this very machine is not trusted once bf16 is unsupported.
  update_model_json(model, "precision", "auto");
  AutoPrecision recorded;
  recorded.cpu = cpu_signature();
  recorded.chosen = Precision::bf16;
  update_model_json(model, "precision_auto", recorded.to_json());
  auto encoder = ClipEncoder::load(model);
  EXPECT_EQ(encoder->info().precision, "fp32");
  ASSERT_EQ(encoder->info().notes.size(), 1u);
  EXPECT_NE(encoder->info().notes[0].find("not supported here"), std::string::npos);
}

TEST(ClipPrecisionTest, AutoIsMeasuredOncePerMachineAndRecorded) {
  const fs::path clip = testing::clip_fixtures();
  TempDir tmp;
  const fs::path model = testing::write_fixture_model(tmp.path(), clip);
  update_model_json(model, "precision", "auto");

  auto first = ClipEncoder::load(model);
  ASSERT_EQ(first->info().notes.size(), 1u);
  EXPECT_NE(first->info().notes[0].find("measured on this machine"), std::string::npos);
  const auto j = testing::read_json_file(model / "model.json");
  ASSERT_TRUE(j.contains("precision_auto"));
  EXPECT_EQ(j["precision_auto"]["cpu"], cpu_signature());
  EXPECT_EQ(j["precision_auto"]["chosen"], first->info().precision);
  const auto recorded = AutoPrecision::from_json(j["precision_auto"]);
  ASSERT_TRUE(recorded);
  for (const auto& m : recorded->measured) {
    if (m.precision == recorded->chosen && m.precision != Precision::fp32) {
      EXPECT_GE(m.min_cosine, kAutoMinCosine);
    }
  }

  // The second load uses the record: nothing to say.
  auto second = ClipEncoder::load(model);
  EXPECT_TRUE(second->info().notes.empty()) << second->info().notes.front();
  EXPECT_EQ(second->info().precision, first->info().precision);

  // Another machine (another signature) measures again.
  auto other = *recorded;
  other.cpu = "another CPU | avx2 | libtorch 9.9";
  update_model_json(model, "precision_auto", other.to_json());
  ClipLoadOptions no_measure;
  no_measure.measure_auto = false;
  auto third = ClipEncoder::load(model, no_measure);
  EXPECT_EQ(third->info().precision, "fp32");
  ASSERT_EQ(third->info().notes.size(), 1u);
  EXPECT_NE(third->info().notes[0].find("no measurement for this machine"), std::string::npos);
  auto fourth = ClipEncoder::load(model);
  ASSERT_EQ(fourth->info().notes.size(), 1u);
  EXPECT_NE(fourth->info().notes[0].find("measured on this machine"), std::string::npos);
  EXPECT_EQ(testing::read_json_file(model / "model.json")["precision_auto"]["cpu"], cpu_signature());
}

TEST(ClipPrecisionTest, UnknownPrecisionNamesAreRefused) {
  const fs::path clip = testing::clip_fixtures();
  TempDir tmp;
  const fs::path model = testing::write_fixture_model(tmp.path(), clip);
  ClipLoadOptions options;
  options.precision = "fp8";
  EXPECT_THROW(ClipEncoder::load(model, options), ClipModelError);
  update_model_json(model, "precision", "half");
  try {
    ClipEncoder::load(model);
    FAIL() << "model.json precision \"half\" was accepted";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("\"precision\" must be"), std::string::npos) << e.what();
  }
}

// Search keeps its results: on the demo archive (the stills and their captions, plus the text
// paragraphs), the top 10 of a reduced precision overlap the fp32 top 10 by >= 0.95 on average,
// for text queries over pictures, over texts, and for picture queries.
TEST(ClipPrecisionTest, DemoArchiveTopTenSurvivesReducedPrecision) {
  av_log_set_level(AV_LOG_FATAL);  // libav's notes on the stills' pixel formats
  const auto dir = embedded_model_dir();
  ASSERT_TRUE(dir) << "palimpsest-tiny (data/models/) not found";
  TempDir tmp;
  demo::DemoArchiveOptions archive_options;
  archive_options.write_video = false;
  const auto manifest = demo::write_demo_archive(tmp / "archive", archive_options);
  ASSERT_GE(manifest.images.size(), 40u);
  std::vector<RgbImage> pictures;
  std::vector<std::string> captions;
  for (const auto& image : manifest.images) {
    pictures.push_back(decode_image_file(image.path));
    captions.push_back(image.caption);
  }
  std::mt19937_64 rng(11);
  std::vector<std::string> queries;
  for (int i = 0; i < 24; ++i) queries.push_back(demo::caption(demo::random_scene(rng)));

  auto top10 = [](const std::vector<float>& query, const std::vector<std::vector<float>>& corpus) {
    std::vector<std::pair<double, int>> scored;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
      double dot = 0;
      for (std::size_t k = 0; k < query.size(); ++k) dot += static_cast<double>(query[k]) * corpus[i][k];
      scored.emplace_back(-dot, static_cast<int>(i));
    }
    std::partial_sort(scored.begin(), scored.begin() + 10, scored.end());
    std::set<int> ids;
    for (int k = 0; k < 10; ++k) ids.insert(scored[k].second);
    return ids;
  };
  struct Embedded {
    std::vector<std::vector<float>> pictures, captions, queries;
  };
  auto embed = [&](const std::string& precision) {
    ClipLoadOptions options;
    options.precision = precision;
    auto encoder = ClipEncoder::load(*dir, options);
    EXPECT_EQ(encoder->info().precision, precision);
    return Embedded{encoder->encode_images(pictures), encoder->encode_texts(captions),
                    encoder->encode_texts(queries)};
  };
  const Embedded fp32 = embed("fp32");
  const PrecisionSupport support = precision_support();
  for (Precision p : reduced_precisions()) {
    if (!support.supports(p)) {
      ::testing::Test::RecordProperty(to_string(p), "unsupported here: not measured");
      continue;
    }
    const Embedded reduced = embed(to_string(p));
    auto recall = [&](const std::vector<std::vector<float>>& q_ref, const std::vector<std::vector<float>>& q_red,
                      const std::vector<std::vector<float>>& c_ref, const std::vector<std::vector<float>>& c_red) {
      double sum = 0;
      for (std::size_t i = 0; i < q_ref.size(); ++i) {
        const auto a = top10(q_ref[i], c_ref);
        const auto b = top10(q_red[i], c_red);
        int common = 0;
        for (int id : b) common += a.count(id);
        sum += common / 10.0;
      }
      return sum / q_ref.size();
    };
    const double text_to_pictures = recall(fp32.queries, reduced.queries, fp32.pictures, reduced.pictures);
    const double text_to_texts = recall(fp32.queries, reduced.queries, fp32.captions, reduced.captions);
    const double picture_to_pictures = recall(fp32.pictures, reduced.pictures, fp32.pictures, reduced.pictures);
    ::testing::Test::RecordProperty(to_string(p) + "_recall_at_10",
                                    std::to_string(text_to_pictures) + " " + std::to_string(text_to_texts) +
                                        " " + std::to_string(picture_to_pictures));
    EXPECT_GE(text_to_pictures, 0.95) << to_string(p);
    EXPECT_GE(text_to_texts, 0.95) << to_string(p);
    EXPECT_GE(picture_to_pictures, 0.95) << to_string(p);
  }
}

}  // namespace
}  // namespace palimpsest

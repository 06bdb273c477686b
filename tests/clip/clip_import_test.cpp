// `palimpsest model import` of every format (OpenAI TorchScript, open_clip safetensors, a
// torch.save'd state dict, a Hugging Face open_clip folder) with parity to OpenAI's reference
// outputs; the state-dict reader on files Python's torch.save wrote; and the one-line refusals
// of unknown or inconsistent inputs.

#include <torch/torch.h>
#include <caffe2/serialize/inline_container.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_error.h"
#include "indexer/clip/clip_precision.h"
#include "indexer/clip/clip_tokenizer.h"
#include "indexer/clip/model_import.h"
#include "indexer/clip/model_store.h"
#include "indexer/clip/safetensors.h"
#include "indexer/clip/torch_state_dict.h"
#include "indexer/files/content_hash.h"
#include "tests/common/test_support.h"
#include "tests/clip/model_test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::clip_fixtures;
using testing::one_line;
using testing::TempDir;

const fs::path kData = fs::path(PALIMPSEST_SOURCE_DIR) / "tests/clip/data";

std::string gunzip(const fs::path& file) {
  gzFile gz = gzopen(file.c_str(), "rb");
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(gz, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  gzclose(gz);
  return out;
}

// The fixture's weights as a torch.save-format state dict written by libtorch
// (torch::pickle_save: the same zip layout and pickle protocol as Python's torch.save; Debian's
// python3-torch loads it with torch.load).
void write_state_dict_bin(const fs::path& clip, const fs::path& out, const std::string& prefix) {
  SafetensorsReader reader(clip / "tiny_vit_p8.safetensors");
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, entry] : reader.entries()) {
    auto values = reader.read_f32(name);
    dict.insert(prefix + name, torch::from_blob(values.data(), entry.shape, torch::kFloat).clone());
  }
  const std::vector<char> bytes = torch::pickle_save(dict);
  std::ofstream(out, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

ImportOptions fixture_options(const fs::path& clip, const std::string& name) {
  ImportOptions o;
  o.name = name;
  o.tokenizer = clip / "bpe_simple_vocab_16e6.txt.gz";
  o.precision = "fp32";
  return o;
}

class ClipImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = clip_fixtures();
    ASSERT_TRUE(fs::is_directory(clip_));
    expected_ = testing::read_expected_clip(clip_);
    catalog_ = tmp_ / "archive.db";
  }
  fs::path clip_;
  testing::ExpectedClip expected_;
  TempDir tmp_;
  fs::path catalog_;
};

TEST_F(ClipImportTest, OpenAiTorchScriptMatchesTheReferenceAndFindsTheHeads) {
  const ImportedModel m =
      import_model(catalog_, clip_ / "tiny_vit_p8.jit.pt", fixture_options(clip_, "tiny-jit"));
  EXPECT_EQ(m.dir, model_store_folder(catalog_) / "tiny-jit");
  EXPECT_EQ(m.source_format, "openai-torchscript");
  EXPECT_EQ(m.source_sha256, sha256_file(clip_ / "tiny_vit_p8.jit.pt"));
  EXPECT_EQ(m.weights_sha256, sha256_file(m.dir / "model.safetensors"));
  // The text tower has 2 heads, not width/64 = 1: found by running the checkpoint's own code.
  EXPECT_EQ(m.config.text_heads, 2);
  EXPECT_EQ(m.config.vision_heads, 1);
  EXPECT_NE(m.parity_reference.find("TorchScript"), std::string::npos) << m.parity_reference;
  EXPECT_GE(m.parity_cosine, 0.9999);
  EXPECT_GE(testing::worst_fixture_cosine(m.dir, expected_), 0.9999);

  const auto j = testing::read_json_file(m.dir / "model.json");
  EXPECT_EQ(j["text_heads"], 2);
  EXPECT_EQ(j["activation"], "quick_gelu");
  EXPECT_EQ(j["precision"], "fp32");
  EXPECT_EQ(j["tokenizer"]["kind"], "clip_bpe");
  EXPECT_EQ(j["weights_sha256"], m.weights_sha256);
  EXPECT_EQ(j["source"]["sha256"], m.source_sha256);
  const std::string card = testing::read_file(m.dir / "MODEL_CARD.md");
  EXPECT_NE(card.find(m.source_sha256), std::string::npos);
  EXPECT_NE(card.find(m.config.describe()), std::string::npos);
  EXPECT_EQ(card.find("{{"), std::string::npos) << "a template placeholder was left unfilled";
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / ".import-tiny-jit"));
}

TEST_F(ClipImportTest, SafetensorsWithHeadCountsMatchesTheReference) {
  ImportOptions o = fixture_options(clip_, "");
  o.vision_heads = 1;
  o.text_heads = 2;
  const ImportedModel m = import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o);
  EXPECT_EQ(m.name, "tiny_vit_p8");  // from the file name
  EXPECT_EQ(m.source_format, "safetensors");
  EXPECT_EQ(m.weights_dtype, "F32");
  EXPECT_GE(testing::worst_fixture_cosine(m.dir, expected_), 0.9999);
  // No reference code in a safetensors file: the verification is a round trip, and says so.
  EXPECT_NE(m.parity_reference.find("round trip"), std::string::npos);
  // No config either: the activation is an assumption, and a warning says so.
  bool warned = false;
  for (const auto& w : m.warnings) warned |= w.find("--activation gelu") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(ClipImportTest, StateDictBinMatchesTheReference) {
  const fs::path bin = tmp_ / "open_clip_pytorch_model.bin";
  write_state_dict_bin(clip_, bin, "module.");  // DistributedDataParallel's prefix
  ImportOptions o = fixture_options(clip_, "tiny-bin");
  o.vision_heads = 1;
  o.text_heads = 2;
  const ImportedModel m = import_model(catalog_, bin, o);
  EXPECT_EQ(m.source_format, "state-dict");
  EXPECT_GE(testing::worst_fixture_cosine(m.dir, expected_), 0.9999);
}

TEST_F(ClipImportTest, HuggingFaceOpenClipFolderMatchesTheReference) {
  const fs::path folder = tmp_ / "CLIP-tiny-laion";
  fs::create_directories(folder);
  fs::copy_file(clip_ / "tiny_vit_p8.safetensors", folder / "open_clip_model.safetensors");
  // merges.txt as Hugging Face lays it out: a version line and CLIP's 48,894 merges.
  const std::string merges = gunzip(clip_ / "bpe_simple_vocab_16e6.txt.gz");
  std::size_t end = 0;
  for (int line = 0; line < 48895; ++line) end = merges.find('\n', end) + 1;
  testing::write_file(folder / "merges.txt", "#version: 0.2\n" + merges.substr(merges.find('\n') + 1, end - merges.find('\n') - 1));
  testing::write_file(folder / "README.md", "---\nlicense: mit\nlibrary_name: open_clip\n---\n# tiny\n");
  const nlohmann::json config = {
      {"model_cfg",
       {{"embed_dim", 32},
        {"quick_gelu", true},
        {"vision_cfg", {{"image_size", 32}, {"layers", 2}, {"width", 64}, {"patch_size", 8}, {"head_width", 64}}},
        {"text_cfg", {{"context_length", 77}, {"vocab_size", 49408}, {"width", 32}, {"heads", 2}, {"layers", 2}}}}},
      {"preprocess_cfg",
       {{"mean", {0.48145466, 0.4578275, 0.40821073}}, {"std", {0.26862954, 0.26130258, 0.27577711}}}}};
  testing::write_file(folder / "open_clip_config.json", config.dump(2));

  ImportOptions o;
  o.precision = "fp32";
  const ImportedModel m = import_model(catalog_, folder, o);
  EXPECT_EQ(m.name, "CLIP-tiny-laion");
  EXPECT_EQ(m.source_format, "open_clip-folder");
  EXPECT_EQ(m.tokenizer, "clip_bpe");
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
  EXPECT_GE(testing::worst_fixture_cosine(m.dir, expected_), 0.9999);
  EXPECT_EQ(testing::read_json_file(m.dir / "model.json")["source"]["licence"], "mit");

  // The vocabulary rebuilt from merges.txt tokenizes as OpenAI's file does.
  ClipBpeTokenizer reference(clip_ / "bpe_simple_vocab_16e6.txt.gz");
  ClipBpeTokenizer converted(m.dir / "bpe_simple_vocab_16e6.txt.gz");
  const auto cases = testing::read_json_file(clip_ / "tokenizer_cases.json");
  ASSERT_GT(cases.size(), 3u);
  for (const auto& c : cases) {
    const std::string text = c["text"];
    EXPECT_EQ(converted.tokenize(text, 77).ids, reference.tokenize(text, 77).ids) << text;
  }
}

TEST_F(ClipImportTest, ConfigThatContradictsTheWeightsIsRefused) {
  const fs::path folder = tmp_ / "wrong";
  fs::create_directories(folder);
  fs::copy_file(clip_ / "tiny_vit_p8.safetensors", folder / "open_clip_model.safetensors");
  testing::write_file(folder / "open_clip_config.json",
                      R"({"model_cfg": {"embed_dim": 32, "vision_cfg": {"width": 128, "layers": 2,
                          "patch_size": 8, "image_size": 32}, "text_cfg": {"width": 32}}})");
  ImportOptions o = fixture_options(clip_, "wrong");
  try {
    import_model(catalog_, folder, o);
    FAIL() << "a config whose width contradicts the weights was accepted";
  } catch (const ClipError& e) {
    EXPECT_NE(std::string(e.what()).find("vision_cfg.width 128"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / "wrong"));
}

TEST_F(ClipImportTest, UnsupportedOpenClipOptionsAreNamed) {
  const fs::path folder = tmp_ / "hf-text";
  fs::create_directories(folder);
  fs::copy_file(clip_ / "tiny_vit_p8.safetensors", folder / "open_clip_model.safetensors");
  testing::write_file(folder / "open_clip_config.json",
                      R"({"model_cfg": {"embed_dim": 32, "text_cfg": {"hf_model_name": "xlm-roberta-base"}}})");
  try {
    import_model(catalog_, folder, fixture_options(clip_, "hf-text"));
    FAIL() << "a Hugging Face text tower was accepted";
  } catch (const ClipError& e) {
    EXPECT_NE(std::string(e.what()).find("text_cfg.hf_model_name"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
}

TEST_F(ClipImportTest, RandomBytesNamedPtGiveOneClearLine) {
  std::string bytes(4096, '\0');
  std::mt19937 rng(7);
  for (auto& b : bytes) b = static_cast<char>(rng());
  bytes[0] = 'X';  // not a zip or pickle opening by chance
  testing::write_file(tmp_ / "ViT-B-32.pt", bytes);
  try {
    import_model(catalog_, tmp_ / "ViT-B-32.pt", fixture_options(clip_, "x"));
    FAIL() << "random bytes were imported";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown weights format"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  // The same through the command line: exit status 1, one line on stderr, no stack dump.
  const auto r = testing::run_palimpsest({"--db", catalog_.string(), "model", "import",
                                          (tmp_ / "ViT-B-32.pt").string(), "--tokenizer",
                                          (clip_ / "bpe_simple_vocab_16e6.txt.gz").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("palimpsest: error: " + (tmp_ / "ViT-B-32.pt").string() + ": unknown weights format"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("frame #"), std::string::npos) << r.err;
}

TEST_F(ClipImportTest, ZipThatIsNotAPyTorchFileGivesOneClearLine) {
  {
    caffe2::serialize::PyTorchStreamWriter writer((tmp_ / "other.pt").string());
    const std::string data = "not a model";
    writer.writeRecord("notes.txt", data.data(), data.size());
  }
  try {
    import_model(catalog_, tmp_ / "other.pt", fixture_options(clip_, "other"));
    FAIL() << "a zip without a model was imported";
  } catch (const ClipModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("neither a TorchScript archive"), std::string::npos) << what;
    EXPECT_NE(what.find("without data.pkl"), std::string::npos) << what;
    EXPECT_TRUE(one_line(what)) << what;
  }
}

TEST_F(ClipImportTest, SafetensorsWithAMissingTensorGivesOneClearLine) {
  SafetensorsReader reader(clip_ / "tiny_vit_p8.safetensors");
  std::vector<SafetensorsTensor> tensors;
  for (const auto& [name, entry] : reader.entries()) {
    if (name == "ln_final.weight") continue;
    tensors.push_back({name, entry.shape, reader.read_f32(name)});
  }
  save_safetensors(tmp_ / "broken.safetensors", tensors);
  try {
    import_model(catalog_, tmp_ / "broken.safetensors", fixture_options(clip_, "broken"));
    FAIL() << "a checkpoint without ln_final.weight was imported";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'ln_final.weight'"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / ".import-broken"));
}

TEST_F(ClipImportTest, ANameInUseIsRefusedUnlessForced) {
  ImportOptions o = fixture_options(clip_, "twice");
  o.vision_heads = 1;
  o.text_heads = 2;
  import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o);
  EXPECT_THROW(import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o), ModelStoreError);
  o.replace = true;
  const ImportedModel m = import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o);
  EXPECT_TRUE(fs::is_regular_file(m.dir / "model.json"));
  o.name = "palimpsest-tiny";
  EXPECT_THROW(import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o), ModelStoreError);
  o.name = "../escape";
  EXPECT_THROW(import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o), ModelStoreError);
}

TEST_F(ClipImportTest, WithoutATokenizerTheImportSaysWhatToPass) {
  ImportOptions o;
  o.name = "no-vocab";
  try {
    import_model(catalog_, clip_ / "tiny_vit_p8.jit.pt", o);
    FAIL() << "imported without a tokenizer";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("--tokenizer"), std::string::npos) << e.what();
  }
}

TEST_F(ClipImportTest, VerificationCatchesAWrongActivation) {
  // The checkpoint's own code uses QuickGELU: importing it as exact GELU must fail verification.
  ImportOptions o = fixture_options(clip_, "wrong-gelu");
  o.activation = "gelu";
  o.vision_heads = 1;
  o.text_heads = 2;
  try {
    import_model(catalog_, clip_ / "tiny_vit_p8.jit.pt", o);
    FAIL() << "an import with the wrong activation passed verification";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("verification failed"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / "wrong-gelu"));
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / ".import-wrong-gelu"));
}

TEST_F(ClipImportTest, TheRecordedWeightsHashIsTrustedOnlyForTheSameSize) {
  ImportOptions o = fixture_options(clip_, "hashed");
  o.vision_heads = 1;
  o.text_heads = 2;
  const ImportedModel m = import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o);
  EXPECT_EQ(ClipEncoder::load(m.dir)->info().weights_sha256, m.weights_sha256);
  // A record with the right size is used as is (no hashing at load)...
  update_model_json(m.dir, "weights_sha256", std::string(64, 'f'));
  EXPECT_EQ(ClipEncoder::load(m.dir)->info().weights_sha256, std::string(64, 'f'));
  // ...one whose size does not match the file is not: the file is hashed.
  update_model_json(m.dir, "weights_bytes", m.weights_bytes + 1);
  EXPECT_EQ(ClipEncoder::load(m.dir)->info().weights_sha256, m.weights_sha256);
}

TEST_F(ClipImportTest, CommandLinePrintsWhatItFound) {
  const auto r = testing::run_palimpsest(
      {"--db", catalog_.string(), "model", "import", (clip_ / "tiny_vit_p8.jit.pt").string(),
       "--name", "cli-jit", "--tokenizer", (clip_ / "bpe_simple_vocab_16e6.txt.gz").string(),
       "--precision", "fp32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Imported cli-jit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("architecture: ViT-p8 32px w64 l2 h1, text w32 l2 h2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verified:     cosine 1.0000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model use cli-jit"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("attention heads"), std::string::npos) << r.err;  // the heads warning
}

// --- TorchStateDictReader on files Python's torch.save wrote (tests/clip/data/) -----------

TEST(TorchStateDictReaderTest, ReadsPythonStateDictsExactly) {
  TorchStateDictReader reader(kData / "python_state_dict.bin");
  const auto& t = reader.tensors();
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(reader.read_f32("weight"), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f}));
  EXPECT_EQ(t.at("weight").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(reader.read_f32("bias"), (std::vector<float>{-1.0f, 2.5f}));
  EXPECT_EQ(t.at("half").dtype, "F16");
  EXPECT_EQ(reader.read_f32("half"), (std::vector<float>{0.5f, -1.25f, 3.0f}));
  EXPECT_EQ(t.at("bf16").dtype, "BF16");
  EXPECT_EQ(reader.read_f32("bf16"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(reader.read_f32("double"), (std::vector<float>{0.1f, 1e-3f}));
  // The transposed view of arange(12).reshape(3, 4), read in its own row-major order.
  EXPECT_EQ(t.at("transposed").shape, (std::vector<std::int64_t>{4, 3}));
  EXPECT_EQ(reader.read_f32("transposed"),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // Two views of one storage, one of them at an offset.
  EXPECT_EQ(t.at("shared_tail").storage_key, t.at("shared_all").storage_key);
  EXPECT_EQ(reader.read_f32("shared_tail"), (std::vector<float>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(t.at("count").dtype, "I64");
  EXPECT_THROW(reader.read_f32("count"), ClipModelError);  // not a float tensor
}

TEST(TorchStateDictReaderTest, ReadsTrainingCheckpoints) {
  TorchStateDictReader reader(kData / "python_checkpoint.bin");
  ASSERT_EQ(reader.tensors().size(), 2u);
  EXPECT_EQ(reader.read_f32("module.bias"), (std::vector<float>{-1.0f, 2.5f}));
}

TEST(TorchStateDictReaderTest, NeverCallsWhatThePickleNames) {
  try {
    TorchStateDictReader reader(kData / "python_code.bin");
    FAIL() << "a pickle that calls os.system was read as a state dict";
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("posix.system"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
}

TEST(TorchStateDictReaderTest, ReadsWhatLibtorchWrites) {
  TempDir tmp;
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert("x", torch::arange(6, torch::kFloat).reshape({3, 2}).t().contiguous());
  dict.insert("h", torch::tensor({0.25, -8.0}, torch::kHalf));
  const auto bytes = torch::pickle_save(dict);
  std::ofstream(tmp / "cpp.bin", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  TorchStateDictReader reader(tmp / "cpp.bin");
  EXPECT_EQ(reader.read_f32("x"), (std::vector<float>{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(reader.read_f32("h"), (std::vector<float>{0.25f, -8.0f}));
}

TEST(SafetensorsWriterTest, HalfAndBfloat16RoundTripAndRoundToNearestEven) {
  TempDir tmp;
  const std::vector<float> values = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f,
                                     5.9604645e-08f, 0.1f, 1e-9f};
  save_safetensors(tmp / "w.safetensors",
                   {{"h", "F16", {9}}, {"b", "BF16", {9}}, {"f", "F32", {9}}},
                   [&](const SafetensorsTensorSpec&, std::vector<float>& out) { out = values; });
  SafetensorsReader reader(tmp / "w.safetensors");
  EXPECT_EQ(reader.entry("h").dtype, "F16");
  EXPECT_EQ(reader.read_f32("f"), values);
  const auto h = reader.read_f32("h");
  const auto b = reader.read_f32("b");
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(h[i], torch::tensor(values[i]).to(torch::kHalf).item<float>()) << values[i];
    EXPECT_EQ(b[i], torch::tensor(values[i]).to(torch::kBFloat16).item<float>()) << values[i];
  }
}

}  // namespace
}  // namespace palimpsest

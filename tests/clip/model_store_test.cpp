// The model store (model_store.h): where it lives, list / use / remove, the resolver every
// `--model NAME` will call, and the same through `palimpsest model list|use|remove`.

#include <csignal>
#include <cstdlib>

#include <gtest/gtest.h>

#include "indexer/clip/model_import.h"
#include "indexer/clip/model_location.h"
#include "indexer/clip/model_store.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "tests/common/test_support.h"
#include "tests/clip/model_test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::one_line;
using testing::TempDir;

class ScopedUnsetEnv {
 public:
  explicit ScopedUnsetEnv(const char* name) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    unsetenv(name);
  }
  ~ScopedUnsetEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = testing::clip_fixtures();
    ASSERT_TRUE(fs::is_directory(clip_));
    catalog_ = tmp_ / "archive.db";
    Catalog catalog(catalog_);  // created
    for (const char* name : {"alpha", "beta"}) {
      ImportOptions o;
      o.name = name;
      o.tokenizer = clip_ / "bpe_simple_vocab_16e6.txt.gz";
      o.precision = "fp32";
      o.vision_heads = 1;
      o.text_heads = 2;
      sha_[name] = import_model(catalog_, clip_ / "tiny_vit_p8.safetensors", o).weights_sha256;
    }
  }

  // `count` vectors of model `name` in the catalog.
  void add_vectors(const std::string& name, int count) {
    Catalog catalog(catalog_);
    const auto archive = catalog.ensure_archive("a", "/a");
    SourceRow s;
    s.archive_id = archive;
    s.uri = "/a/" + name + ".txt";
    s.sha256 = "h";
    s.kind = SourceKind::text;
    s.size_bytes = 10;
    auto writer = catalog.replace_source(s);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < count; ++i) {
      RecordRow r;
      r.kind = RecordKind::text;
      r.text = "paragraph " + std::to_string(i);
      r.title = "t";
      ids.push_back(writer.add_record(r));
    }
    writer.commit();
    const auto model = catalog.embeddings().ensure_model(name, 32, sha_[name]);
    for (auto id : ids) catalog.embeddings().put(id, model, std::vector<float>(32, 0.5f));
  }

  ScopedUnsetEnv no_home_{"PALIMPSEST_MODEL_HOME"};
  fs::path clip_;
  TempDir tmp_;
  fs::path catalog_;
  std::map<std::string, std::string> sha_;
};

TEST_F(ModelStoreTest, TheStoreSitsBesideTheCatalogUnlessModelHomeIsSet) {
  EXPECT_EQ(model_store_folder(catalog_), tmp_ / ".archive.db.models");
  setenv("PALIMPSEST_MODEL_HOME", (tmp_ / "shared-models").c_str(), 1);
  EXPECT_EQ(model_store_folder(catalog_), tmp_ / "shared-models");
  EXPECT_THROW(resolve_model(catalog_, "alpha"), ModelStoreError);  // not in that store
  unsetenv("PALIMPSEST_MODEL_HOME");
  EXPECT_EQ(resolve_model(catalog_, "alpha"), tmp_ / ".archive.db.models" / "alpha");
}

TEST_F(ModelStoreTest, ListShowsEveryModelWithItsFacts) {
  const auto models = list_models(catalog_);
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].name, kEmbeddedModelName);
  EXPECT_TRUE(models[0].embedded);
  EXPECT_EQ(models[1].name, "alpha");
  EXPECT_EQ(models[2].name, "beta");
  EXPECT_EQ(models[1].embed_dim, 32);
  EXPECT_EQ(models[1].precision, "fp32");
  EXPECT_EQ(models[1].weights_sha256, sha_["alpha"]);
  EXPECT_NE(models[1].architecture.find("ViT-p8 32px"), std::string::npos);
  EXPECT_GT(models[1].bytes, 6'000'000u);
  EXPECT_TRUE(models[1].problem.empty());
}

TEST_F(ModelStoreTest, UseSetsTheCurrentModelAndTheResolverFollowsIt) {
  // Unset: the embedded model (or $PALIMPSEST_MODEL, as today).
  ScopedUnsetEnv no_model("PALIMPSEST_MODEL");
  EXPECT_FALSE(current_model(catalog_));
  EXPECT_EQ(resolve_model(catalog_, ""), *embedded_model_dir());
  use_model(catalog_, "beta");
  EXPECT_EQ(current_model(catalog_), "beta");
  EXPECT_EQ(Catalog(catalog_).state(kCurrentModelStateKey), "beta");
  EXPECT_EQ(resolve_model(catalog_, ""), model_store_folder(catalog_) / "beta");
  EXPECT_EQ(resolve_model(catalog_, "alpha"), model_store_folder(catalog_) / "alpha");
  EXPECT_EQ(resolve_model(catalog_, kEmbeddedModelName), *embedded_model_dir());
  // A folder path, relative or absolute.
  const fs::path folder = model_store_folder(catalog_) / "alpha";
  EXPECT_EQ(resolve_model(catalog_, folder.string()), folder);
  use_model(catalog_, kEmbeddedModelName);
  EXPECT_EQ(resolve_model(catalog_, ""), *embedded_model_dir());
  EXPECT_THROW(use_model(catalog_, "gamma"), ModelStoreError);
  EXPECT_THROW(use_model(tmp_ / "missing.db", "alpha"), ModelStoreError);
  EXPECT_FALSE(fs::exists(tmp_ / "missing.db"));  // never created by a refusal
}

TEST_F(ModelStoreTest, UnknownNamesSayWhatExists) {
  try {
    resolve_model(catalog_, "gamma");
    FAIL() << "an unknown model resolved";
  } catch (const ModelStoreError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown model 'gamma'"), std::string::npos) << what;
    EXPECT_NE(what.find("palimpsest-tiny, alpha, beta"), std::string::npos) << what;
    EXPECT_TRUE(one_line(what));
  }
  testing::write_file(tmp_ / "empty-folder" / "readme.txt", "x");
  EXPECT_THROW(resolve_model(catalog_, (tmp_ / "empty-folder").string()), ModelStoreError);
  for (const char* bad : {"", ".hidden", "-x", "a/b", "sp ace", "ü"}) {
    EXPECT_THROW(validate_model_name(bad), ModelStoreError) << bad;
  }
  EXPECT_NO_THROW(validate_model_name("ViT-B-32.openai_v2"));
}

TEST_F(ModelStoreTest, RemoveRefusesTheCurrentModelAndKeepsVectors) {
  add_vectors("alpha", 3);
  use_model(catalog_, "alpha");
  try {
    remove_model(catalog_, "alpha", false);
    FAIL() << "the current model was removed without --force";
  } catch (const ModelStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("current model"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(model_store_folder(catalog_) / "alpha"));
  const RemovedModel r = remove_model(catalog_, "alpha", true);
  EXPECT_TRUE(r.was_current);
  EXPECT_EQ(r.embeddings_kept, 3);
  EXPECT_FALSE(fs::exists(model_store_folder(catalog_) / "alpha"));
  EXPECT_FALSE(current_model(catalog_));
  EXPECT_EQ(count_model_embeddings(catalog_, "alpha"), 3);  // the vectors stay
  EXPECT_THROW(remove_model(catalog_, kEmbeddedModelName, true), ModelStoreError);
  EXPECT_THROW(remove_model(catalog_, "alpha", true), ModelStoreError);  // gone already

  // A current model whose folder disappeared is named, not silently replaced.
  use_model(catalog_, "beta");
  fs::remove_all(model_store_folder(catalog_) / "beta");
  try {
    resolve_model(catalog_, "");
    FAIL() << "a missing current model resolved";
  } catch (const ModelStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("current model 'beta'"), std::string::npos) << e.what();
  }
}

TEST_F(ModelStoreTest, CommandLineListUseRemove) {
  add_vectors("beta", 2);
  const std::string db = catalog_.string();
  auto r = testing::run_palimpsest({"--db", db, "model", "use", "beta"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("beta (2 embeddings in the catalog)"), std::string::npos) << r.out;

  r = testing::run_palimpsest({"--db", db, "model", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("* beta"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  alpha"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  palimpsest-tiny"), std::string::npos) << r.out;

  r = testing::run_palimpsest({"--db", db, "model", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int current = 0;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j["current"].get<bool>()) {
      ++current;
      EXPECT_EQ(j["name"], "beta");
      EXPECT_EQ(j["embeddings"], 2);
      EXPECT_EQ(j["dim"], 32);
    }
  }
  EXPECT_EQ(current, 1);

  r = testing::run_palimpsest({"--db", db, "model", "remove", "beta"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_TRUE(one_line(r.err)) << r.err;

  r = testing::run_palimpsest({"--db", db, "model", "remove", "beta", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("now palimpsest-tiny"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 embeddings of beta stay in the catalog"), std::string::npos) << r.out;

  r = testing::run_palimpsest({"--db", db, "model", "use", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no model 'nope'"), std::string::npos) << r.err;
}

// Issue 13: a second model's vectors beside the first's. `reembed --model` embeds the archive with
// it, resumes after kill -9, and leaves the first model's vectors serving search; `--model NAME`
// picks either for search, and `model use` makes one the default.
TEST_F(ModelStoreTest, ReembedPutsAnotherModelBesideTheFirstAndSearchPicksEitherByName) {
  const std::string db = catalog_.string();
  const fs::path texts = tmp_ / "texts";
  fs::create_directories(texts);
  std::string paragraphs;
  for (int i = 0; i < 150; ++i) paragraphs += "Paragraph " + std::to_string(i) + " tells of harbour " + std::to_string(i * 7) + ".\n\n";
  testing::write_file(texts / "harbour.txt", paragraphs);
  auto r = testing::run_palimpsest({"--db", db, "ingest", texts.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ingested = nlohmann::json::parse(r.out);
  ASSERT_EQ(ingested["embeddings"]["model"], kEmbeddedModelName) << r.out;
  const std::int64_t records = ingested["embeddings"]["embedded"].get<std::int64_t>();
  ASSERT_EQ(records, 150);

  auto dense = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--db", db, "search", "harbour 21", "--mode", "dense", "-k", "3", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_palimpsest(args);
  };
  // No vectors of alpha yet: dense search with it says so.
  r = dense({"--model", "alpha"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no records are embedded with alpha yet"), std::string::npos) << r.err;

  // Killed after its first batch (64 records): whole batches stay, the next run does the rest.
  ::setenv("PALIMPSEST_CRASH_AT_EMBED_BATCH", "1", 1);
  r = testing::run_palimpsest({"--db", db, "reembed", "--model", "alpha"});
  ::unsetenv("PALIMPSEST_CRASH_AT_EMBED_BATCH");
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << "the fault injection did not fire: " << r.err;
  EXPECT_EQ(count_model_embeddings(catalog_, "alpha"), 64);
  // Meanwhile the first model's vectors serve search as before.
  r = dense({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tiny_hits = nlohmann::json::parse(r.out);
  ASSERT_EQ(tiny_hits.size(), 3u);

  r = testing::run_palimpsest({"--db", db, "reembed", "--model", "alpha", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["model"], "alpha");
  EXPECT_EQ(report["embedded"], records - 64);
  EXPECT_EQ(count_model_embeddings(catalog_, "alpha"), records);
  EXPECT_EQ(count_model_embeddings(catalog_, kEmbeddedModelName), records) << "the first model's vectors stay";
  // Piped, progress comes as plain lines; a run with nothing left to do embeds nothing.
  r = testing::run_palimpsest({"--db", db, "reembed", "--model", "alpha"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("embedded: 0 records with alpha"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("search uses palimpsest-tiny until"), std::string::npos) << r.out;

  // Either model by name: the same records, scored by each model's own vectors.
  r = dense({"--model", "alpha"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto alpha_hits = nlohmann::json::parse(r.out);
  ASSERT_EQ(alpha_hits.size(), 3u);
  EXPECT_NE(alpha_hits[0]["dense_score"], tiny_hits[0]["dense_score"]);
  r = dense({"--model", kEmbeddedModelName});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), tiny_hits);
  // `model use` makes alpha the default for every command that takes --model.
  ASSERT_EQ(testing::run_palimpsest({"--db", db, "model", "use", "alpha"}).exit_code, 0);
  r = dense({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), alpha_hits);
  // An unknown name is one clear line.
  r = dense({"--model", "gamma"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown model 'gamma'"), std::string::npos) << r.err;
  EXPECT_TRUE(one_line(r.err)) << r.err;
}

}  // namespace
}  // namespace palimpsest

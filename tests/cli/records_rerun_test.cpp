// Speech stages across runs: a language without a model is said once and skipped; a better model
// replaces transcripts instead of adding to them; `--no-speech` keeps what is there; what the
// recogniser is unsure of is kept flagged and out of search.
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "tests/common/archive_media.h"
#include "tests/common/test_support.h"
#include "tests/speech/speech_test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<RecordRow> records_of(const fs::path& db, RecordKind kind) {
  Catalog catalog(db);
  RecordFilter filter;
  filter.kind = kind;
  filter.limit = 100000;
  return catalog.records(filter);
}

// Sets an environment variable for the commands this test runs, and puts it back afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(RecordsRerun, ALanguageWithoutAModelIsSkippedWithOneLine) {
  testing::TempDir dir;
  const std::vector<std::int16_t> clip = testing::spoken_clip(1.0);
  testing::write_wav_16k(dir / "a" / "one.wav", clip);
  testing::write_wav_16k(dir / "a" / "two.wav", clip);
  const testing::CommandResult r = testing::run_palimpsest(
      {"--db", (dir / "c.db").string(), "ingest", (dir / "a").string(), "--speech-lang", "fr", "--no-embed", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string line = "skipped: no speech model for fr (installed: en-us)";
  const std::size_t first = r.err.find(line);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, first + 1), std::string::npos) << "said once per run: " << r.err;
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["notes"], json::array({line}));
  EXPECT_EQ(summary["files_added"], 2);
  EXPECT_FALSE(records_of(dir / "c.db", RecordKind::audio).empty());
  EXPECT_TRUE(records_of(dir / "c.db", RecordKind::speech).empty());
  for (const RecordRow& a : records_of(dir / "c.db", RecordKind::audio)) EXPECT_EQ(a.meta["speech"], "off");
}

TEST(RecordsRerun, AnotherSpeechModelReplacesTranscriptsAndNoSpeechKeepsThem) {
  testing::TempDir dir;
  testing::write_wav_16k(dir / "a" / "talk.wav", testing::spoken_clip(1.0));
  const fs::path db = dir / "c.db";
  const auto ingest = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--db", db.string(), "ingest", (dir / "a").string(), "--no-embed", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const testing::CommandResult r = testing::run_palimpsest(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  ingest({});
  const std::vector<RecordRow> before = records_of(db, RecordKind::speech);
  ASSERT_FALSE(before.empty());
  const std::string first_model = before[0].meta["model"];

  // Unchanged file, same engines: nothing to do; without speech: the transcripts stay.
  EXPECT_EQ(ingest({})["files_unchanged"], 1);
  EXPECT_EQ(ingest({"--no-speech"})["files_unchanged"], 1);
  EXPECT_EQ(records_of(db, RecordKind::speech).size(), before.size());

  // The same language with another model (a dictionary with one more word): the file's records
  // are made again with it, replacing the old ones.
  const fs::path installed = "/usr/share/pocketsphinx/model/en-us";
  const fs::path models = dir / "models";
  fs::create_directories(models / "en-us");
  fs::create_symlink(installed / "en-us", models / "en-us" / "en-us");
  fs::create_symlink(installed / "en-us.lm.bin", models / "en-us" / "en-us.lm.bin");
  testing::write_file(models / "en-us" / "cmudict-en-us.dict",
                      testing::read_file(installed / "cmudict-en-us.dict") + "palimpsest P AE L IH M P S EH S T\n");
  ScopedEnv env("PALIMPSEST_SPEECH_MODELS", models.string());
  const json rerun = ingest({});
  EXPECT_EQ(rerun["files_replaced"], 1);
  const std::vector<RecordRow> after = records_of(db, RecordKind::speech);
  EXPECT_EQ(after.size(), before.size()) << "replaced, not duplicated";
  for (const RecordRow& s : after) EXPECT_NE(s.meta["model"], first_model);
  {
    Catalog catalog(db);
    const auto source = catalog.source(after.at(0).source_id);
    ASSERT_TRUE(source);
    EXPECT_NE(source->derived_with["speech"].get<std::string>().find(after[0].meta["model"].get<std::string>()),
              std::string::npos);
  }
  EXPECT_EQ(ingest({})["files_unchanged"], 1);
}

TEST(RecordsRerun, WhatTheRecogniserIsUnsureOfIsKeptFlaggedAndOutOfSearch) {
  testing::TempDir dir;
  testing::write_wav_16k(dir / "a" / "music.wav", testing::synthetic_drums(20));
  const fs::path model = testing::write_fixture_model(dir.path(), testing::fixture_dir("clip"));
  const fs::path db = dir / "c.db";
  const testing::CommandResult r = testing::run_palimpsest(
      {"--db", db.string(), "ingest", (dir / "a").string(), "--model", model.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(r.out);
  std::vector<RecordRow> flagged;
  for (RecordRow& s : records_of(db, RecordKind::speech))
    if (s.meta["low_confidence"].get<bool>()) flagged.push_back(std::move(s));
  ASSERT_FALSE(flagged.empty()) << "what the decoder made of music: " << r.out;
  EXPECT_EQ(summary["speech_low_confidence"], flagged.size());
  {
    Catalog catalog(db);
    const std::int64_t id = catalog.embeddings().models().at(0).id;
    for (const RecordRow& s : flagged) EXPECT_FALSE(catalog.embeddings().get(s.id, id)) << s.text;
  }
  const std::string word = flagged[0].text.substr(0, flagged[0].text.find(' '));
  const auto found = [&](bool include) {
    std::vector<std::string> args = {"--db", db.string(), "search", word, "--kind", "speech", "--mode", "lexical", "--json"};
    if (include) args.push_back("--include-low-confidence");
    const testing::CommandResult s = testing::run_palimpsest(args);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    for (const json& hit : json::parse(s.out))
      if (hit["id"] == flagged[0].id) return true;
    return false;
  };
  EXPECT_FALSE(found(false)) << word;
  EXPECT_TRUE(found(true)) << word;
}

}  // namespace
}  // namespace palimpsest

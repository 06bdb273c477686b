// `palimpsest make` with sound: a render killed mid-way (kill -9) resumes to a byte-identical
// film.mp4, soundtrack included; `--no-sound` writes a film without an audio stream; `provenance`
// shows what is heard, in text and JSON.
#include <signal.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/audio/audio_decoder.h"
#include "schema/catalog.h"
#include "schema/film_store.h"
#include "tests/common/test_support.h"
#include "tests/synth/sound_archive.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

std::vector<std::string> make_film_args(const fs::path& db, std::int64_t film, const fs::path& out_dir) {
  return {"--db", db.string(), "make", "--film", std::to_string(film), "--out-dir", out_dir.string(),
          "--denoiser", "global", "--no-maps", "-q"};
}

TEST(MakeSoundCli, KilledMidRenderResumesToAByteIdenticalFilmWithItsSoundtrack) {
  testing::TempDir dir;
  std::int64_t film = 0;
  for (const char* name : {"ref.db", "c.db"}) {
    Catalog catalog(dir / name);
    film = testing::make_sound_archive(catalog, dir.path()).film;
  }
  auto ref = testing::run_palimpsest(make_film_args(dir / "ref.db", film, dir / "ref"));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;

  // Killed after frame 40's PNG (in shot 1), before its row.
  ::setenv("PALIMPSEST_CRASH_AT_FRAME", "40", 1);
  auto crashed = testing::run_palimpsest(make_film_args(dir / "c.db", film, dir / "film"));
  ::unsetenv("PALIMPSEST_CRASH_AT_FRAME");
  ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << "the fault injection did not fire: " << crashed.err;
  EXPECT_FALSE(fs::exists(dir / "film" / "film.mp4"));
  auto resumed = testing::run_palimpsest(make_film_args(dir / "c.db", film, dir / "film"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(", 40 reused"), std::string::npos) << resumed.out;

  const std::string a = testing::read_file(dir / "film" / "film.mp4");
  const std::string b = testing::read_file(dir / "ref" / "film.mp4");
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "the resumed film.mp4 differs from the uninterrupted one (" << a.size() << " vs "
                      << b.size() << " bytes)";
  AudioDecoder sound(dir / "film" / "film.mp4");
  EXPECT_EQ(sound.info().codec, "aac");
  Catalog catalog(dir / "c.db"), reference(dir / "ref.db");
  const auto heard = catalog.films().all_heard(film);
  const auto expected = reference.films().all_heard(film);
  ASSERT_EQ(heard.size(), expected.size());
  for (std::size_t i = 0; i < heard.size(); ++i) {
    EXPECT_EQ(heard[i].interval, expected[i].interval);
    EXPECT_EQ(heard[i].record_id, expected[i].record_id);
    EXPECT_DOUBLE_EQ(heard[i].gain, expected[i].gain);
  }
}

TEST(MakeSoundCli, NoSoundWritesASilentFilmAndProvenanceSaysWhatIsHeard) {
  testing::TempDir dir;
  testing::SoundArchive archive;
  {
    Catalog catalog(dir / "c.db");
    archive = testing::make_sound_archive(catalog, dir.path());
  }
  const std::string db = (dir / "c.db").string(), film = std::to_string(archive.film);
  auto made = testing::run_palimpsest({"--db", db, "make", "--film", film, "--denoiser", "global", "--no-maps"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("sound: 3 clips, normalised by"), std::string::npos) << made.out;
  EXPECT_EQ(made.err.find("warning: sound"), std::string::npos) << made.err;  // the sound plays as planned
  EXPECT_NE(made.out.find("% of the render)"), std::string::npos) << made.out;
  // A rerun reuses every frame: its time is the sound's alone, so no share is claimed.
  auto again = testing::run_palimpsest({"--db", db, "make", "--film", film, "--denoiser", "global", "--no-maps"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("sound: 3 clips, normalised by"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("% of the render"), std::string::npos) << again.out;

  auto frame = testing::run_palimpsest({"--db", db, "provenance", film, "--frame", "60"});
  ASSERT_EQ(frame.exit_code, 0) << frame.err;
  EXPECT_NE(frame.out.find("heard 00:05.000-00:05.083:"), std::string::npos) << frame.out;
  EXPECT_NE(frame.out.find("#" + std::to_string(archive.tone_record)), std::string::npos) << frame.out;
  auto silent_frame = testing::run_palimpsest({"--db", db, "provenance", film, "--frame", "30"});
  EXPECT_NE(silent_frame.out.find(": silence"), std::string::npos) << silent_frame.out;
  auto json = testing::run_palimpsest({"--db", db, "provenance", film, "--frame", "60", "--json"});
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["heard"]["records"].size(), 2u);
  EXPECT_EQ(doc["heard"]["records"][0]["record_id"], archive.frame_at_1s);
  auto whole = testing::run_palimpsest({"--db", db, "provenance", film});
  EXPECT_NE(whole.out.find("sound: 6.00 s, provenance per frame, 3 clips, normalised by"), std::string::npos) << whole.out;
  EXPECT_NE(whole.out.find("% of the sound, mean gain"), std::string::npos) << whole.out;
  auto whole_json = nlohmann::json::parse(testing::run_palimpsest({"--db", db, "provenance", film, "--json"}).out);
  EXPECT_EQ(whole_json["sound"]["interval"], "frame");
  EXPECT_EQ(whole_json["sound"]["shares"].size(), 3u);

  auto silent = testing::run_palimpsest({"--db", db, "make", "--film", film, "--denoiser", "global", "--no-maps", "--no-sound"});
  ASSERT_EQ(silent.exit_code, 0) << silent.err;
  EXPECT_NE(silent.out.find("sound: none (--no-sound)"), std::string::npos) << silent.out;
  Catalog catalog(dir / "c.db");
  EXPECT_THROW(AudioDecoder decoder(catalog.films().get(archive.film)->video_path), NoAudioStreamError);
  auto after = testing::run_palimpsest({"--db", db, "provenance", film, "--frame", "60"});
  EXPECT_NE(after.out.find("heard: nothing (the film was rendered without sound)"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace palimpsest

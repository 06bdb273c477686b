// `palimpsest make` and `palimpsest provenance`: a manuscript becomes frames, attribution maps,
// provenance rows and an MP4; an interrupted render resumes to the very same frames.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/demo/demo_archive.h"
#include "indexer/media/media_decoder.h"
#include "schema/catalog.h"
#include "synth/film_maker.h"
#include "tests/common/test_support.h"
#include "schema/film_store.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

constexpr const char* kManuscript =
    "A large red circle over the sea.\n\n"
    "Two small yellow stars at night.\n\n"
    "A green triangle in the desert.\n";

// A small demo archive (stills only) ingested and embedded with palimpsest-tiny into `db`.
void ingest_demo(const fs::path& archive, const fs::path& db) {
  if (!fs::exists(archive)) {
    demo::DemoArchiveOptions options;
    options.image_count = 24;
    options.write_video = false;
    demo::write_demo_archive(archive, options);
  }
  auto r = testing::run_palimpsest({"--db", db.string(), "ingest", archive.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::vector<std::string> make_args(const fs::path& db, const fs::path& manuscript, const fs::path& out_dir) {
  return {"--db", db.string(), "make", manuscript.string(), "--out-dir", out_dir.string(),
          "--size", "64x48", "--fps", "4", "--steps", "4", "-q"};
}

TEST(MakeCli, RendersFramesMapsProvenanceAndAPlayableVideo) {
  testing::TempDir dir;
  ingest_demo(dir / "archive", dir / "c.db");
  testing::write_file(dir / "script.txt", kManuscript);
  auto r = testing::run_palimpsest(make_args(dir / "c.db", dir / "script.txt", dir / "film"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("film 1: "), std::string::npos) << r.out;

  Catalog catalog(dir / "c.db");
  const auto film = catalog.films().get(1);
  ASSERT_TRUE(film);
  EXPECT_EQ(film->status, FilmStatus::done);
  EXPECT_DOUBLE_EQ(film->progress, 1.0);
  ASSERT_GT(film->frame_count, 12);
  EXPECT_EQ(film->frames_rendered, film->frame_count);
  EXPECT_EQ(fs::path(film->video_path), dir / "film" / "film.mp4");

  // Every frame: a PNG, a map, and pixel weights that sum to 1 over records the archive holds.
  std::map<std::string, int> roles;
  for (const FilmFrameRow& f : catalog.films().frames(1)) {
    EXPECT_TRUE(fs::is_regular_file(dir / "film" / "frames" / frame_file_name(f.frame))) << f.frame;
    EXPECT_TRUE(f.has_map);
    EXPECT_TRUE(fs::is_regular_file(dir / "film" / "maps" / frame_file_name(f.frame))) << f.frame;
    double pixels = 0;
    for (const ProvenanceRow& p : catalog.films().frame_provenance(1, f.frame)) {
      ++roles[std::string(to_string(p.role))];
      ASSERT_TRUE(catalog.record(p.record_id)) << p.record_id;
      if (p.role != ProvenanceRole::guidance) pixels += p.weight;
    }
    EXPECT_NEAR(pixels, 1.0, 1e-6) << "frame " << f.frame;
  }
  EXPECT_GT(roles["keyframe"], 0);

  // The video decodes to exactly the film's frames at its size.
  MediaDecoder video(film->video_path);
  EXPECT_EQ(video.info().width, 64);
  EXPECT_EQ(video.info().height, 48);
  EXPECT_NEAR(video.info().fps, 4.0, 0.01);
  std::int64_t decoded = 0;
  while (video.next_frame()) ++decoded;
  EXPECT_EQ(decoded, film->frame_count);
  EXPECT_FALSE(fs::exists(dir / "film" / "film.mp4.partial"));
  auto sidecar = nlohmann::json::parse(testing::read_file(dir / "film" / "provenance.json"));
  EXPECT_EQ(sidecar["frames"].size(), static_cast<std::size_t>(film->frame_count));

  // `provenance`: one frame, and the whole film.
  auto frame = testing::run_palimpsest({"--db", (dir / "c.db").string(), "provenance", "1", "--frame", "3", "--json"});
  ASSERT_EQ(frame.exit_code, 0) << frame.err;
  const auto doc = nlohmann::json::parse(frame.out);
  EXPECT_EQ(doc["frame"], 3);
  EXPECT_FALSE(doc["entries"].empty());
  auto human = testing::run_palimpsest({"--db", (dir / "c.db").string(), "provenance", "1"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("% of the film"), std::string::npos) << human.out;
  auto outside = testing::run_palimpsest({"--db", (dir / "c.db").string(), "provenance", "1", "--frame", "100000"});
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_NE(outside.err.find("no rendered frame 100000"), std::string::npos) << outside.err;

  // Run again on the unchanged manuscript: the same film, nothing rendered again.
  auto again = testing::run_palimpsest(make_args(dir / "c.db", dir / "script.txt", dir / "film"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("film 1: "), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("(0 frames rendered, " + std::to_string(film->frame_count) + " reused"),
            std::string::npos)
      << again.out;
}

TEST(MakeCli, KilledMidRenderResumesToTheSameFrames) {
  testing::TempDir dir;
  testing::write_file(dir / "script.txt", kManuscript);
  // Reference: an uninterrupted render.
  ingest_demo(dir / "archive", dir / "ref.db");
  ASSERT_EQ(testing::run_palimpsest(make_args(dir / "ref.db", dir / "script.txt", dir / "ref")).exit_code, 0);

  // The same archive in another catalog, killed with SIGKILL after frame 9's PNG was written
  // but before its catalog row: a file without its row must not count as done.
  ingest_demo(dir / "archive", dir / "c.db");
  ::setenv("PALIMPSEST_CRASH_AT_FRAME", "9", 1);
  auto crashed = testing::run_palimpsest(make_args(dir / "c.db", dir / "script.txt", dir / "film"));
  ::unsetenv("PALIMPSEST_CRASH_AT_FRAME");
  ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << "the fault injection did not fire: " << crashed.err;
  EXPECT_FALSE(fs::exists(dir / "film" / "film.mp4")) << "no video from a half-rendered film";
  {
    Catalog catalog(dir / "c.db");
    EXPECT_EQ(catalog.films().get(1)->frames_rendered, 9);
    EXPECT_EQ(catalog.integrity_check(), "ok");
  }

  auto resumed = testing::run_palimpsest(make_args(dir / "c.db", dir / "script.txt", dir / "film"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(", 9 reused"), std::string::npos) << resumed.out;
  Catalog ref(dir / "ref.db");
  Catalog catalog(dir / "c.db");
  const auto film = catalog.films().get(1);
  ASSERT_EQ(film->frames_rendered, ref.films().get(1)->frames_rendered);
  for (std::int64_t f = 0; f < film->frame_count; ++f) {
    EXPECT_EQ(testing::read_file(dir / "film" / "frames" / frame_file_name(f)),
              testing::read_file(dir / "ref" / "frames" / frame_file_name(f)))
        << "frame " << f << " differs from the uninterrupted render";
    const auto a = catalog.films().frame_provenance(1, f);
    const auto b = ref.films().frame_provenance(1, f);
    ASSERT_EQ(a.size(), b.size()) << f;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].record_id, b[i].record_id);
      EXPECT_NEAR(a[i].weight, b[i].weight, 1e-12);
    }
  }
  EXPECT_TRUE(fs::is_regular_file(dir / "film" / "film.mp4"));
}

TEST(MakeCli, BadRequestsAreClearErrors) {
  testing::TempDir dir;
  const auto db = (dir / "c.db").string();
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "make"}).exit_code, 2);
  auto unknown = testing::run_palimpsest({"--db", db, "make", "--film", "99"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no film 99"), std::string::npos) << unknown.err;
  // An empty archive: nothing to draw, said plainly, and the film is marked failed.
  testing::write_file(dir / "script.txt", kManuscript);
  auto empty = testing::run_palimpsest({"--db", db, "make", (dir / "script.txt").string(), "-q"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("no shot of the timeline has an image"), std::string::npos) << empty.err;
  Catalog catalog(db);
  EXPECT_EQ(catalog.films().get(1)->status, FilmStatus::failed);
  EXPECT_NE(catalog.films().get(1)->error.find("no shot"), std::string::npos);
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "make", (dir / "script.txt").string(), "--size", "65x48"}).exit_code, 2);
}

}  // namespace
}  // namespace palimpsest

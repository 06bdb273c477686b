// A full disk during ingest and during render (issue 15, "also do"): a clear error naming what
// could not be written, nothing half-written taken as whole, and the next run (with space again)
// completes the work.
//
// For real: the catalog, or the film's folder, lives on a small tmpfs mounted in a private mount
// namespace (`unshare --user --map-root-user --mount`: no privileges needed where user namespaces
// are allowed, and nothing outside the test sees the mount), so writes fail with ENOSPC from the
// kernel, as on a full disk. The tmpfs is then remounted larger and the command run again.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/demo/demo_archive.h"
#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "schema/film_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs `script` (sh) in a new user and mount namespace where `mount_point` is a tmpfs of
// `size_kib`; the script may `remount SIZE` to resize it. Returns the exit status, with the
// output in `log`. Files the script leaves outside the mount point stay; the tmpfs vanishes.
int run_on_small_disk(const fs::path& mount_point, int size_kib, const std::string& script, std::string& log) {
  fs::create_directories(mount_point);
  const fs::path log_file = mount_point.parent_path() / "namespace.log";
  const std::string prelude = "set -u\nremount() { mount -o remount,size=$1 tmpfs '" + mount_point.string() +
                              "'; }\nmount -t tmpfs -o size=" + std::to_string(size_kib) + "k tmpfs '" +
                              mount_point.string() + "' || { echo 'cannot mount a tmpfs'; exit 99; }\n";
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string body = prelude + script;
    execlp("unshare", "unshare", "--user", "--map-root-user", "--mount", "sh", "-c", body.c_str(), nullptr);
    _exit(98);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  log = testing::read_file(log_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Noise does not compress: each picture's thumbnail takes tens of KB of the catalog.
std::string noise_png(unsigned seed) {
  std::mt19937 rng(seed);
  RgbImage img(400, 300);
  for (auto& p : img.pixels) p = static_cast<std::uint8_t>(rng());
  return encode_png(img);
}

TEST(DiskFull, IngestStopsWithAClearErrorAndTheNextRunCompletes) {
  testing::TempDir dir;
  const fs::path archive = dir / "archive";
  constexpr int kFiles = 30;
  for (int i = 0; i < kFiles; ++i) testing::write_file(archive / ("n" + std::to_string(100 + i) + ".png"), noise_png(i));
  const fs::path small = dir / "small";
  const fs::path db = small / "c.db";
  const std::string ingest = testing::palimpsest_binary() + " --db " + quoted(db) + " ingest " + quoted(archive) +
                             " --no-embed --json";
  std::string log;
  const int rc = run_on_small_disk(small, 640,
                                   ingest + " > " + quoted(dir / "first.json") + " 2> " + quoted(dir / "first.err") +
                                       "; echo $? > " + quoted(dir / "first.rc") + "\n" +
                                       "mkdir " + quoted(dir / "after_full") + " && cp " + quoted(small) + "/c.db* " +
                                       quoted(dir / "after_full") + "\n" +
                                       "remount 64m\n" + ingest + " > " + quoted(dir / "second.json") + " 2> " +
                                       quoted(dir / "second.err") + "; echo $? > " + quoted(dir / "second.rc") + "\n" +
                                       "cp " + quoted(small) + "/c.db* " + quoted(dir.path()) + "\n",
                                   log);
  ASSERT_EQ(rc, 0) << log;
  const std::string err = testing::read_file(dir / "first.err");
  EXPECT_EQ(testing::read_file(dir / "first.rc"), "1\n") << err;
  EXPECT_NE(err.find("ingest stopped"), std::string::npos) << err;
  EXPECT_NE(err.find("the disk holding the catalog " + db.string() + " is full"), std::string::npos) << err;
  const json first = json::parse(testing::read_file(dir / "first.json"));
  EXPECT_NE(first.value("stopped", "").find("is full"), std::string::npos) << first.dump();
  const int added = first["files_added"];
  EXPECT_GT(added, 0);
  EXPECT_LT(added, kFiles);

  {
    // The catalog as the full disk left it: sound, and every file in it whole.
    Catalog catalog(dir / "after_full" / "c.db");
    EXPECT_EQ(catalog.integrity_check(), "ok");
    const auto archive_row = catalog.find_archive("default");
    ASSERT_TRUE(archive_row);
    EXPECT_EQ(static_cast<int>(catalog.sources(archive_row->id).size()), added);
    EXPECT_EQ(catalog.count_records(), added);  // one image record per file
    RecordFilter all;
    all.limit = 1000;
    for (const RecordRow& r : catalog.records(all)) EXPECT_TRUE(catalog.thumbnail(r.id)) << r.uri;
  }

  EXPECT_EQ(testing::read_file(dir / "second.rc"), "0\n") << testing::read_file(dir / "second.err");
  const json second = json::parse(testing::read_file(dir / "second.json"));
  EXPECT_EQ(second["files_added"].get<int>(), kFiles - added);
  EXPECT_EQ(second["files_unchanged"].get<int>(), added);
  Catalog catalog(dir / "c.db");
  EXPECT_EQ(catalog.integrity_check(), "ok");
  EXPECT_EQ(catalog.count_records(), kFiles);
}

TEST(DiskFull, RenderStopsWithAClearErrorKeepsWholeFramesAndResumes) {
  testing::TempDir dir;
  demo::DemoArchiveOptions options;
  options.image_count = 12;
  options.write_video = false;
  demo::write_demo_archive(dir / "archive", options);
  const fs::path db = dir / "c.db";
  auto ingest = testing::run_palimpsest({"--db", db.string(), "ingest", (dir / "archive").string(), "-q"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  testing::write_file(dir / "script.txt", "A large red circle over the sea.\n\nTwo small yellow stars at night.\n");
  const fs::path small = dir / "small";
  const std::string make = testing::palimpsest_binary() + " --db " + quoted(db) + " make ";
  const std::string args = " --out-dir " + quoted(small / "film") + " --size 64x48 --fps 4 --steps 4 -q";
  std::string log;
  const int rc = run_on_small_disk(
      small, 48,
      make + quoted(dir / "script.txt") + args + " > /dev/null 2> " + quoted(dir / "first.err") + "; echo $? > " +
          quoted(dir / "first.rc") + "\n" + "mkdir " + quoted(dir / "after_full") + " && cp -r " + quoted(small / "film") +
          "/. " + quoted(dir / "after_full") + "\n" + "mkdir " + quoted(dir / "catalog_after_full") + " && cp " +
          quoted(db) + "* " + quoted(dir / "catalog_after_full") + "\n" + "remount 64m\n" + make + "--film 1" + args + " > /dev/null 2> " +
          quoted(dir / "second.err") + "; echo $? > " + quoted(dir / "second.rc") + "\n" + "cp -r " +
          quoted(small / "film") + " " + quoted(dir / "resumed") + "\n",
      log);
  ASSERT_EQ(rc, 0) << log << testing::read_file(dir / "first.err");
  const std::string err = testing::read_file(dir / "first.err");
  EXPECT_EQ(testing::read_file(dir / "first.rc"), "1\n") << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_NE(err.find(small.string()), std::string::npos) << err;  // names the file

  // What the full disk left: no video under its final name; every frame under its final name is a
  // whole PNG; no .partial left by the write that failed.
  EXPECT_FALSE(fs::exists(dir / "after_full" / "film.mp4"));
  int whole = 0;
  for (const auto& entry : fs::directory_iterator(dir / "after_full" / "frames")) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".partial"), std::string::npos) << name;
    if (name.find(".partial") != std::string::npos) continue;
    EXPECT_NO_THROW(decode_image_bytes(testing::read_file(entry.path()))) << name;
    ++whole;
  }
  {
    Catalog catalog(dir / "catalog_after_full" / "c.db");
    const auto film = catalog.films().get(1);
    ASSERT_TRUE(film);
    EXPECT_EQ(film->status, FilmStatus::failed);
    EXPECT_NE(film->error.find("No space left on device"), std::string::npos) << film->error;
    EXPECT_LE(film->frames_rendered, whole);
    EXPECT_LT(film->frames_rendered, film->frame_count);
  }

  EXPECT_EQ(testing::read_file(dir / "second.rc"), "0\n") << testing::read_file(dir / "second.err");
  // The resumed film is the film an uninterrupted render makes.
  auto fresh = testing::run_palimpsest({"--db", db.string(), "make", "--film", "1", "--out-dir", (dir / "uninterrupted").string(),
                                        "--size", "64x48", "--fps", "4", "--steps", "4", "-q", "--fresh"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  const std::string resumed = testing::read_file(dir / "resumed" / "film.mp4");
  EXPECT_FALSE(resumed.empty());
  EXPECT_EQ(resumed, testing::read_file(dir / "uninterrupted" / "film.mp4"));
}

}  // namespace
}  // namespace palimpsest

// Ingest's file walk (issue 15.7 and "unreadable files when not running as root"): links that name
// nothing, loops of links, links to folders and folders that cannot be listed are each one report,
// and the walk goes on.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/ingest/ingester.h"
#include "indexer/media/image_codec.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

std::string png() {
  RgbImage img(16, 16);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 13);
  return encode_png(img);
}

std::map<std::string, std::string> by_name(const std::vector<FileReport>& reports) {
  std::map<std::string, std::string> out;
  for (const FileReport& r : reports) out[r.path.filename().string()] = r.message;
  return out;
}

// An archive with every kind of awkward link next to two good images.
struct LinkedArchive {
  testing::TempDir dir;
  fs::path root = dir / "archive";
  LinkedArchive() {
    testing::write_file(root / "good.png", png());
    testing::write_file(root / "sub/inner.png", png());
    fs::create_symlink(root / "b.png", root / "a.png");  // a -> b -> a
    fs::create_symlink(root / "a.png", root / "b.png");
    fs::create_symlink(root / "self.png", root / "self.png");
    fs::create_symlink(dir / "nowhere.png", root / "dangling.png");
    fs::create_symlink(root / "good.png", root / "alias.png");  // a link to a file is that file
    fs::create_symlink(".", root / "sub/here");                 // folder loops through links
    fs::create_symlink("..", root / "sub/up");
  }
};

TEST(FileWalk, ListsEveryEntryOnceAndReportsLinksItDoesNotFollow) {
  LinkedArchive a;
  std::vector<FileReport> reports;
  const std::vector<fs::path> files = list_input_files({a.root}, reports);
  std::vector<std::string> names;
  for (const fs::path& f : files) names.push_back(f.lexically_relative(a.root).string());
  EXPECT_EQ(names, (std::vector<std::string>{"a.png", "alias.png", "b.png", "dangling.png", "good.png", "self.png",
                                             "sub/inner.png"}));
  const auto reasons = by_name(reports);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reasons.at("here"), "a link to a folder: not followed");
  EXPECT_EQ(reasons.at("up"), "a link to a folder: not followed");
  for (const FileReport& r : reports) EXPECT_EQ(r.outcome, FileOutcome::skipped);
}

// Issue 15.7: a symlink loop stopped the whole ingest ("Too many levels of symbolic links", exit
// 1, nothing ingested).
TEST(FileWalk, ALinkLoopIsOneFailedFileAndTheRestIsIngested) {
  LinkedArchive a;
  Catalog catalog(a.dir / "c.db");
  Ingester ingester(catalog, {});
  const IngestSummary summary = ingester.run({a.root});
  // alias.png is good.png (a link is the file it names): added once, then unchanged.
  EXPECT_EQ(summary.count(FileOutcome::added), 2);
  EXPECT_EQ(summary.count(FileOutcome::unchanged), 1);
  const auto failed = by_name(summary.failed);
  ASSERT_EQ(failed.size(), 4u);
  for (const char* loop : {"a.png", "b.png", "self.png"})
    EXPECT_NE(failed.at(loop).find("Too many levels of symbolic links"), std::string::npos) << loop << ": " << failed.at(loop);
  EXPECT_NE(failed.at("dangling.png").find("No such file"), std::string::npos) << failed.at("dangling.png");
  EXPECT_EQ(by_name(summary.skipped).size(), 2u);
  EXPECT_EQ(catalog.count_sources(), 2);
  // A loop named on the command line is one failed input as well.
  const IngestSummary named = Ingester(catalog, {}).run({a.root / "a.png", a.root / "good.png"});
  EXPECT_EQ(named.failed.size(), 1u);
  EXPECT_EQ(named.count(FileOutcome::unchanged), 1);
}

// Runs the CLI as an unprivileged user (nobody when this runs as root; as itself otherwise), so
// that permissions apply. stdout and stderr go to files in `work`, which that user can write.
testing::CommandResult run_unprivileged(const std::vector<std::string>& args, const fs::path& work) {
  const fs::path out = work / "stdout", err = work / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(120);
    }
    if (geteuid() == 0) _exit(121);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(122);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<std::string> copy = args;
    std::string binary = testing::palimpsest_binary();
    std::vector<char*> argv = {binary.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  testing::CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = testing::read_file(out);
  r.err = testing::read_file(err);
  return r;
}

TEST(FileWalk, UnreadableFilesAndFoldersAreReportedWhenNotRoot) {
  testing::TempDir dir;
  const fs::path root = dir / "archive", work = dir / "work";
  testing::write_file(root / "readable.png", png());
  testing::write_file(root / "secret.png", png());
  testing::write_file(root / "locked/inside.png", png());
  fs::create_directories(work);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(work, fs::perms::all);
  fs::permissions(root / "secret.png", fs::perms::none);
  fs::permissions(root / "locked", fs::perms::none);
  const testing::CommandResult r =
      run_unprivileged({"--db", (work / "c.db").string(), "ingest", root.string(), "--json", "--quiet"}, work);
  fs::permissions(root / "locked", fs::perms::owner_all);  // so that TempDir can remove it
  ASSERT_LT(r.exit_code, 120) << "could not run as an unprivileged user: " << r.exit_code;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  EXPECT_EQ(summary["files_added"], 1) << r.out;
  std::map<std::string, std::string> reasons;
  for (const auto& f : summary["failed"]) reasons[fs::path(f["path"].get<std::string>()).filename()] = f["reason"];
  ASSERT_EQ(reasons.size(), 2u) << r.out;
  EXPECT_EQ(reasons["secret.png"], "cannot read: Permission denied");
  EXPECT_EQ(reasons["locked"], "cannot list folder: Permission denied");
  EXPECT_NE(r.err.find("locked: cannot list folder: Permission denied"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 files failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace palimpsest

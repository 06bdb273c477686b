// Work claims (migration 0007): what lets two ingests on one catalog share the work (issue 15.9).
#include "schema/work_claims.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

constexpr double kFresh = 3600;  // no claim goes stale within a test
constexpr double kStale = -1;    // every other owner's claim counts as stale

TEST(WorkClaims, OwnersAreDistinct) { EXPECT_NE(new_work_owner(), new_work_owner()); }

TEST(WorkClaims, AFileHasOneLiveOwnerAndAStaleOneIsTakenOver) {
  testing::TempDir dir;
  Catalog a(dir / "c.db");
  Catalog b(dir / "c.db");  // a second connection, as a second process has
  const std::int64_t archive = a.ensure_archive("x", "/");
  EXPECT_TRUE(a.claims().claim_file(archive, "/f.png", "A", kFresh));
  EXPECT_TRUE(a.claims().claim_file(archive, "/f.png", "A", kFresh));  // already ours
  std::string holder;
  EXPECT_FALSE(b.claims().claim_file(archive, "/f.png", "B", kFresh, &holder));
  EXPECT_EQ(holder, "A");
  EXPECT_TRUE(b.claims().claim_file(archive, "/g.png", "B", kFresh));  // another file is free
  EXPECT_TRUE(b.claims().claim_file(archive, "/f.png", "B", kStale, &holder));  // A died
  EXPECT_FALSE(a.claims().claim_file(archive, "/f.png", "A", kFresh, &holder));
  EXPECT_EQ(holder, "B");
  b.claims().release_file(archive, "/f.png", "A");  // not A's any more: nothing happens
  EXPECT_FALSE(a.claims().claim_file(archive, "/f.png", "A", kFresh));
  b.claims().release_file(archive, "/f.png", "B");
  EXPECT_TRUE(a.claims().claim_file(archive, "/f.png", "A", kFresh));
  EXPECT_EQ(a.claims().touch("A"), 1);
  EXPECT_EQ(a.claims().touch("B"), 1);
  a.claims().release_all("B");
  EXPECT_EQ(a.claims().touch("B"), 0);
  EXPECT_EQ(a.integrity_check(), "ok");
}

// kill -9 leaves a run's claims behind; the next run on the same host must not wait for them to go
// stale (it deferred the killed run's file and finished without it).
TEST(WorkClaims, ClaimsOfAProcessThatEndedOnThisHostAreReleased) {
  testing::TempDir dir;
  Catalog c(dir / "c.db");
  const std::int64_t archive = c.ensure_archive("x", "/");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // its pid is now free
  const std::string me = new_work_owner();
  const std::string host = me.substr(0, me.find(':'));
  const std::string dead = host + ":" + std::to_string(child) + ":0000000000000000";
  const std::string elsewhere = "another-host:1:0000000000000000";
  ASSERT_TRUE(c.claims().claim_file(archive, "/dead.png", dead, kFresh));
  ASSERT_TRUE(c.claims().claim_file(archive, "/mine.png", me, kFresh));
  ASSERT_TRUE(c.claims().claim_file(archive, "/far.png", elsewhere, kFresh));
  EXPECT_EQ(c.claims().release_dead_owners(), 1);
  std::string holder;
  EXPECT_TRUE(c.claims().claim_file(archive, "/dead.png", "B", kFresh, &holder));
  EXPECT_FALSE(c.claims().claim_file(archive, "/mine.png", "B", kFresh, &holder));  // a live process
  EXPECT_EQ(holder, me);
  EXPECT_FALSE(c.claims().claim_file(archive, "/far.png", "B", kFresh, &holder));  // left to go stale
  EXPECT_EQ(holder, elsewhere);
}

TEST(WorkClaims, RecordsAreClaimedOnlyWhileTheyLackAVectorAndNoLiveOwnerHoldsThem) {
  testing::TempDir dir;
  Catalog a(dir / "c.db");
  Catalog b(dir / "c.db");
  const std::int64_t archive = a.ensure_archive("x", "/");
  SourceRow s;
  s.archive_id = archive;
  s.uri = "/t.txt";
  s.sha256 = "h";
  s.kind = SourceKind::text;
  auto w = a.replace_source(s);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    RecordRow r;
    r.kind = RecordKind::text;
    r.text = "paragraph " + std::to_string(i);
    ids.push_back(w.add_record(r));
  }
  w.commit();
  const std::int64_t model = a.embeddings().ensure_model("m", 2, "sha");
  a.embeddings().put(ids[0], model, {1, 0});  // already embedded

  const auto first = a.claims().claim_records(model, {ids[0], ids[1], ids[2], 999999}, "A", kFresh);
  EXPECT_EQ(first, (std::vector<std::int64_t>{ids[1], ids[2]}));  // not the embedded, not the missing
  const auto second = b.claims().claim_records(model, ids, "B", kFresh);
  EXPECT_EQ(second, (std::vector<std::int64_t>{ids[3], ids[4], ids[5]}));
  // A embeds its batch and releases; B, with an old list, cannot claim what A embedded.
  a.transaction([&] {
    a.embeddings().put(ids[1], model, {0, 1});
    a.embeddings().put(ids[2], model, {0, 1});
    a.claims().release_records(model, "A");
  });
  EXPECT_TRUE(b.claims().claim_records(model, {ids[1], ids[2]}, "C", kFresh).empty());
  // B died: its records go to whoever finds them stale.
  EXPECT_EQ(a.claims().claim_records(model, ids, "A", kStale), (std::vector<std::int64_t>{ids[3], ids[4], ids[5]}));
  // Replacing the source drops its records' claims with them.
  auto again = a.replace_source(s);
  again.commit();
  EXPECT_EQ(a.claims().touch("A"), 0);
  EXPECT_EQ(a.integrity_check(), "ok");
}

}  // namespace
}  // namespace palimpsest

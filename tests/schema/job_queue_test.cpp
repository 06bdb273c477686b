// The job queue's SQL: claims are exclusive, only the owner moves a running job, stale jobs are
// requeued or failed (with their film), and counts follow the states.
#include "schema/job_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "schema/catalog.h"
#include "schema/film_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<Catalog>(dir_ / "c.db");
    film_ = catalog_->films().create("F", "m", nlohmann::json::object(), nlohmann::json::object());
  }
  JobQueue& jobs() { return catalog_->jobs(); }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::int64_t film_ = 0;
};

TEST_F(JobQueueTest, ClaimsAreExclusiveAndInOrder) {
  const auto first = jobs().create(film_, {{"denoiser", "global"}});
  const auto second = jobs().create(film_, nlohmann::json::object());
  Catalog other(dir_ / "c.db");  // another process's connection
  const auto a = jobs().claim("host:1");
  const auto b = other.jobs().claim("host:2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, first);
  EXPECT_EQ(b->id, second);
  EXPECT_EQ(a->state, JobState::running);
  EXPECT_EQ(a->attempts, 1);
  EXPECT_EQ(a->options.value("denoiser", ""), "global");
  EXPECT_FALSE(jobs().claim("host:3"));
  EXPECT_EQ(jobs().count(JobState::running), 2);
  EXPECT_EQ(jobs().count(JobState::queued), 0);
}

TEST_F(JobQueueTest, OnlyTheOwnerMovesARunningJob) {
  const auto id = jobs().create(film_, nlohmann::json::object());
  ASSERT_TRUE(jobs().claim("me"));
  EXPECT_FALSE(jobs().touch(id, "someone else", 0.5));
  EXPECT_TRUE(jobs().touch(id, "me", 0.5));
  EXPECT_DOUBLE_EQ(jobs().get(id)->progress, 0.5);
  EXPECT_FALSE(jobs().finish(id, "someone else", JobState::done));
  EXPECT_THROW(jobs().finish(id, "me", JobState::running), CatalogError);
  EXPECT_TRUE(jobs().finish(id, "me", JobState::done));
  const auto done = jobs().get(id);
  EXPECT_EQ(done->state, JobState::done);
  EXPECT_DOUBLE_EQ(done->progress, 1.0);
  EXPECT_FALSE(done->finished_at.empty());
  EXPECT_FALSE(jobs().touch(id, "me", 0.9));  // no longer running
}

TEST_F(JobQueueTest, AGracefulStopHandsTheJobBackAndCancelEndsQueuedOnes) {
  const auto id = jobs().create(film_, nlohmann::json::object());
  ASSERT_TRUE(jobs().claim("me"));
  EXPECT_TRUE(jobs().finish(id, "me", JobState::queued));
  const auto back = jobs().get(id);
  EXPECT_EQ(back->state, JobState::queued);
  EXPECT_TRUE(back->owner.empty());
  EXPECT_EQ(jobs().cancel(film_, "deleted"), 1);
  EXPECT_EQ(jobs().get(id)->state, JobState::cancelled);
  EXPECT_EQ(jobs().get(id)->error, "deleted");
  EXPECT_EQ(jobs().latest(film_)->id, id);
}

TEST_F(JobQueueTest, StaleJobsAreRequeuedThenFailedWithTheirFilm) {
  const auto id = jobs().create(film_, nlohmann::json::object());
  ASSERT_TRUE(jobs().claim("dead:1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  // A fresh heartbeat is not stale.
  EXPECT_TRUE(jobs().recover(60, 2).empty());
  auto recovered = jobs().recover(0.01, 2);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(recovered[0].requeued);
  EXPECT_EQ(jobs().get(id)->state, JobState::queued);
  ASSERT_TRUE(jobs().claim("dead:2"));  // attempt 2
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  recovered = jobs().recover(0.01, 2);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_FALSE(recovered[0].requeued);
  EXPECT_EQ(jobs().get(id)->state, JobState::failed);
  const auto film = catalog_->films().get(film_, false);
  EXPECT_EQ(film->status, FilmStatus::failed);
  EXPECT_NE(film->error.find("interrupted 2 times"), std::string::npos);
}

TEST_F(JobQueueTest, SweepJobsAreTheirOwnKind) {
  const std::int64_t render = jobs().create(film_, nlohmann::json::object());
  const std::int64_t sweep = jobs().create(film_, {{"spec", nlohmann::json::object()}}, "sweep");
  EXPECT_EQ(jobs().get(render)->kind, "render");
  EXPECT_EQ(jobs().get(sweep)->kind, "sweep");
  // A film's job is its newest render job, not a sweep of it.
  EXPECT_EQ(jobs().latest(film_)->id, render);
  EXPECT_THROW(jobs().create(film_, nlohmann::json::object(), "other"), std::exception);

  // A sweep that died too often is failed; its film is left as it was.
  ASSERT_EQ(jobs().claim("gone")->id, render);
  ASSERT_EQ(jobs().claim("gone")->id, sweep);
  ASSERT_TRUE(jobs().finish(render, "gone", JobState::done));
  const auto recovered = jobs().recover(-1, 1);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_FALSE(recovered[0].requeued);
  EXPECT_EQ(jobs().get(sweep)->state, JobState::failed);
  EXPECT_EQ(catalog_->films().get(film_)->status, FilmStatus::planned);
}

}  // namespace
}  // namespace palimpsest

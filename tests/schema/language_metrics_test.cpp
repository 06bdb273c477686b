// Migration 0008 in the catalog: a frame's language share (the `language` role, record id 0,
// which no provenance row may reference) and its metrics round trip; provenance reads and shares
// show language as one more row; sweep jobs are jobs of their own kind.
#include <gtest/gtest.h>

#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

class LanguageMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<Catalog>(dir_ / "c.db");
    const auto archive = catalog_->ensure_archive("a", "/");
    SourceRow source;
    source.archive_id = archive;
    source.uri = "/pictures";
    source.sha256 = "h";
    source.kind = SourceKind::image;
    auto writer = catalog_->replace_source(source);
    for (int i = 0; i < 2; ++i) {
      RecordRow r;
      r.kind = RecordKind::image;
      ids_.push_back(writer.add_record(r));
    }
    writer.commit();
    film_ = films().create("Film", "m", nlohmann::json::object(), nlohmann::json::object());
  }
  FilmStore& films() { return catalog_->films(); }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::vector<std::int64_t> ids_;
  std::int64_t film_ = 0;
};

TEST_F(LanguageMetricsTest, LanguageShareAndMetricsRoundTrip) {
  const FrameMetrics metrics{0.31, std::nullopt, 0.6, 0.9, 0.12};
  FilmFrameRow frame{0, 0, true, true, 0.0, metrics};
  films().put_frame(film_, frame,
                    {{ids_[0], ProvenanceRole::keyframe, 0.6},
                     {ids_[1], ProvenanceRole::denoiser, 0.3},
                     {kLanguageRecord, ProvenanceRole::language, 0.1}});
  films().put_frame(film_, {1, 0, true, false}, {{ids_[0], ProvenanceRole::keyframe, 1.0}});

  const auto stored = films().frame(film_, 0);
  ASSERT_TRUE(stored);
  EXPECT_DOUBLE_EQ(stored->language, 0.1);
  EXPECT_EQ(stored->metrics, metrics);
  EXPECT_EQ(films().frames(film_)[1].metrics, FrameMetrics{});
  EXPECT_DOUBLE_EQ(films().frames(film_)[1].language, 0.0);

  // Reads give language as a row of its own, ordered with the pixel roles.
  const std::vector<ProvenanceRow> rows = films().frame_provenance(film_, 0);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].record_id, kLanguageRecord);
  EXPECT_EQ(rows[2].role, ProvenanceRole::language);
  EXPECT_DOUBLE_EQ(rows[2].weight, 0.1);
  const std::vector<ProvenanceRow> all = films().all_frame_provenance(film_)[0].second;
  ASSERT_EQ(all.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(all[i].record_id, rows[i].record_id);
    EXPECT_EQ(all[i].role, rows[i].role);
    EXPECT_DOUBLE_EQ(all[i].weight, rows[i].weight);
  }
  EXPECT_EQ(films().frame_provenance(film_, 1).size(), 1u);  // no language row for a share of 0
  bool language = false;
  for (const FilmShareRow& s : films().shares(film_))
    if (s.role == ProvenanceRole::language) {
      language = true;
      EXPECT_DOUBLE_EQ(s.share, 0.05);  // 0.1 over two frames
      EXPECT_EQ(s.frames, 1);
    }
  EXPECT_TRUE(language);
  EXPECT_EQ(films().shot_shares(film_).size(), 3u);
  EXPECT_EQ(frame_provenance_json(*stored, rows, std::nullopt)["metrics"]["clip_score"], 0.31);

  // Writing the frame again replaces its share; clearing forgets it.
  films().put_frame(film_, {0, 0, true, true}, {{ids_[0], ProvenanceRole::keyframe, 1.0}});
  EXPECT_DOUBLE_EQ(films().frame(film_, 0)->language, 0.0);
  EXPECT_EQ(films().frame_provenance(film_, 0).size(), 1u);
  films().clear_frames(film_);
  EXPECT_TRUE(films().shares(film_).empty());
  EXPECT_EQ(catalog_->integrity_check(), "ok");
}

TEST_F(LanguageMetricsTest, SweepJobsAreTheirOwnKind) {
  JobQueue& jobs = catalog_->jobs();
  const std::int64_t render = jobs.create(film_, nlohmann::json::object());
  const std::int64_t sweep = jobs.create(film_, {{"spec", nlohmann::json::object()}}, "sweep");
  EXPECT_EQ(jobs.get(render)->kind, "render");
  EXPECT_EQ(jobs.get(sweep)->kind, "sweep");
  // A film's job is its newest render job, not a sweep of it.
  EXPECT_EQ(jobs.latest(film_)->id, render);
  EXPECT_THROW(jobs.create(film_, nlohmann::json::object(), "other"), std::exception);

  // A sweep that died too often is failed; its film is left as it was.
  ASSERT_EQ(jobs.claim("gone")->id, render);
  ASSERT_EQ(jobs.claim("gone")->id, sweep);
  ASSERT_TRUE(jobs.finish(render, "gone", JobState::done));
  const auto recovered = jobs.recover(-1, 1);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_FALSE(recovered[0].requeued);
  EXPECT_EQ(jobs.get(sweep)->state, JobState::failed);
  EXPECT_EQ(films().get(film_)->status, FilmStatus::planned);
}

TEST_F(LanguageMetricsTest, AFilmsSweepsAreListedNewestFirst) {
  JobQueue& jobs = catalog_->jobs();
  EXPECT_TRUE(jobs.sweeps(film_).empty());
  const std::int64_t first = jobs.create(film_, {{"spec", nlohmann::json::object()}}, "sweep");
  jobs.create(film_, nlohmann::json::object());  // a render is not a sweep
  const std::int64_t second = jobs.create(film_, {{"spec", nlohmann::json::object()}}, "sweep");
  const std::vector<JobRow> sweeps = jobs.sweeps(film_);
  ASSERT_EQ(sweeps.size(), 2u);
  EXPECT_EQ(sweeps[0].id, second);
  EXPECT_EQ(sweeps[1].id, first);
  EXPECT_EQ(sweeps[1].kind, "sweep");
  EXPECT_TRUE(jobs.sweeps(film_ + 1).empty());
}

}  // namespace
}  // namespace palimpsest

// The film store's SQL: frames and provenance rows, shares computed in SQL (the one place film
// shares are computed), reverse provenance, batch reads and cascades.
#include "schema/film_store.h"

#include <gtest/gtest.h>

#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/job_queue.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

class FilmStoreTest : public ::testing::Test {
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
    for (int i = 0; i < 4; ++i) {
      RecordRow r;
      r.kind = i == 3 ? RecordKind::text : RecordKind::image;
      r.title = "record " + std::to_string(i);
      ids_.push_back(writer.add_record(r));
    }
    writer.commit();
    film_ = films().create("Film", "script.fountain", nlohmann::json::object(), nlohmann::json::object());
  }

  FilmStore& films() { return catalog_->films(); }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::vector<std::int64_t> ids_;
  std::int64_t film_ = 0;
};

// Two frames: frame 0 = 0.75 A (keyframe) + 0.25 B, guidance T; frame 1 = 1.0 B. Shot 0 holds
// frame 0, shot 1 frame 1.
TEST_F(FilmStoreTest, SharesAreWeightsSummedOverFramesDividedByTheFrames) {
  const auto a = ids_[0], b = ids_[1], t = ids_[3];
  films().put_frame(film_, {0, 0, true, false},
                    {{a, ProvenanceRole::keyframe, 0.75}, {b, ProvenanceRole::denoiser, 0.25}, {t, ProvenanceRole::guidance, 0.6}});
  films().put_frame(film_, {1, 1, false, true}, {{b, ProvenanceRole::denoiser, 1.0}});

  const std::vector<FilmShareRow> shares = films().shares(film_);
  ASSERT_EQ(shares.size(), 3u);
  // Pixel roles first, largest first; guidance last.
  EXPECT_EQ(shares[0].record_id, b);
  EXPECT_DOUBLE_EQ(shares[0].share, 0.625);
  EXPECT_EQ(shares[0].frames, 2);
  EXPECT_EQ(shares[1].record_id, a);
  EXPECT_EQ(shares[1].role, ProvenanceRole::keyframe);
  EXPECT_DOUBLE_EQ(shares[1].share, 0.375);
  EXPECT_EQ(shares[2].role, ProvenanceRole::guidance);
  EXPECT_DOUBLE_EQ(shares[2].share, 0.3);

  const std::vector<ShotShareRow> per_shot = films().shot_shares(film_);
  ASSERT_EQ(per_shot.size(), 4u);
  EXPECT_EQ(per_shot[0].shot, 0);
  EXPECT_EQ(per_shot[0].record_id, a);
  EXPECT_DOUBLE_EQ(per_shot[0].share, 0.75);
  EXPECT_EQ(per_shot[3].shot, 1);
  EXPECT_DOUBLE_EQ(per_shot[3].share, 1.0);

  // Reverse provenance: B is in both frames, strongest first.
  const std::vector<RecordUse> uses = films().record_uses(b, 10);
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].frame, 1);
  EXPECT_DOUBLE_EQ(uses[0].weight, 1.0);
  EXPECT_EQ(uses[0].film_title, "Film");
}

TEST_F(FilmStoreTest, ABatchReadEqualsTheFrameByFrameReads) {
  for (int f = 0; f < 5; ++f)
    films().put_frame(film_, {f, f / 2, true, false},
                      {{ids_[f % 3], ProvenanceRole::denoiser, 0.4}, {ids_[(f + 1) % 3], ProvenanceRole::keyframe, 0.6},
                       {ids_[3], ProvenanceRole::guidance, 1.0}});
  const auto all = films().all_frame_provenance(film_);
  ASSERT_EQ(all.size(), 5u);
  for (const auto& [frame, rows] : all) {
    const auto one = films().frame_provenance(film_, frame);
    ASSERT_EQ(rows.size(), one.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].record_id, one[i].record_id);
      EXPECT_EQ(rows[i].role, one[i].role);
      EXPECT_DOUBLE_EQ(rows[i].weight, one[i].weight);
    }
    EXPECT_EQ(rows.front().role, ProvenanceRole::keyframe);  // by weight, guidance last
    EXPECT_EQ(rows.back().role, ProvenanceRole::guidance);
  }
}

TEST_F(FilmStoreTest, PuttingAFrameAgainReplacesItsRowsAndClearingForgetsThem) {
  films().put_frame(film_, {0, 0, true, false}, {{ids_[0], ProvenanceRole::denoiser, 1.0}});
  films().put_frame(film_, {0, 0, false, true}, {{ids_[1], ProvenanceRole::denoiser, 1.0}});
  const auto rows = films().frame_provenance(film_, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].record_id, ids_[1]);
  EXPECT_TRUE(films().frame(film_, 0)->has_map);
  EXPECT_EQ(films().get(film_)->frames_rendered, 1);
  films().clear_frames(film_);
  EXPECT_TRUE(films().frames(film_).empty());
  EXPECT_TRUE(films().frame_provenance(film_, 0).empty());
}

TEST_F(FilmStoreTest, StatusRoundTripsAndRemovalCascades) {
  films().set_render(film_, FilmStatus::failed, 0.5, "out of disk");
  auto film = films().get(film_, /*with_timeline=*/false);
  ASSERT_TRUE(film);
  EXPECT_EQ(film->status, FilmStatus::failed);
  EXPECT_EQ(film->error, "out of disk");
  EXPECT_TRUE(film->timeline.is_null());  // not read when not asked for
  EXPECT_TRUE(films().get(film_)->timeline.is_object());
  films().put_frame(film_, {0, 0, true, false}, {{ids_[0], ProvenanceRole::denoiser, 1.0}});
  catalog_->jobs().create(film_, nlohmann::json::object());
  EXPECT_TRUE(films().remove(film_));
  EXPECT_FALSE(films().get(film_));
  EXPECT_TRUE(films().record_uses(ids_[0], 10).empty());
  EXPECT_FALSE(films().remove(film_));
  EXPECT_EQ(catalog_->integrity_check(), "ok");
}

// Migration 0008: a frame's language share (the `language` role, record id 0, which no provenance
// row may reference) and its metrics round trip; provenance reads and shares show language as one
// more row.
TEST_F(FilmStoreTest, LanguageShareAndMetricsRoundTrip) {
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
  EXPECT_EQ(provenance_entries_json(films().all_frame_provenance(film_)[0].second), provenance_entries_json(rows));
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

TEST(CatalogJson, FrameProvenanceShapeIsTheSameForEveryWriter) {
  const FilmFrameRow frame{7, 2, false, true};
  const std::vector<ProvenanceRow> rows = {{5, ProvenanceRole::keyframe, 0.5}, {9, ProvenanceRole::guidance, 1.0}};
  const nlohmann::json j = frame_provenance_json(frame, rows, std::nullopt);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"frame": 7, "shot": 2, "diffused": false, "entries": [
      {"record_id": 5, "role": "keyframe", "weight": 0.5}, {"record_id": 9, "role": "guidance", "weight": 1.0}],
      "heard": null,
      "metrics": {"clip_score": null, "flicker": null, "top_share": null, "entropy": null, "novelty": null}})"));
  const SoundInterval heard{7, 0.5, 0.625, {{7, 5, 0.25}, {7, 9, 0.125}}};
  EXPECT_EQ(frame_provenance_json(frame, rows, heard)["heard"], nlohmann::json::parse(R"({"interval": 7,
      "from_s": 0.5, "to_s": 0.625, "records": [{"record_id": 5, "gain": 0.25}, {"record_id": 9, "gain": 0.125}]})"));
}

TEST(CatalogRows, EveryNameRoundTrips) {
  for (auto s : {FilmStatus::planned, FilmStatus::rendering, FilmStatus::done, FilmStatus::failed})
    EXPECT_EQ(parse_film_status(to_string(s)), s);
  for (auto s : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::cancelled})
    EXPECT_EQ(parse_job_state(to_string(s)), s);
  for (auto r : {ProvenanceRole::keyframe, ProvenanceRole::guidance, ProvenanceRole::denoiser, ProvenanceRole::init})
    EXPECT_EQ(parse_provenance_role(to_string(r)), r);
  EXPECT_FALSE(parse_film_status("Done"));
  EXPECT_FALSE(parse_job_state(""));
}

}  // namespace
}  // namespace palimpsest

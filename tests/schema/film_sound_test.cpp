// The provenance of a film's sound in the catalog (migration 0006): the soundtrack row and its
// per-interval gains, frames mapped to intervals, shares computed in SQL, reverse provenance,
// replacement in one transaction and cascades.
#include <cmath>

#include <gtest/gtest.h>

#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

class FilmSoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<Catalog>(dir_ / "c.db");
    archive_ = catalog_->ensure_archive("a", "/");
    add_source("/sounds.wav", 2);
    film_ = films().create("Film", "script.fountain", nlohmann::json::object(), nlohmann::json::object());
  }

  void add_source(const std::string& uri, int records) {
    SourceRow source;
    source.archive_id = archive_;
    source.uri = uri;
    source.sha256 = "h" + uri;
    source.kind = SourceKind::audio;
    auto writer = catalog_->replace_source(source);
    ids_.clear();
    for (int i = 0; i < records; ++i) {
      RecordRow r;
      r.kind = RecordKind::audio;
      r.ts_ms = 2000 * i;
      r.dur_ms = 2000;
      r.title = "segment " + std::to_string(i);
      ids_.push_back(writer.add_record(r));
    }
    writer.commit();
  }

  // 12 fps, 4000 samples a frame, provenance per frame; 2.5 frames long (the last interval is
  // half an interval).
  FilmSoundtrackRow per_frame() const {
    FilmSoundtrackRow t;
    t.film_id = film_;
    t.samples = 10000;
    t.interval_samples = 4000;
    t.fps = 12;
    t.clips = 2;
    t.gain_db = 3.5;
    t.mix_lufs = -26.5;
    t.output_lufs = -23.0;
    t.true_peak_dbtp = -4.0;
    t.warnings = {"a warning"};
    return t;
  }

  FilmStore& films() { return catalog_->films(); }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::int64_t archive_ = 0;
  std::vector<std::int64_t> ids_;
  std::int64_t film_ = 0;
};

TEST_F(FilmSoundTest, ASoundtrackRoundTripsAndSilenceIsStoredAsNull) {
  EXPECT_FALSE(films().soundtrack(film_));
  EXPECT_FALSE(films().heard_at_frame(film_, 0)) << "no soundtrack: nothing, not silence";
  films().put_soundtrack(per_frame(), {});
  auto t = films().soundtrack(film_);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->samples, 10000);
  EXPECT_EQ(t->interval_samples, 4000);
  EXPECT_TRUE(t->per_frame());
  EXPECT_EQ(t->intervals(), 3);
  EXPECT_DOUBLE_EQ(*t->mix_lufs, -26.5);
  EXPECT_EQ(t->warnings, std::vector<std::string>{"a warning"});
  EXPECT_FALSE(t->created_at.empty());

  FilmSoundtrackRow silent = per_frame();
  silent.mix_lufs = -INFINITY;
  silent.output_lufs = -INFINITY;
  silent.true_peak_dbtp = std::nullopt;
  films().put_soundtrack(silent, {});
  t = films().soundtrack(film_);
  EXPECT_FALSE(t->mix_lufs);
  EXPECT_FALSE(t->output_lufs);
  const nlohmann::json j = soundtrack_json(t, {});
  EXPECT_TRUE(j["mix_lufs"].is_null());
  EXPECT_EQ(j["interval"], "frame");
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 10000.0 / 48000);
  EXPECT_EQ(soundtrack_json(std::nullopt, {}), nullptr);
}

TEST_F(FilmSoundTest, FramesReadTheIntervalHoldingTheirFirstSample) {
  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}, {1, ids_[0], 0.25}, {1, ids_[1], 0.75}});
  auto heard = films().heard_at_frame(film_, 1);
  ASSERT_TRUE(heard);
  EXPECT_EQ(heard->interval, 1);
  EXPECT_DOUBLE_EQ(heard->from_s, 4000.0 / 48000);
  EXPECT_DOUBLE_EQ(heard->to_s, 8000.0 / 48000);
  ASSERT_EQ(heard->records.size(), 2u);
  EXPECT_EQ(heard->records[0].record_id, ids_[1]) << "loudest first";
  EXPECT_DOUBLE_EQ(heard->records[0].gain, 0.75);
  heard = films().heard_at_frame(film_, 2);
  EXPECT_EQ(heard->interval, 2);
  EXPECT_DOUBLE_EQ(heard->to_s, 10000.0 / 48000) << "the last interval ends with the film";
  EXPECT_TRUE(heard->records.empty()) << "silence: a soundtrack, no record heard";
  EXPECT_EQ(films().all_heard(film_).size(), 3u);
}

TEST_F(FilmSoundTest, SharesWeighGainsByTheLengthOfTheirIntervals) {
  // Record A: gain 0.5 in interval 0 (4000 samples) and 1.0 in interval 2 (2000 samples);
  // record B: gain 0.5 in interval 1.
  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}, {2, ids_[0], 1.0}, {1, ids_[1], 0.5}});
  const std::vector<SoundShareRow> shares = films().sound_shares(film_);
  ASSERT_EQ(shares.size(), 2u);
  const double a = 0.5 * 4000 + 1.0 * 2000, b = 0.5 * 4000;
  EXPECT_EQ(shares[0].record_id, ids_[0]);
  EXPECT_DOUBLE_EQ(shares[0].share, a / (a + b));
  EXPECT_DOUBLE_EQ(shares[0].mean_gain, a / 10000);
  EXPECT_DOUBLE_EQ(shares[0].seconds, 6000.0 / 48000);
  EXPECT_EQ(shares[0].intervals, 2);
  EXPECT_DOUBLE_EQ(shares[1].share, b / (a + b));
  EXPECT_DOUBLE_EQ(shares[0].share + shares[1].share, 1.0);
  EXPECT_EQ(sound_share_json(shares[1])["record_id"], ids_[1]);
}

TEST_F(FilmSoundTest, ReverseProvenanceNamesTheFramesOfEachInterval) {
  // 29.97 fps: a frame is not a whole number of samples, so the provenance is per second.
  FilmSoundtrackRow t = per_frame();
  t.fps = 30000.0 / 1001;
  t.samples = 48000 * 2 + 24000;
  t.interval_samples = 48000;
  films().put_soundtrack(t, {{0, ids_[0], 0.2}, {2, ids_[0], 0.9}});
  const auto stored = films().soundtrack(film_);
  EXPECT_FALSE(stored->per_frame());
  EXPECT_EQ(soundtrack_json(stored, {})["interval"], "second");
  const std::vector<RecordHeard> heard = films().record_heard(ids_[0], 10);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[0].interval, 2) << "loudest first";
  EXPECT_EQ(heard[0].film_title, "Film");
  EXPECT_DOUBLE_EQ(heard[0].from_s, 2.0);
  EXPECT_DOUBLE_EQ(heard[0].to_s, 2.5);
  // Frame f starts at round(f * 1001 / 30000 * 48000) = round(f * 1601.6): frames 60..74 start
  // in [96000, 120000).
  EXPECT_EQ(heard[0].first_frame, 60);
  EXPECT_EQ(heard[0].end_frame, 75);
  EXPECT_EQ(heard[1].first_frame, 0);
  EXPECT_EQ(heard[1].end_frame, 30);
  for (std::int64_t f = 0; f < 75; ++f) {
    const std::int64_t i = stored->interval_of_frame(f);
    const auto [first, end] = stored->frames_of_interval(i);
    EXPECT_TRUE(first <= f && f < end) << "frame " << f << " in interval " << i;
  }
  EXPECT_EQ(record_heard_json(heard[0])["end_frame"], 75);
}

TEST_F(FilmSoundTest, ASoundtrackIsReplacedWholeAndGoesWithItsFilmOrItsRecords) {
  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}, {1, ids_[1], 0.5}});
  films().put_soundtrack(per_frame(), {{0, ids_[1], 0.25}});
  ASSERT_EQ(films().all_heard(film_).size(), 1u) << "the earlier render's rows are gone";
  EXPECT_TRUE(films().record_heard(ids_[0], 10).empty());

  // A record replaced by re-ingesting its file leaves the soundtrack's provenance.
  const std::int64_t gone = ids_[1];
  add_source("/sounds.wav", 1);
  EXPECT_TRUE(films().all_heard(film_).empty());
  EXPECT_TRUE(films().record_heard(gone, 10).empty());

  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}});
  films().clear_soundtrack(film_);
  EXPECT_FALSE(films().soundtrack(film_));
  EXPECT_TRUE(films().all_heard(film_).empty());

  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}});
  EXPECT_TRUE(films().remove(film_));
  EXPECT_TRUE(films().record_heard(ids_[0], 10).empty());
  EXPECT_EQ(catalog_->integrity_check(), "ok");
}

TEST_F(FilmSoundTest, AFailedWriteLeavesTheEarlierSoundtrack) {
  films().put_soundtrack(per_frame(), {{0, ids_[0], 0.5}});
  // An unknown record breaks the foreign key in the middle of the transaction.
  EXPECT_ANY_THROW(films().put_soundtrack(per_frame(), {{0, ids_[0], 0.25}, {1, 999999, 0.5}}));
  const auto heard = films().all_heard(film_);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_DOUBLE_EQ(heard[0].gain, 0.5);
}

}  // namespace
}  // namespace palimpsest

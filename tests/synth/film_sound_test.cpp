// Films with sound, end to end through make_film: the soundtrack lasts the film, a shot on a
// video's keyframe sounds like that video at that time, a shot on a still is silent, the audio
// provenance sums to the gains the mixer used (normalisation and fades included), loudness is
// -23 LUFS, and a render without sound has no audio stream.
#include <cmath>
#include <fstream>
#include <numbers>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/loudness_meter.h"
#include "schema/catalog_json.h"
#include "synth/film_maker.h"
#include "synth/soundtrack_plan.h"
#include "tests/common/test_support.h"
#include "tests/synth/sound_archive.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

constexpr int kRate = kSoundtrackRate;

// Left channel of a file's sound, 48 kHz.
std::vector<float> decode_left(const fs::path& path) {
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  std::vector<float> left;
  decode_audio(path, options, [&](const AudioBlock& b) {
    for (std::int64_t i = 0; i < b.frames; ++i) left.push_back(b.f32[2 * i]);
  });
  return left;
}

// Pearson correlation of film[from_s, to_s) with the chirp `offset_s` later.
double correlation_with_chirp(const std::vector<float>& film, double from_s, double to_s, double offset_s) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  const auto first = static_cast<std::size_t>(from_s * kRate), last = static_cast<std::size_t>(to_s * kRate);
  for (std::size_t i = first; i < last; ++i) {
    const double x = film[i], y = testing::chirp(static_cast<double>(i) / kRate + offset_s);
    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
  }
  const double n = static_cast<double>(last - first);
  return (sxy - sx * sy / n) / std::sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
}

double rms(const std::vector<float>& s, double from_s, double to_s) {
  double sum = 0;
  const auto first = static_cast<std::size_t>(from_s * kRate), last = static_cast<std::size_t>(to_s * kRate);
  for (std::size_t i = first; i < last; ++i) sum += static_cast<double>(s[i]) * s[i];
  return std::sqrt(sum / static_cast<double>(last - first));
}

class FilmSoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<Catalog>(dir_ / "c.db");
    archive_ = testing::make_sound_archive(*catalog_, dir_.path());
  }

  FilmResult make(bool sound) {
    FilmMakeOptions options;
    options.settings.denoiser = DenoiserKind::global;
    options.attribution_maps = false;
    options.sound = sound;
    return make_film(*catalog_, archive_.film, options);
  }

  // The gain of record `id` heard at `frame` (0 when it is not heard).
  double heard(std::int64_t frame, std::int64_t id) {
    const std::optional<SoundInterval> heard = catalog_->films().heard_at_frame(archive_.film, frame);
    for (const HeardRow& h : heard->records)
      if (h.record_id == id) return h.gain;
    return 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  testing::SoundArchive archive_;
};

TEST_F(FilmSoundTest, TheSoundtrackLastsTheFilmAndSoundsLikeItsRecords) {
  const FilmResult r = make(true);
  ASSERT_TRUE(r.sound);
  EXPECT_TRUE(r.sound_warnings.empty()) << r.sound_warnings.front();
  EXPECT_EQ(r.sound_clips, 3);
  EXPECT_FALSE(fs::exists(r.video_path.string() + ".picture"));
  EXPECT_FALSE(fs::exists(r.video_path.string() + ".partial"));

  const std::optional<FilmSoundtrackRow> t = catalog_->films().soundtrack(archive_.film);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->samples, 6 * kRate) << "72 frames at 12 fps";
  EXPECT_TRUE(t->per_frame());
  EXPECT_EQ(t->intervals(), 72);

  const std::vector<float> film = decode_left(r.video_path);
  EXPECT_NEAR(static_cast<double>(film.size()), 6.0 * kRate, 1024) << "the AAC stream lasts the film, give or take a frame";
  // Shot 0 plays the video from 3 s, shot 2 from 1 s (under the tone): each correlates with the
  // chirp at its own time and not half a second off.
  EXPECT_GT(correlation_with_chirp(film, 0.2, 1.8, 3.0), 0.95);
  EXPECT_LT(std::abs(correlation_with_chirp(film, 0.2, 1.8, 3.5)), 0.2);
  EXPECT_LT(std::abs(correlation_with_chirp(film, 0.2, 1.8, 1.0)), 0.2);
  EXPECT_GT(correlation_with_chirp(film, 4.2, 5.8, -3.0), 0.8) << "the chirp from 1 s, with the tone under it";
  // Shot 1 (a still) is silent.
  EXPECT_LT(rms(film, 2.1, 3.9), 1e-4);
  EXPECT_GT(rms(film, 0.2, 1.8), 0.02);

  // Loudness-normalised to -23 LUFS.
  LoudnessMeter meter(kRate, 1, true, /*dual_mono=*/true);
  meter.add(film.data(), static_cast<std::int64_t>(film.size()));
  EXPECT_NEAR(meter.finish().integrated_lufs, -23.0, 1.0);
  EXPECT_NEAR(*t->output_lufs, -23.0, 1.0);
}

TEST_F(FilmSoundTest, BeforeNormalisationSilenceIsExactlyZero) {
  const Timeline timeline = Timeline::from_json(catalog_->films().get(archive_.film)->timeline);
  const SoundtrackPlan plan = plan_soundtrack(
      timeline, [&](std::int64_t id) { return catalog_->record(id); }, probe_source_sound());
  SoundtrackOptions options;
  options.normalise = false;
  std::vector<float> pcm;
  mix_soundtrack(plan.duration_s, plan.clips, options,
                 [&](const float* block, std::int64_t frames) { pcm.insert(pcm.end(), block, block + 2 * frames); });
  ASSERT_EQ(pcm.size(), 2u * 6 * kRate);
  std::int64_t nonzero = 0;
  for (std::size_t i = 2 * 2 * kRate; i < 2 * 4 * kRate; ++i) nonzero += pcm[i] != 0.0f;
  EXPECT_EQ(nonzero, 0) << "shot 1, frames 24..47, plays nothing";
  EXPECT_NE(pcm[2 * kRate / 2], 0.0f);
}

TEST_F(FilmSoundTest, TheProvenanceOfTheSoundIsTheGainsTheMixerUsed) {
  make(true);
  const FilmSoundtrackRow t = *catalog_->films().soundtrack(archive_.film);
  const double norm = std::pow(10.0, t.gain_db / 20.0);
  // Inside shot 0: the video at gain 1, times the one normalisation gain.
  const auto at_12 = catalog_->films().heard_at_frame(archive_.film, 12);
  ASSERT_EQ(at_12->records.size(), 1u);
  EXPECT_EQ(at_12->records[0].record_id, archive_.frame_at_3s);
  EXPECT_NEAR(at_12->records[0].gain, norm * kPictureGain, 1e-12);
  // Frame 23 (the last 4000 samples of shot 0) holds the clip's 0.05 s equal-power fade-out.
  double ramp = 0;
  const int fade = static_cast<int>(kEdgeFadeS * kRate);
  for (int k = 0; k < 4000; ++k) {
    const int left = 4000 - k;  // samples to the clip's end, this one included
    ramp += left <= fade ? std::sin(std::numbers::pi / 2 * (left - 0.5) / fade) : 1.0;
  }
  EXPECT_NEAR(heard(23, archive_.frame_at_3s), norm * ramp / 4000, 1e-12);
  // Shot 1: silence.
  for (std::int64_t f = 24; f < 48; ++f) EXPECT_TRUE(catalog_->films().heard_at_frame(archive_.film, f)->records.empty()) << f;
  // Inside shot 2: the video at 1, the tone under it at 0.6 / 0.6 x 0.5 (the text is not heard).
  EXPECT_NEAR(heard(60, archive_.frame_at_1s), norm * kPictureGain, 1e-12);
  EXPECT_NEAR(heard(60, archive_.tone_record), norm * kUnderPictureGain, 1e-12);
  EXPECT_EQ(heard(60, archive_.text), 0);

  // Shares: the gain x time of each record over all of it.
  const std::vector<SoundShareRow> shares = catalog_->films().sound_shares(archive_.film);
  ASSERT_EQ(shares.size(), 3u);
  double total = 0;
  for (const SoundShareRow& s : shares) total += s.share;
  EXPECT_NEAR(total, 1.0, 1e-12);
  // Reverse provenance: the tone is heard in shot 2's frames only.
  const std::vector<RecordHeard> tone = catalog_->films().record_heard(archive_.tone_record, 1000);
  ASSERT_EQ(tone.size(), 24u);
  for (const RecordHeard& h : tone) {
    EXPECT_GE(h.first_frame, 48);
    EXPECT_EQ(h.end_frame, h.first_frame + 1);
  }

  // provenance.json says the same as the catalog, through the same writers.
  std::ifstream in(catalog_->films().get(archive_.film)->output_dir + "/provenance.json");
  const nlohmann::json file = nlohmann::json::parse(in);
  EXPECT_EQ(file["sound"], soundtrack_json(t, shares));
  EXPECT_EQ(file["frames"][60]["heard"], sound_interval_json(*catalog_->films().heard_at_frame(archive_.film, 60)));
  EXPECT_EQ(file["frames"][30]["heard"]["records"], nlohmann::json::array());
}

TEST_F(FilmSoundTest, WithoutSoundTheFilmHasNoAudioStreamAndNoSoundProvenance) {
  make(true);
  const FilmResult r = make(false);  // the frames are reused; only the MP4 changes
  EXPECT_EQ(r.frames_rendered, 0);
  EXPECT_FALSE(r.sound);
  EXPECT_THROW(AudioDecoder decoder(r.video_path), NoAudioStreamError);
  EXPECT_FALSE(catalog_->films().soundtrack(archive_.film));
  EXPECT_FALSE(catalog_->films().heard_at_frame(archive_.film, 12));
  EXPECT_TRUE(catalog_->films().record_heard(archive_.tone_record, 10).empty());
  std::ifstream in(r.output_dir / "provenance.json");
  const nlohmann::json file = nlohmann::json::parse(in);
  EXPECT_TRUE(file["sound"].is_null());
  EXPECT_TRUE(file["frames"][12]["heard"].is_null());
}

TEST_F(FilmSoundTest, AnUnreadableSourceIsSilentAndSaidSo) {
  fs::remove(archive_.tone);
  const FilmResult r = make(true);
  ASSERT_EQ(r.sound_warnings.size(), 1u);
  EXPECT_NE(r.sound_warnings[0].find("record " + std::to_string(archive_.tone_record) + " (" + archive_.tone.string() +
                                     "): cannot be heard"),
            std::string::npos)
      << r.sound_warnings[0];
  EXPECT_EQ(heard(60, archive_.tone_record), 0);
  EXPECT_GT(heard(60, archive_.frame_at_1s), 0);
  EXPECT_EQ(catalog_->films().soundtrack(archive_.film)->warnings, r.sound_warnings);
}

}  // namespace
}  // namespace palimpsest

// The soundtrack plan's rules on a timeline with made-up records and sources: picture sound from
// video keyframes, guidance sound and its gains, cross-fades and ramps, times on the video's
// timeline, sources that end early, cannot be read or have no sound, and the provenance interval.
#include "synth/soundtrack_plan.h"

#include <map>
#include <stdexcept>

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

class SoundtrackPlanTest : public ::testing::Test {
 protected:
  std::int64_t add(RecordKind kind, const std::string& uri, std::int64_t ts_ms, std::optional<std::int64_t> dur_ms = {}) {
    RecordRow r;
    r.id = static_cast<std::int64_t>(records_.size()) + 1;
    r.kind = kind;
    r.uri = uri;
    r.ts_ms = ts_ms;
    r.dur_ms = dur_ms;
    records_[r.id] = r;
    return r.id;
  }

  Shot& shot(std::int64_t start, std::int64_t end) {
    Shot s;
    s.index = static_cast<int>(timeline_.shots.size());
    s.start_frame = start;
    s.end_frame = end;
    timeline_.shots.push_back(s);
    timeline_.frame_count = std::max(timeline_.frame_count, end);
    return timeline_.shots.back();
  }

  SoundtrackPlan plan() {
    return plan_soundtrack(
        timeline_,
        [&](std::int64_t id) -> std::optional<RecordRow> {
          auto found = records_.find(id);
          return found == records_.end() ? std::nullopt : std::optional<RecordRow>(found->second);
        },
        [&](const std::filesystem::path& path) -> std::optional<SourceSound> {
          ++probes_[path.string()];
          if (path == "/broken.mp4") throw std::runtime_error("/broken.mp4: not a media file");
          if (path == "/silent.mp4") return std::nullopt;
          if (path == "/late.mp4") return SourceSound{20, 0.5};  // audio starts 0.5 s after the video
          if (path == "/short.wav") return SourceSound{2.5, 0};
          return SourceSound{60, 0};
        });
  }

  Timeline timeline_ = [] {
    Timeline t;
    t.fps = 12;
    t.planned = true;
    return t;
  }();
  std::map<std::int64_t, RecordRow> records_;
  std::map<std::string, int> probes_;
};

TEST_F(SoundtrackPlanTest, AVideoKeyframeSoundsFromItsTimeUntilTheNextKeyframe) {
  const auto a = add(RecordKind::frame, "/reel.mp4", 3000);
  const auto still = add(RecordKind::image, "/still.png", 0);
  const auto b = add(RecordKind::frame, "/reel.mp4", 7000);
  // Keyframes out of order in the list: anchors decide.
  shot(0, 36).keyframes = {{b, 24, false, 1}, {a, 0, false, 1}, {still, 12, false, 1}};
  const SoundtrackPlan p = plan();
  EXPECT_DOUBLE_EQ(p.duration_s, 3.0);
  ASSERT_EQ(p.clips.size(), 2u) << "the still is silent";
  EXPECT_EQ(p.clips[0].record_id, a);
  EXPECT_DOUBLE_EQ(p.clips[0].film_start_s, 0);
  EXPECT_DOUBLE_EQ(p.clips[0].source_start_s, 3.0);
  EXPECT_DOUBLE_EQ(p.clips[0].duration_s, 1.0);
  EXPECT_DOUBLE_EQ(p.clips[0].gain, kPictureGain);
  EXPECT_EQ(p.clips[1].record_id, b);
  EXPECT_DOUBLE_EQ(p.clips[1].film_start_s, 2.0);
  EXPECT_DOUBLE_EQ(p.clips[1].source_start_s, 7.0);
  EXPECT_DOUBLE_EQ(p.clips[1].duration_s, 1.0);
  for (const SoundtrackClip& c : p.clips) {  // no neighbour on their track: short ramps
    EXPECT_DOUBLE_EQ(c.fade_in_s, kEdgeFadeS);
    EXPECT_DOUBLE_EQ(c.fade_out_s, kEdgeFadeS);
  }
  EXPECT_TRUE(p.notes.empty());
  EXPECT_EQ(probes_["/reel.mp4"], 1) << "each source is probed once";
}

TEST_F(SoundtrackPlanTest, PictureSoundCrossFadesAtCuts) {
  const auto a = add(RecordKind::frame, "/reel.mp4", 3000);
  const auto b = add(RecordKind::frame, "/other.mp4", 10000);
  shot(0, 24).keyframes = {{a, 0, false, 1}};
  shot(24, 48).keyframes = {{b, 24, false, 1}};
  const SoundtrackPlan p = plan();
  ASSERT_EQ(p.clips.size(), 2u);
  const double h = kCrossfadeS / 2;
  EXPECT_DOUBLE_EQ(p.clips[0].duration_s, 2.0 + h);
  EXPECT_DOUBLE_EQ(p.clips[0].fade_out_s, kCrossfadeS);
  EXPECT_DOUBLE_EQ(p.clips[0].fade_in_s, kEdgeFadeS);
  EXPECT_DOUBLE_EQ(p.clips[1].film_start_s, 2.0 - h);
  EXPECT_DOUBLE_EQ(p.clips[1].source_start_s, 10.0 - h);
  EXPECT_DOUBLE_EQ(p.clips[1].fade_in_s, kCrossfadeS);
  EXPECT_DOUBLE_EQ(p.clips[1].fade_out_s, kEdgeFadeS);
}

TEST_F(SoundtrackPlanTest, GuidanceSoundsPlayUnderTheShotWithGainsFromTheirWeights) {
  const auto key = add(RecordKind::frame, "/reel.mp4", 0);
  const auto text = add(RecordKind::text, "/notes.txt", 0);
  const auto s1 = add(RecordKind::speech, "/talk.wav", 1000, 5000);
  const auto s2 = add(RecordKind::audio, "/talk.wav", 9000, 1000);
  const auto s3 = add(RecordKind::audio, "/bells.wav", 500, 4000);
  const auto s4 = add(RecordKind::audio, "/bells.wav", 4000, 4000);
  const auto near_negative = add(RecordKind::audio, "/bells.wav", 8000, 4000);
  Shot& first = shot(0, 24);  // picture sound: guidance plays under it at half
  first.keyframes = {{key, 0, false, 1}};
  first.guidance = {{text, RecordKind::text, 0.3, 0.9, false},          {s4, RecordKind::audio, 0.05, 0.2, false},
                    {s2, RecordKind::audio, 0.2, 0.5, false},           {s1, RecordKind::speech, 0.3, 0.6, false},
                    {near_negative, RecordKind::audio, 0.5, 0.6, false}, {s3, RecordKind::audio, 0.1, 0.3, false}};
  first.negatives = {{near_negative, 0.9}};
  Shot& second = shot(24, 48);  // no keyframe of its own: guidance at full gain
  second.guidance = {{s3, RecordKind::audio, 1.0, 0.5, false}};
  const SoundtrackPlan p = plan();

  std::map<std::int64_t, const SoundtrackClip*> by_record;
  for (const SoundtrackClip& c : p.clips)
    if (c.film_start_s < 1.0) by_record[c.record_id] = &c;
  ASSERT_EQ(by_record.size(), 4u) << "the picture sound and the three heaviest sounding guidance records";
  EXPECT_FALSE(by_record.count(s4));
  EXPECT_FALSE(by_record.count(near_negative));
  EXPECT_FALSE(by_record.count(text));
  const double total = 0.3 + 0.2 + 0.1;
  EXPECT_DOUBLE_EQ(by_record[s1]->gain, 0.3 / total * kUnderPictureGain);
  EXPECT_DOUBLE_EQ(by_record[s2]->gain, 0.2 / total * kUnderPictureGain);
  EXPECT_DOUBLE_EQ(by_record[s3]->gain, 0.1 / total * kUnderPictureGain);
  // From the record's start for its duration, cut at the shot's end.
  EXPECT_DOUBLE_EQ(by_record[s1]->source_start_s, 1.0);
  EXPECT_DOUBLE_EQ(by_record[s1]->duration_s, 2.0 + kCrossfadeS / 2) << "the shot's 2 s, and half a cross-fade";
  EXPECT_DOUBLE_EQ(by_record[s2]->source_start_s, 9.0);
  EXPECT_DOUBLE_EQ(by_record[s2]->duration_s, 1.0);
  EXPECT_DOUBLE_EQ(by_record[s2]->film_start_s, 0.0);

  const SoundtrackClip* later = nullptr;
  for (const SoundtrackClip& c : p.clips)
    if (c.record_id == s3 && c.film_start_s > 1.0) later = &c;
  ASSERT_NE(later, nullptr);
  EXPECT_DOUBLE_EQ(later->gain, 1.0);
  // s1 (rank 0 of shot 0, cut at the shot's end) and s3 (rank 0 of shot 1) meet at the cut.
  EXPECT_DOUBLE_EQ(later->fade_in_s, kCrossfadeS);
  EXPECT_DOUBLE_EQ(by_record[s1]->fade_out_s, kCrossfadeS);
}

TEST_F(SoundtrackPlanTest, SourcesThatEndEarlyStartLateOrCannotBeHeard) {
  const auto late = add(RecordKind::frame, "/late.mp4", 2000);
  const auto broken = add(RecordKind::frame, "/broken.mp4", 0);
  const auto broken_again = add(RecordKind::frame, "/broken.mp4", 1000);
  const auto silent = add(RecordKind::frame, "/silent.mp4", 0);
  const auto short_sound = add(RecordKind::audio, "/short.wav", 1000, 4000);
  shot(0, 12).keyframes = {{late, 0, false, 1}};
  shot(12, 24).keyframes = {{broken, 12, false, 1}};
  shot(24, 36).keyframes = {{broken_again, 24, false, 1}};
  Shot& s = shot(36, 72);
  s.keyframes = {{silent, 36, false, 1}};
  s.guidance = {{short_sound, RecordKind::audio, 1.0, 1.0, false}};
  const SoundtrackPlan p = plan();
  ASSERT_EQ(p.clips.size(), 2u);
  EXPECT_EQ(p.clips[0].record_id, late);
  EXPECT_DOUBLE_EQ(p.clips[0].source_start_s, 1.5) << "the video's time less the audio's offset";
  EXPECT_EQ(p.clips[1].record_id, short_sound);
  EXPECT_DOUBLE_EQ(p.clips[1].duration_s, 1.5) << "cut where the source ends";
  EXPECT_DOUBLE_EQ(p.clips[1].gain, 1.0) << "a video without sound does not lower the guidance sound";
  ASSERT_EQ(p.notes.size(), 2u);
  EXPECT_NE(p.notes[0].find("record " + std::to_string(broken) + " (/broken.mp4): cannot be heard (/broken.mp4: not a media file)"),
            std::string::npos)
      << p.notes[0];
  EXPECT_NE(p.notes[1].find("its sound ends 1.50 s before its place in the film does"), std::string::npos) << p.notes[1];
}

TEST_F(SoundtrackPlanTest, TheIntervalIsAFrameWhenAFrameIsAWholeNumberOfSamples) {
  EXPECT_DOUBLE_EQ(sound_interval_s(12), 1.0 / 12);
  EXPECT_DOUBLE_EQ(sound_interval_s(25), 1.0 / 25);
  EXPECT_DOUBLE_EQ(sound_interval_s(60), 1.0 / 60);
  EXPECT_DOUBLE_EQ(sound_interval_s(30000.0 / 1001), 1.0);
  EXPECT_DOUBLE_EQ(sound_interval_s(7), 1.0);
  shot(0, 12);
  EXPECT_TRUE(plan().per_frame);
  timeline_.fps = 7;
  const SoundtrackPlan p = plan();
  EXPECT_FALSE(p.per_frame);
  EXPECT_DOUBLE_EQ(p.duration_s, 12.0 / 7);
  EXPECT_TRUE(p.clips.empty());
}

}  // namespace
}  // namespace palimpsest

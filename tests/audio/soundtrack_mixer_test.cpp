#include "indexer/audio/soundtrack_mixer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>

#include "indexer/audio/loudness_meter.h"
#include "indexer/media/video_writer.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
constexpr int kRate = kSoundtrackRate;

// 48 kHz stereo float WAV sources, decoded without resampling, so that the mix is checkable to
// the sample: left is a constant 0.25 (its mean measures the gains applied), right a 1 kHz tone.
fs::path dc_source(const TempDir& dir, const std::string& name, double seconds) {
  const fs::path path = dir / name;
  testing::write_audio_file(path, "wav", {"pcm_f32le", kRate, 2, 0}, std::llround(seconds * kRate),
                            [](std::int64_t first, std::int64_t count, float* out) {
                              for (std::int64_t i = 0; i < count; ++i) {
                                out[2 * i] = 0.25f;
                                out[2 * i + 1] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 1000 * (first + i) / kRate));
                              }
                            });
  return path;
}

fs::path tone_source(const TempDir& dir, const std::string& name, double seconds, double dbfs,
                     const std::string& container = "wav", const std::string& encoder = "pcm_f32le", int rate = kRate) {
  const fs::path path = dir / name;
  testing::write_audio_file(path, container, {encoder, rate, 2, 192000}, std::llround(seconds * rate),
                            testing::tone(rate, 2, 1000, std::pow(10.0, dbfs / 20.0)));
  return path;
}

struct Mixed {
  SoundtrackResult result;
  std::vector<float> pcm;  // interleaved stereo
  float left(std::int64_t frame) const { return pcm[2 * frame]; }
  float right(std::int64_t frame) const { return pcm[2 * frame + 1]; }
};

Mixed mix(double duration, const std::vector<SoundtrackClip>& clips, SoundtrackOptions options = {}) {
  Mixed m;
  m.result = mix_soundtrack(duration, clips, options, [&](const float* pcm, std::int64_t frames) {
    EXPECT_LE(frames, options.block_frames);
    m.pcm.insert(m.pcm.end(), pcm, pcm + frames * 2);
  });
  EXPECT_EQ(static_cast<std::int64_t>(m.pcm.size()), 2 * m.result.frames);
  return m;
}

double gain_of(const std::vector<HeardRecord>& heard, std::int64_t record) {
  for (const HeardRecord& h : heard) {
    if (h.record_id == record) return h.gain;
  }
  return 0;
}

TEST(SoundtrackMixer, ExactLengthAndSilenceWhereNoClipPlays) {
  TempDir dir;
  const fs::path source = dc_source(dir, "a.wav", 5);
  SoundtrackOptions options;
  options.normalise = false;
  const Mixed m = mix(6.0, {{.source = source, .source_start_s = 1.0, .duration_s = 2.0, .film_start_s = 2.0, .record_id = 7}},
                      options);
  ASSERT_EQ(m.result.frames, 6 * kRate);
  for (std::int64_t f = 0; f < 6 * kRate; ++f) {
    if (f < 2 * kRate || f >= 4 * kRate) {
      ASSERT_EQ(m.left(f), 0.0f) << f;
      ASSERT_EQ(m.right(f), 0.0f) << f;
    } else {
      ASSERT_EQ(m.left(f), 0.25f) << f;
      // The very samples of the source, one second in.
      const std::int64_t s = f - 2 * kRate + kRate;
      ASSERT_EQ(m.right(f), static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 1000 * s / kRate))) << f;
    }
  }
  ASSERT_EQ(m.result.provenance.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    if (i == 2 || i == 3) {
      ASSERT_EQ(m.result.provenance[i].size(), 1u);
      EXPECT_EQ(m.result.provenance[i][0].record_id, 7);
      EXPECT_DOUBLE_EQ(m.result.provenance[i][0].gain, 1.0);
    } else {
      EXPECT_TRUE(m.result.provenance[i].empty()) << i;
    }
  }
  EXPECT_TRUE(m.result.warnings.empty());
}

TEST(SoundtrackMixer, ProvenanceIsExactAndCrossfadesKeepPower) {
  TempDir dir;
  const fs::path source = dc_source(dir, "a.wav", 8);
  // A and B meet at a cut at 3 s; C plays under both with its own fades.
  std::vector<SoundtrackClip> clips = {
      {.source = source, .source_start_s = 1.0, .duration_s = 3.0, .film_start_s = 0.0, .gain = 0.8, .record_id = 1},
      {.source = source, .source_start_s = 2.0, .duration_s = 3.0, .film_start_s = 3.0, .gain = 0.5, .record_id = 2},
      {.source = source, .source_start_s = 0.0, .duration_s = 4.0, .film_start_s = 1.0, .gain = 0.3,
       .fade_in_s = 0.7, .fade_out_s = 0.9, .record_id = 3},
  };
  clips = crossfade_at_cuts(clips, 0.5);
  SoundtrackOptions options;
  options.normalise = false;
  options.provenance_interval_s = 1.0 / kRate;  // one frame: the gains themselves
  const Mixed m = mix(6.0, clips, options);
  ASSERT_EQ(m.result.provenance.size(), static_cast<std::size_t>(6 * kRate));
  for (std::int64_t f = 0; f < 6 * kRate; ++f) {
    const std::vector<HeardRecord>& heard = m.result.provenance[f];
    double total = 0;
    for (const HeardRecord& h : heard) total += h.gain;
    // The output is the gains applied to the sources: left is 0.25 in every source.
    ASSERT_NEAR(m.left(f), 0.25 * total, 1e-7) << "frame " << f;
    const double a = gain_of(heard, 1) / 0.8, b = gain_of(heard, 2) / 0.5;
    if (f >= 2.75 * kRate && f < 3.25 * kRate) {
      ASSERT_NEAR(a * a + b * b, 1.0, 1e-12) << "frame " << f;  // equal power across the cut
      ASSERT_GT(a, 0) << f;
      ASSERT_GT(b, 0) << f;
    } else {
      ASSERT_TRUE(a == 0 || b == 0) << "frame " << f;
      ASSERT_NEAR(a + b, 1.0, 1e-12) << "frame " << f;
    }
    const double c = gain_of(heard, 3) / 0.3;
    if (f >= 1.7 * kRate && f < 4.1 * kRate) ASSERT_EQ(c, 1.0) << f;
    if (f < kRate || f >= 5 * kRate) ASSERT_EQ(c, 0.0) << f;
  }
  // Per second, the mean gains sum to the mean of what was applied.
  options.provenance_interval_s = 1.0;
  const Mixed seconds = mix(6.0, clips, options);
  ASSERT_EQ(seconds.result.provenance.size(), 6u);
  for (int s = 0; s < 6; ++s) {
    double total = 0, mean_left = 0;
    for (const HeardRecord& h : seconds.result.provenance[s]) total += h.gain;
    for (std::int64_t f = s * kRate; f < (s + 1) * kRate; ++f) mean_left += seconds.left(f);
    EXPECT_NEAR(mean_left / kRate, 0.25 * total, 1e-7) << "second " << s;
  }
  EXPECT_EQ(seconds.pcm, m.pcm);  // the interval changes the bookkeeping, not the sound
}

TEST(SoundtrackMixer, NormalisesToMinus23LufsWithOneGain) {
  TempDir dir;
  const fs::path quiet = tone_source(dir, "quiet.wav", 5, -30);
  const fs::path loud = tone_source(dir, "loud.wav", 5, -10);
  const Mixed m = mix(10.0, {{.source = quiet, .duration_s = 4.0, .film_start_s = 0.0, .gain = 1.0, .record_id = 1},
                             {.source = loud, .duration_s = 4.0, .film_start_s = 6.0, .gain = 0.5, .record_id = 2}});
  EXPECT_NEAR(m.result.output_lufs, -23.0, 0.1);  // EBU R128 allows +-1
  EXPECT_TRUE(std::isfinite(m.result.mix_lufs));
  EXPECT_NEAR(m.result.gain_db, -23.0 - m.result.mix_lufs, 1e-9);
  // An independent measurement of what the sink received.
  LoudnessMeter meter(kRate, 2);
  meter.add(m.pcm.data(), static_cast<std::int64_t>(m.pcm.size() / 2));
  const LoudnessReading reading = meter.finish();
  EXPECT_NEAR(reading.integrated_lufs, -23.0, 0.1);
  EXPECT_LE(reading.true_peak_dbtp, -1.0 + 0.05);
  const double norm = std::pow(10.0, m.result.gain_db / 20.0);
  EXPECT_NEAR(gain_of(m.result.provenance[1], 1), norm, 1e-12);
  EXPECT_NEAR(gain_of(m.result.provenance[7], 2), 0.5 * norm, 1e-12);
  for (std::int64_t f = 4 * kRate; f < 6 * kRate; ++f) ASSERT_EQ(m.left(f), 0.0f);  // the gap stays silent
  EXPECT_TRUE(m.result.provenance[4].empty());
  EXPECT_TRUE(m.result.warnings.empty());
}

TEST(SoundtrackMixer, TruePeakCeilingLimitsTheGainAndSaysSo) {
  TempDir dir;
  // Faint noise with a loud click each second: loudness far below -23, peaks near full scale.
  const fs::path clicks = dir / "clicks.wav";
  testing::write_audio_file(clicks, "wav", {"pcm_f32le", kRate, 2, 0}, 6 * kRate,
                            [](std::int64_t first, std::int64_t count, float* out) {
                              for (std::int64_t i = 0; i < count; ++i) {
                                const std::int64_t f = first + i;
                                const float v = f % kRate == 100 ? 0.9f : static_cast<float>(0.003 * std::sin(f * 0.37));
                                out[2 * i] = out[2 * i + 1] = v;
                              }
                            });
  const Mixed m = mix(6.0, {{.source = clicks, .duration_s = 6.0, .record_id = 5}});
  EXPECT_LT(m.result.output_lufs, -24.0);
  EXPECT_NEAR(m.result.mix_true_peak_dbtp + m.result.gain_db, -1.0, 1e-9);
  ASSERT_EQ(m.result.warnings.size(), 1u);
  EXPECT_NE(m.result.warnings[0].find("true peak above -1.0 dBTP"), std::string::npos) << m.result.warnings[0];
  LoudnessMeter meter(kRate, 2);
  meter.add(m.pcm.data(), static_cast<std::int64_t>(m.pcm.size() / 2));
  EXPECT_LE(meter.finish().true_peak_dbtp, -1.0 + 0.05);
}

TEST(SoundtrackMixer, SameInputGivesByteIdenticalPcm) {
  TempDir dir;
  const fs::path aac = tone_source(dir, "a.m4a", 6, -18, "ipod", "aac");
  const fs::path mp3 = tone_source(dir, "b.mp3", 6, -14, "mp3", "libmp3lame", 44100);
  const std::vector<SoundtrackClip> clips = crossfade_at_cuts(
      {{.source = aac, .source_start_s = 0.5, .duration_s = 2.5, .film_start_s = 0.0, .gain = 0.9, .fade_in_s = 0.3, .record_id = 1},
       {.source = mp3, .source_start_s = 1.2, .duration_s = 2.0, .film_start_s = 2.5, .gain = 0.7, .fade_out_s = 0.4, .record_id = 2}},
      0.4);
  const Mixed first = mix(5.0, clips), second = mix(5.0, clips);
  ASSERT_EQ(first.pcm.size(), second.pcm.size());
  EXPECT_EQ(std::memcmp(first.pcm.data(), second.pcm.data(), first.pcm.size() * sizeof(float)), 0);
  EXPECT_EQ(first.result.gain_db, second.result.gain_db);
  EXPECT_NEAR(first.result.output_lufs, -23.0, 0.1);
}

TEST(SoundtrackMixer, BadSourcesPlayAsSilenceAndAreNamed) {
  TempDir dir;
  const fs::path good = dc_source(dir, "good.wav", 4);
  const fs::path short_one = dc_source(dir, "short.wav", 1);
  const fs::path video = dir / "mute.mp4";
  {
    VideoWriter writer(video, 64, 48, 10, {.encoder = "mpeg4"});
    RgbImage frame(64, 48);
    for (int i = 0; i < 20; ++i) writer.write(frame);
    writer.finish();
  }
  const fs::path missing = dir / "missing.wav";
  SoundtrackOptions options;
  options.normalise = false;
  const Mixed m = mix(4.0,
                      {{.source = missing, .duration_s = 1.0, .film_start_s = 0.0, .record_id = 11},
                       {.source = video, .duration_s = 1.0, .film_start_s = 1.0, .record_id = 12},
                       {.source = short_one, .duration_s = 2.0, .film_start_s = 2.0, .record_id = 13},
                       {.source = good, .duration_s = 1.0, .film_start_s = 9.0, .record_id = 14}},
                      options);
  // Placement problems first, then each source's, in the order the film reaches them.
  ASSERT_EQ(m.result.warnings.size(), 4u) << ::testing::PrintToString(m.result.warnings);
  EXPECT_EQ(m.result.warnings[0].rfind("record 14 (" + good.string() + "): the clip lies outside the film", 0), 0u)
      << m.result.warnings[0];
  EXPECT_EQ(m.result.warnings[1], "record 11 (" + missing.string() + "): no such file; silent in the soundtrack");
  EXPECT_EQ(m.result.warnings[2], "record 12 (" + video.string() +
                                      "): no audio stream (the video has no sound); silent in the soundtrack");
  EXPECT_EQ(m.result.warnings[3], "record 13 (" + short_one.string() +
                                      "): the source ends 1.00 s before the clip does; silence instead");
  for (std::int64_t f = 0; f < 4 * kRate; ++f) {
    ASSERT_EQ(m.left(f), f >= 2 * kRate && f < 3 * kRate ? 0.25f : 0.0f) << f;
  }
  EXPECT_TRUE(m.result.provenance[0].empty());
  EXPECT_TRUE(m.result.provenance[1].empty());
  EXPECT_DOUBLE_EQ(gain_of(m.result.provenance[2], 13), 1.0);
  EXPECT_TRUE(m.result.provenance[3].empty());  // record 13 is not heard once its source ran out
}

TEST(SoundtrackMixer, CrossfadeAtCutsOverlapsOnlyAbuttingClips) {
  const std::vector<SoundtrackClip> in = {
      {.source = "a", .source_start_s = 5, .duration_s = 4, .film_start_s = 0, .record_id = 1},
      {.source = "b", .source_start_s = 0.1, .duration_s = 3, .film_start_s = 4, .record_id = 2},  // abuts a
      {.source = "c", .source_start_s = 2, .duration_s = 2, .film_start_s = 8, .record_id = 3},    // gap after b
  };
  const std::vector<SoundtrackClip> out = crossfade_at_cuts(in, 0.5);
  // b cannot start before its source: the overlap is 2 x 0.1 s.
  EXPECT_DOUBLE_EQ(out[0].duration_s, 4.1);
  EXPECT_DOUBLE_EQ(out[0].fade_out_s, 0.2);
  EXPECT_DOUBLE_EQ(out[1].film_start_s, 3.9);
  EXPECT_DOUBLE_EQ(out[1].source_start_s, 0.0);
  EXPECT_DOUBLE_EQ(out[1].duration_s, 3.1);
  EXPECT_DOUBLE_EQ(out[1].fade_in_s, 0.2);
  EXPECT_EQ(out[1].fade_out_s, 0.0);
  EXPECT_EQ(out[2].film_start_s, 8.0);
  EXPECT_EQ(out[2].fade_in_s, 0.0);
  EXPECT_THROW(crossfade_at_cuts(in, -1), std::invalid_argument);
}

TEST(SoundtrackMixer, RejectsInvalidInput) {
  auto sink = [](const float*, std::int64_t) {};
  EXPECT_THROW(mix_soundtrack(-1, {}, {}, sink), std::invalid_argument);
  EXPECT_THROW(mix_soundtrack(NAN, {}, {}, sink), std::invalid_argument);
  EXPECT_THROW(mix_soundtrack(1, {{.source = "x", .duration_s = 1, .gain = -1}}, {}, sink), std::invalid_argument);
  EXPECT_THROW(mix_soundtrack(1, {{.source = "x", .duration_s = -2}}, {}, sink), std::invalid_argument);
  SoundtrackOptions zero_interval;
  zero_interval.provenance_interval_s = 0;
  EXPECT_THROW(mix_soundtrack(1, {}, zero_interval, sink), std::invalid_argument);
  // No clips: silence of the right length, nothing heard, nothing to normalise.
  std::int64_t frames = 0;
  const SoundtrackResult empty = mix_soundtrack(2.5, {}, {}, [&](const float* pcm, std::int64_t n) {
    for (std::int64_t i = 0; i < 2 * n; ++i) ASSERT_EQ(pcm[i], 0.0f);
    frames += n;
  });
  EXPECT_EQ(frames, 120000);
  EXPECT_EQ(empty.provenance.size(), 3u);
}

std::int64_t address_space_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoll(line.substr(7)) * 1024;
  }
  return -1;
}

TEST(SoundtrackMixer, MemoryIsBoundedForALongFilm) {
  TempDir dir;
  const fs::path source = tone_source(dir, "long.flac", 60, -20, "flac", "flac", 44100);
  // A 5-minute film of minute-long clips, cross-faded: 115 MB of PCM if it were held.
  std::vector<SoundtrackClip> clips;
  for (int i = 0; i < 5; ++i) {
    clips.push_back({.source = source, .source_start_s = 1, .duration_s = 58, .film_start_s = 60.0 * i + 1,
                     .gain = 0.5 + 0.1 * i, .record_id = i + 1});
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    std::string report;
    int code = 0;
    try {
      const rlim_t limit = static_cast<rlim_t>(address_space_bytes() + (64LL << 20));
      rlimit rl{limit, limit};
      if (setrlimit(RLIMIT_AS, &rl) != 0) throw std::runtime_error("setrlimit failed");
      std::int64_t frames = 0;
      const SoundtrackResult r = mix_soundtrack(300.0, crossfade_at_cuts(clips, 1.0), {},
                                                [&](const float*, std::int64_t n) { frames += n; });
      report = std::to_string(frames) + " " + std::to_string(r.output_lufs) + " " + std::to_string(r.provenance.size());
    } catch (const std::exception& e) {
      report = std::string("error: ") + e.what();
      code = 2;
    }
    [[maybe_unused]] const ssize_t written = write(fds[1], report.data(), report.size());
    _exit(code);
  }
  close(fds[1]);
  std::string text;
  char buffer[256];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  std::istringstream in(text);
  std::int64_t frames = 0, intervals = 0;
  double lufs = 0;
  in >> frames >> lufs >> intervals;
  EXPECT_EQ(frames, 300LL * kRate);
  EXPECT_NEAR(lufs, -23.0, 0.1);
  EXPECT_EQ(intervals, 300);
}

}  // namespace
}  // namespace palimpsest

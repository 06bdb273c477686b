#include "indexer/audio/audio_segmenter.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "indexer/audio/loudness_meter.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
constexpr int kRate = 16000;
// Most 100 ms summaries the segmenter may hold with the default options: the segment held back
// (max), the lookahead (max + 2 x min + 2 x pad + 2 blocks), silencedetect's lag (0.3 s + 2
// blocks) and the block being analysed: about 35 s.
constexpr std::int64_t kWindowBound = 150 + (150 + 40 + 4 + 2) + 5 + 1;

// A mono signal built piece by piece.
class Signal {
 public:
  Signal& tone(double seconds, double amplitude, double frequency = 440) {
    const std::int64_t n = frames(seconds);
    for (std::int64_t i = 0; i < n; ++i) {
      samples.push_back(static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * frequency * (i + 0.5) / kRate)));
    }
    return *this;
  }
  Signal& silence(double seconds) {
    samples.insert(samples.end(), static_cast<std::size_t>(frames(seconds)), 0.0f);
    return *this;
  }
  Signal& noise(double seconds, double amplitude, std::mt19937& random) {
    std::uniform_real_distribution<double> u(-amplitude, amplitude);
    const std::int64_t n = frames(seconds);
    for (std::int64_t i = 0; i < n; ++i) samples.push_back(static_cast<float>(u(random)));
    return *this;
  }
  static std::int64_t frames(double seconds) { return std::llround(seconds * kRate); }
  std::vector<float> samples;
};

std::vector<AudioSegment> segment(const std::vector<float>& samples, SegmenterOptions options = {},
                                  std::int64_t push_frames = 4096, int channels = 1, int rate = kRate,
                                  SegmenterStats* stats = nullptr) {
  std::vector<AudioSegment> out;
  AudioSegmenter segmenter(rate, channels, options, [&](AudioSegment&& s) { out.push_back(std::move(s)); });
  const std::int64_t total = static_cast<std::int64_t>(samples.size()) / channels;
  for (std::int64_t i = 0; i < total; i += push_frames) {
    segmenter.push(samples.data() + i * channels, std::min(push_frames, total - i));
  }
  segmenter.finish();
  if (stats) *stats = segmenter.stats();
  return out;
}

double peak_of(const std::vector<float>& samples) {
  float peak = 0;
  for (float v : samples) peak = std::max(peak, std::abs(v));
  return peak;
}

struct Expected {
  std::int64_t start_ms, end_ms;
  bool silent;
  SegmentCut cut;
};

void expect_segments(const std::vector<AudioSegment>& actual, const std::vector<Expected>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(actual[i].start_ms(), expected[i].start_ms);
    EXPECT_EQ(actual[i].end_ms(), expected[i].end_ms);
    EXPECT_EQ(actual[i].silent, expected[i].silent);
    EXPECT_EQ(to_string(actual[i].cut), to_string(expected[i].cut));
  }
}

// Contiguous, covering, bounded: what every segmentation must be.
void expect_well_formed(const std::vector<AudioSegment>& segments, std::int64_t total_frames,
                        const SegmenterOptions& options = {}) {
  ASSERT_FALSE(segments.empty());
  std::int64_t next = 0;
  for (const AudioSegment& s : segments) {
    EXPECT_EQ(s.start_frame, next);
    next = s.start_frame + s.frames;
    if (segments.size() > 1) EXPECT_GE(s.duration_s(), options.min_length_s - 1e-9) << "at " << s.start_s();
    EXPECT_LE(s.duration_s(), options.max_length_s + 1e-9) << "at " << s.start_s();
    EXPECT_EQ(static_cast<std::int64_t>(s.waveform.size()), (s.frames * 400 + kRate - 1) / kRate);
  }
  EXPECT_EQ(next, total_frames);
}

TEST(AudioSegmenter, CutsAtSilencesKeepingPadding) {
  Signal signal;
  signal.tone(3, 0.3).silence(3).tone(3.5, 0.3).silence(0.5).tone(3, 0.3);
  const auto segments = segment(signal.samples);
  // The long silence is a segment of its own, 0.2 s inside each of its edges; the short pause
  // stays inside the sound around it (7.2 s fits the maximum).
  expect_segments(segments, {{0, 3200, false, SegmentCut::silence},
                             {3200, 5800, true, SegmentCut::silence},
                             {5800, 13000, false, SegmentCut::end}});
  expect_well_formed(segments, Signal::frames(13));
}

TEST(AudioSegmenter, LongSoundIsCutAtItsLongestPausesWithinTheBounds) {
  Signal signal;
  // 40 s of sound with 0.4 s pauses starting at 6, 13, 19, 27 and 35 s, and a 0.6 s one at 9.
  signal.tone(6, 0.3).silence(0.4).tone(2.6, 0.3).silence(0.6).tone(3.4, 0.3).silence(0.4).tone(5.6, 0.3)
      .silence(0.4).tone(7.6, 0.3).silence(0.4).tone(7.6, 0.3).silence(0.4).tone(4.6, 0.3);
  ASSERT_EQ(signal.samples.size(), static_cast<std::size_t>(Signal::frames(40)));
  const auto segments = segment(signal.samples);
  // From 0: pauses in [2, 15] are at 6.2, 9.3 (longest) and 13.2 -> 9.3. From 9.3: 13.2, 19.2
  // (equal, the later wins). From 19.2: 27.2 (34.2 would be too far). From 27.2: the rest fits.
  expect_segments(segments, {{0, 9300, false, SegmentCut::pause},
                             {9300, 19200, false, SegmentCut::pause},
                             {19200, 27200, false, SegmentCut::pause},
                             {27200, 40000, false, SegmentCut::end}});
}

TEST(AudioSegmenter, SoundWithoutPausesIsCutAtItsQuietestPoint) {
  // 40 s of a tone dipping to -40 dBFS (quiet, not silent at -50) for 0.4 s at 8, 20 and 31 s.
  std::vector<float> samples(static_cast<std::size_t>(Signal::frames(40)));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double t = (i + 0.5) / kRate;
    const bool dip = (t >= 8 && t < 8.4) || (t >= 20 && t < 20.4) || (t >= 31 && t < 31.4);
    // A slow wobble elsewhere, so that the quietest point is not a tie.
    const double level = dip ? 0.01 : 0.3 + 0.1 * std::sin(t);
    samples[i] = static_cast<float>(level * std::sin(2 * std::numbers::pi * 440 * t));
  }
  SegmenterStats stats;
  const auto segments = segment(samples, {}, 4096, 1, kRate, &stats);
  expect_segments(segments, {{0, 8200, false, SegmentCut::quiet_point},
                             {8200, 20200, false, SegmentCut::quiet_point},
                             {20200, 31200, false, SegmentCut::quiet_point},
                             {31200, 40000, false, SegmentCut::end}});
  EXPECT_EQ(stats.cuts_at_quiet_point, 3);
  EXPECT_EQ(stats.cuts_at_pause, 0);
}

TEST(AudioSegmenter, LongSilenceIsSplitFlaggedAndShortSoundsWidened) {
  Signal signal;
  signal.tone(1, 0.3).silence(40).tone(1, 0.3);
  const auto segments = segment(signal.samples);
  // The first second of sound is widened to the 2 s minimum; 38 s of silence is split at the
  // 15 s maximum; the last second of sound takes the second it lacks from the silence before.
  expect_segments(segments, {{0, 2000, false, SegmentCut::silence},
                             {2000, 17000, true, SegmentCut::split},
                             {17000, 32000, true, SegmentCut::split},
                             {32000, 40000, true, SegmentCut::silence},
                             {40000, 42000, false, SegmentCut::end}});
  for (const AudioSegment& s : segments) {
    if (s.silent) {
      EXPECT_EQ(s.loudness_lufs, -std::numeric_limits<double>::infinity());
      EXPECT_EQ(s.peak_dbfs, -std::numeric_limits<double>::infinity());
    }
  }
}

TEST(AudioSegmenter, DigitalSilenceAndShortStreams) {
  const auto silent = segment(Signal().silence(30).samples);
  expect_segments(silent, {{0, 15000, true, SegmentCut::split}, {15000, 30000, true, SegmentCut::end}});

  const auto short_one = segment(Signal().tone(1.3, 0.3).samples);
  expect_segments(short_one, {{0, 1300, false, SegmentCut::end}});
  EXPECT_TRUE(segment(std::vector<float>{}).empty());
}

TEST(AudioSegmenter, LoudnessAndPeakFollowBs1770) {
  // EBU Tech 3341-style checks: a 1 kHz sine at -20 dBFS in mono (measured as dual mono) and at
  // -23 dBFS in both channels of a stereo signal read -20 and -23 LUFS.
  const double a20 = std::pow(10.0, -20.0 / 20.0);
  const std::vector<float> sine = Signal().tone(10, a20, 1000).samples;
  const auto mono = segment(sine);
  ASSERT_EQ(mono.size(), 1u);
  EXPECT_NEAR(mono[0].loudness_lufs, -20.0, 0.1);
  EXPECT_NEAR(mono[0].peak_dbfs, 20 * std::log10(peak_of(sine)), 1e-5);

  const std::vector<float> one = Signal().tone(10, std::pow(10.0, -23.0 / 20.0), 1000).samples;
  std::vector<float> stereo;
  for (float v : one) stereo.insert(stereo.end(), {v, v});
  const auto two = segment(stereo, {}, 4096, 2);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_NEAR(two[0].loudness_lufs, -23.0, 0.1);
}

TEST(AudioSegmenter, SegmentLoudnessMatchesTheFiltersOwnIntegratedLoudness) {
  // A 12 s programme at three levels (the quietest below the relative gate): the segment's
  // gated mean of momentary blocks equals ebur128's own integrated figure on the same signal.
  Signal signal;
  signal.tone(4, 0.5, 1000).tone(4, 0.05, 700).tone(4, 0.005, 500);
  const auto segments = segment(signal.samples);
  ASSERT_EQ(segments.size(), 1u);
  LoudnessMeter meter(kRate, 1, /*true_peak=*/false, /*dual_mono=*/true);
  meter.add(signal.samples.data(), static_cast<std::int64_t>(signal.samples.size()));
  const LoudnessReading reading = meter.finish();
  EXPECT_NEAR(segments[0].loudness_lufs, reading.integrated_lufs, 0.05);
  EXPECT_NEAR(segments[0].peak_dbfs, 20 * std::log10(peak_of(signal.samples)), 1e-5);
}

TEST(AudioSegmenter, RandomSignalsAreAlwaysWellFormedAndBlockSizeDoesNotMatter) {
  const float threshold = static_cast<float>(std::pow(10.0, -50.0 / 20.0));
  const std::vector<SegmenterOptions> option_sets = {
      {}, {.min_length_s = 1.0, .max_length_s = 4.0, .min_silence_s = 0.2, .pad_s = 0.1},
      {.min_length_s = 3.0, .max_length_s = 6.5, .min_silence_s = 0.5, .pad_s = 0.4}};
  for (unsigned seed = 1; seed <= 16; ++seed) {
    const SegmenterOptions& options = option_sets[seed % option_sets.size()];
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> length(0.05, 6.0), level(0.0005, 0.6);
    Signal signal;
    // Long streams, and short ones whose ends meet the minimum-length rules.
    const double seconds = seed % 2 ? 90.0 : 0.5 + (seed * 7919 % 400) / 10.0;
    while (signal.samples.size() < static_cast<std::size_t>(Signal::frames(seconds))) {
      switch (random() % 5) {
        case 0: signal.silence(random() % 4 == 0 ? length(random) * 6 : length(random)); break;
        case 1: signal.noise(length(random), level(random), random); break;
        default: signal.tone(length(random), level(random), 200 + random() % 800); break;
      }
    }
    const std::int64_t total = static_cast<std::int64_t>(signal.samples.size());
    const auto coarse = segment(signal.samples, options, 16000);
    const auto fine = segment(signal.samples, options, 37);
    expect_well_formed(coarse, total, options);
    ASSERT_EQ(coarse.size(), fine.size());
    for (std::size_t i = 0; i < coarse.size(); ++i) {
      EXPECT_EQ(coarse[i].start_frame, fine[i].start_frame);
      EXPECT_EQ(coarse[i].frames, fine[i].frames);
      EXPECT_EQ(coarse[i].silent, fine[i].silent);
      EXPECT_EQ(coarse[i].loudness_lufs, fine[i].loudness_lufs);
      EXPECT_EQ(coarse[i].peak_dbfs, fine[i].peak_dbfs);
      if (coarse[i].silent) {  // "silent" means every sample of it is below the threshold
        for (std::int64_t f = coarse[i].start_frame; f < coarse[i].start_frame + coarse[i].frames; ++f) {
          ASSERT_LT(std::abs(signal.samples[f]), threshold) << "frame " << f;
        }
      }
    }
  }
}

TEST(AudioSegmenter, MemoryDoesNotGrowWithTheStreamsLength) {
  auto window_for = [](double minutes) {
    std::mt19937 random(3);
    Signal signal;
    while (signal.samples.size() < static_cast<std::size_t>(Signal::frames(minutes * 60))) {
      signal.tone(1 + random() % 30, 0.2).silence(0.1 * (random() % 40));
    }
    SegmenterStats stats;
    segment(signal.samples, {}, 4096, 1, kRate, &stats);
    return stats.peak_window_blocks;
  };
  const std::int64_t two = window_for(2), ten = window_for(10);
  EXPECT_EQ(two, ten);
  EXPECT_LE(ten, kWindowBound);
}

// Reads /proc/self/status's VmSize in bytes.
std::int64_t address_space_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoll(line.substr(7)) * 1024;
  }
  return -1;
}

TEST(AudioSegmenter, ThreeHourFileStreamsInBoundedMemory) {
  testing::TempDir dir;
  const fs::path path = dir / "three_hours.wav";
  // 3 h of 8 kHz mu-law (telephone) audio, generated in-process: each minute is 50 s of tone
  // with a 0.5 s pause every 5 s, then 10 s of silence.
  constexpr int kSourceRate = 8000;
  const std::int64_t frames = 3LL * 3600 * kSourceRate;
  testing::write_audio_file(path, "wav", {"pcm_mulaw", kSourceRate, 1, 0}, frames,
                            testing::tone(kSourceRate, 1, 300, 0.4, [](double t) {
                              const double in_minute = std::fmod(t, 60.0);
                              return in_minute < 50.0 && std::fmod(in_minute, 5.0) < 4.5;
                            }));
  // Decoding it whole at 16 kHz would take 346 MB; the child may grow by 96 MiB at most.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    std::ostringstream report;
    int code = 0;
    try {
      const rlim_t limit = static_cast<rlim_t>(address_space_bytes() + (96LL << 20));
      rlimit rl{limit, limit};
      if (setrlimit(RLIMIT_AS, &rl) != 0) throw std::runtime_error("setrlimit failed");
      std::int64_t count = 0, silent = 0, shortest = 1LL << 40, longest = 0, tapped = 0;
      const SegmentedAudio result = segment_audio_file(
          path, {},
          [&](AudioSegment&& s) {
            ++count;
            silent += s.silent;
            shortest = std::min(shortest, s.frames);
            longest = std::max(longest, s.frames);
          },
          [&](const AudioBlock& block) { tapped += block.frames; });
      report << result.stats.frames << ' ' << tapped << ' ' << count << ' ' << silent << ' ' << shortest << ' '
             << longest << ' ' << result.stats.peak_window_blocks << ' ' << result.source.narrowband;
    } catch (const std::exception& e) {
      report << "error: " << e.what();
      code = 2;
    }
    const std::string text = report.str();
    [[maybe_unused]] const ssize_t written = write(pipe_fds[1], text.data(), text.size());
    _exit(code);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  std::istringstream in(text);
  std::int64_t analysed, tapped, count, silent, shortest, longest, window;
  int narrowband;
  in >> analysed >> tapped >> count >> silent >> shortest >> longest >> window >> narrowband;
  EXPECT_EQ(analysed, 3LL * 3600 * kRate);
  EXPECT_EQ(tapped, analysed);
  EXPECT_EQ(narrowband, 1);
  EXPECT_GE(shortest, 2 * kRate);
  EXPECT_LE(longest, 15 * kRate);
  // Each minute: 50 s of sound cut at pauses into at least 4 segments, and one silent segment.
  EXPECT_EQ(silent, 180);
  EXPECT_GE(count, 180 * 5);
  EXPECT_LE(window, kWindowBound);
}

TEST(AudioSegmenter, DescribesItsEngineAndSettings) {
  const std::string text = describe(SegmenterOptions{});
  EXPECT_EQ(text.rfind("libavfilter ", 0), 0u) << text;
  EXPECT_NE(text.find(" silencedetect+ebur128: silence below -50 dBFS for 0.3 s, segments 2-15 s, pad 0.2 s"),
            std::string::npos)
      << text;
}

TEST(AudioSegmenter, RejectsBadOptions) {
  auto make = [](SegmenterOptions o, int rate = kRate) {
    AudioSegmenter s(rate, 1, o, [](AudioSegment&&) {});
  };
  EXPECT_THROW(make({.min_length_s = 2, .max_length_s = 3}), std::invalid_argument);
  EXPECT_THROW(make({.min_silence_s = 0.05}), std::invalid_argument);
  EXPECT_THROW(make({}, 22050 + 5), std::invalid_argument);
  EXPECT_THROW(make({.silence_threshold_db = 3}), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest

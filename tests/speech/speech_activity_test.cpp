#include "indexer/speech/speech_activity.h"

#include <iostream>

#include <gtest/gtest.h>

#include "tests/speech/speech_test_support.h"

namespace palimpsest {
namespace {

using namespace palimpsest::testing;

TEST(SpeechActivity, SilenceAndStationarySoundAreRejected) {
  std::vector<std::int16_t> room_tone(5 * 16000, 0);
  add_noise_floor(room_tone);
  const std::vector<std::pair<const char*, std::vector<std::int16_t>>> cases = {
      {"digital silence", std::vector<std::int16_t>(5 * 16000, 0)},
      {"room tone", room_tone},
      {"white noise", white_noise(5)},
      {"mains hum", mains_hum(5)},
  };
  for (const auto& [name, samples] : cases) {
    const SpeechActivity activity = measure_speech_activity(samples);
    EXPECT_FALSE(activity.may_contain_speech) << name << ": " << activity.active_ms << " ms active";
    EXPECT_EQ(activity.total_ms, 5000) << name;
  }
}

TEST(SpeechActivity, SpeechIsKept) {
  for (const std::string& id : librivox_ids()) {
    const std::vector<std::int16_t> samples = librivox_samples(id);
    const SpeechActivity activity = measure_speech_activity(samples);
    EXPECT_TRUE(activity.may_contain_speech) << id;
    EXPECT_GT(activity.active_ms * 2, activity.total_ms) << id << ": read speech is mostly active";
  }
  const SpeechActivity synthetic = measure_speech_activity(synthesise_speech("Please close the door when you leave."));
  EXPECT_TRUE(synthetic.may_contain_speech);
}

TEST(SpeechActivity, SustainedMusicIsRejectedPercussionIsLeftToTheTranscriber) {
  const SpeechActivity music = measure_speech_activity(synthetic_music(5));
  const SpeechActivity drums = measure_speech_activity(synthetic_drums(5));
  std::cout << "music: " << music.active_ms << " ms active, floor " << music.floor_dbfs << " dBFS; drums: "
            << drums.active_ms << " ms, floor " << drums.floor_dbfs << " dBFS\n";
  // Notes over a held chord never rise 10 dB above it.
  EXPECT_FALSE(music.may_contain_speech);
  // Documented limit: sound that comes and goes like syllables passes; the transcriber's
  // low-confidence flag is what catches it.
  EXPECT_TRUE(drums.may_contain_speech);
}

TEST(SpeechActivity, LessThanAFrameIsNothing) {
  const std::vector<std::int16_t> samples(100, 1000);
  const SpeechActivity activity = measure_speech_activity(samples);
  EXPECT_FALSE(activity.may_contain_speech);
  EXPECT_EQ(activity.active_ms, 0);
}

}  // namespace
}  // namespace palimpsest

#include "indexer/speech/parallel_transcriber.h"

#include <gtest/gtest.h>

#include "indexer/speech/pocketsphinx_transcriber.h"
#include "tests/speech/speech_test_support.h"

namespace palimpsest {
namespace {

using namespace palimpsest::testing;

ParallelTranscriber::Factory pocketsphinx_factory() {
  return [] { return std::unique_ptr<Transcriber>(PocketsphinxTranscriber::for_language("en-us")); };
}

// Two decoders on two threads give exactly what one gives serially, in input order, and the
// decoders are kept for the next call.
TEST(ParallelTranscriber, SameResultAsSerialInInputOrder) {
  std::vector<std::vector<std::int16_t>> audio;
  for (const std::string& id : librivox_ids()) audio.push_back(librivox_samples(id));
  audio.push_back(synthetic_music(2));
  std::vector<SpeechSegment> segments;
  for (std::size_t i = 0; i < audio.size(); ++i)
    segments.push_back({audio[i], static_cast<std::int64_t>(i) * 60'000});

  ParallelTranscriber serial(pocketsphinx_factory(), 1);
  ParallelTranscriber parallel(pocketsphinx_factory(), 2);
  EXPECT_EQ(parallel.threads(), 2);
  const auto expected = serial.transcribe(segments);
  for (int round = 0; round < 2; ++round) {
    const auto got = parallel.transcribe(segments);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].size(), expected[i].size()) << "segment " << i;
      for (std::size_t u = 0; u < got[i].size(); ++u) {
        EXPECT_EQ(got[i][u].text, expected[i][u].text);
        EXPECT_EQ(got[i][u].start_ms, expected[i][u].start_ms);
        EXPECT_EQ(got[i][u].confidence, expected[i][u].confidence);
        ASSERT_EQ(got[i][u].words.size(), expected[i][u].words.size());
        for (std::size_t w = 0; w < got[i][u].words.size(); ++w) {
          EXPECT_EQ(got[i][u].words[w].start_ms, expected[i][u].words[w].start_ms);
          EXPECT_EQ(got[i][u].words[w].end_ms, expected[i][u].words[w].end_ms);
          EXPECT_EQ(got[i][u].words[w].confidence, expected[i][u].words[w].confidence);
        }
      }
    }
  }
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    ASSERT_FALSE(expected[i].empty()) << "LibriVox segment " << i;
    EXPECT_GE(expected[i].front().start_ms, segments[i].offset_ms);  // each segment on its own time line
  }
}

TEST(ParallelTranscriber, AFailingFactoryIsReportedToTheCaller) {
  ParallelTranscriber broken([]() -> std::unique_ptr<Transcriber> { throw SpeechError("no speech model for fr (installed: en-us)"); }, 2);
  const std::vector<std::int16_t> samples(1600, 0);
  const std::vector<SpeechSegment> segments(3, SpeechSegment{samples, 0});
  try {
    broken.transcribe(segments);
    FAIL();
  } catch (const SpeechError& e) {
    EXPECT_STREQ(e.what(), "no speech model for fr (installed: en-us)");
  }
  EXPECT_TRUE(broken.transcribe({}).empty());
  EXPECT_GE(ParallelTranscriber(pocketsphinx_factory(), 0).threads(), 1);
}

}  // namespace
}  // namespace palimpsest

#include "indexer/speech/pocketsphinx_transcriber.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "indexer/speech/transcript_words.h"
#include "indexer/speech/word_error_rate.h"
#include "tests/common/test_support.h"
#include "tests/speech/speech_test_support.h"

namespace palimpsest {
namespace {

using namespace palimpsest::testing;

// Measured thresholds.
// LibriVox: 36.6% measured over the five recordings (71 words), exactly pocketsphinx_continuous's
// own (its transcripts are identical, see the next test); the bound is the CLI's + 2 points, the
// issue's target. espeak-ng: 22.5% measured over the 40 words of kSentences; the bound leaves 3
// words for other espeak-ng releases, while a broken audio path (wrong rate, byte order, blocks)
// scores above 60%.
constexpr double kLibrivoxMaxWer = 0.386;
constexpr double kSynthesisedMaxWer = 0.30;

// Three sentences, synthesised one by one and placed between seconds of room tone: the pauses end
// utterances, and where each sentence lies is known.
const char* const kSentences[] = {
    "The film was shot in black and white on the streets of Paris.",
    "I would like to buy a cup of coffee and a piece of cake.",
    "He opened the letter and read it twice before he went to bed.",
};

class PocketsphinxTranscriberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { transcriber_ = PocketsphinxTranscriber::for_language("en-us").release(); }
  static void TearDownTestSuite() {
    delete transcriber_;
    transcriber_ = nullptr;
  }
  static PocketsphinxTranscriber& transcriber() { return *transcriber_; }

 private:
  static PocketsphinxTranscriber* transcriber_;
};
PocketsphinxTranscriber* PocketsphinxTranscriberTest::transcriber_ = nullptr;

std::string joined_text(const std::vector<Utterance>& utterances) {
  std::string text;
  for (const Utterance& utterance : utterances) text += (text.empty() ? "" : " ") + utterance.text;
  return text;
}

void expect_same(const std::vector<Utterance>& a, const std::vector<Utterance>& b, std::int64_t shift_ms = 0) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].start_ms + shift_ms, b[i].start_ms);
    EXPECT_EQ(a[i].end_ms + shift_ms, b[i].end_ms);
    EXPECT_EQ(a[i].confidence, b[i].confidence);
    ASSERT_EQ(a[i].words.size(), b[i].words.size());
    for (std::size_t w = 0; w < a[i].words.size(); ++w) {
      EXPECT_EQ(a[i].words[w].start_ms + shift_ms, b[i].words[w].start_ms);
      EXPECT_EQ(a[i].words[w].end_ms + shift_ms, b[i].words[w].end_ms);
      EXPECT_EQ(a[i].words[w].confidence, b[i].words[w].confidence);
    }
  }
}

// Word times inside their utterance, in order, not overlapping; confidences are probabilities.
void expect_well_formed(const std::vector<Utterance>& utterances, std::int64_t begin_ms, std::int64_t end_ms) {
  std::int64_t previous_end = begin_ms;
  for (const Utterance& utterance : utterances) {
    ASSERT_FALSE(utterance.words.empty());
    EXPECT_GE(utterance.start_ms, previous_end);
    EXPECT_EQ(utterance.start_ms, utterance.words.front().start_ms);
    EXPECT_EQ(utterance.end_ms, utterance.words.back().end_ms);
    EXPECT_LE(utterance.end_ms, end_ms);
    std::string text;
    double sum = 0;
    for (const SpokenWord& word : utterance.words) {
      EXPECT_GE(word.start_ms, previous_end) << word.text;
      EXPECT_GT(word.end_ms, word.start_ms) << word.text;
      EXPECT_GE(word.confidence, 0.0);
      EXPECT_LE(word.confidence, 1.0);
      EXPECT_FALSE(is_filler_token(word.text)) << word.text;
      EXPECT_EQ(strip_pronunciation_variant(word.text), word.text);
      previous_end = word.end_ms;
      text += (text.empty() ? "" : " ") + word.text;
      sum += word.confidence;
    }
    EXPECT_EQ(utterance.text, text);
    EXPECT_DOUBLE_EQ(utterance.confidence, sum / static_cast<double>(utterance.words.size()));
  }
}

TEST_F(PocketsphinxTranscriberTest, LibrivoxRecordingsMatchTheirTranscripts) {
  const auto references = librivox_transcripts();
  WordErrors total;
  for (const std::string& id : librivox_ids()) {
    const std::vector<std::int16_t> samples = librivox_samples(id);
    const std::vector<Utterance> utterances = transcriber().transcribe(samples);
    ASSERT_FALSE(utterances.empty()) << id;
    expect_well_formed(utterances, 0, static_cast<std::int64_t>(samples.size()) / 16);
    for (const Utterance& utterance : utterances) EXPECT_FALSE(utterance.low_confidence) << id << ": " << utterance.text;
    const WordErrors errors = word_errors(references.at(id), joined_text(utterances));
    std::cout << id << ": WER " << errors.rate() << " \"" << joined_text(utterances) << "\"\n";
    total += errors;
  }
  std::cout << "LibriVox WER " << total.rate() << " over " << total.reference_words << " words\n";
  EXPECT_LE(total.rate(), kLibrivoxMaxWer);
}

// Debian's own pocketsphinx_continuous with the same model and arguments prints the same words,
// word times and confidences (its -time output: "word start end confidence", the end frame
// inclusive).
TEST_F(PocketsphinxTranscriberTest, SameWordsTimesAndConfidencesAsPocketsphinxContinuous) {
  const std::string id = librivox_ids().front();
  const std::filesystem::path wav = librivox_dir() / (id + ".wav");
  std::vector<std::string> command = {"pocketsphinx_continuous", "-infile", wav.string(), "-time", "yes"};
  for (const std::string& argument : transcriber().decoder_arguments()) command.push_back(argument);
  const CommandOutput cli = run_command(command);
  ASSERT_EQ(cli.exit_code, 0) << cli.err.substr(cli.err.size() > 2000 ? cli.err.size() - 2000 : 0);
  std::vector<SpokenWord> cli_words;
  std::istringstream lines(cli.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string token;
    double start = 0, end = 0, confidence = 0;
    std::string rest;
    if (!(fields >> token >> start >> end >> confidence) || (fields >> rest)) continue;  // a hypothesis line
    if (is_filler_token(token)) continue;
    cli_words.push_back({std::string(strip_pronunciation_variant(token)), std::llround(start * 1000),
                         std::llround(end * 1000) + 10, confidence});
  }
  ASSERT_FALSE(cli_words.empty()) << cli.out;

  std::vector<SpokenWord> ours;
  for (const Utterance& utterance : transcriber().transcribe(librivox_samples(id)))
    ours.insert(ours.end(), utterance.words.begin(), utterance.words.end());
  ASSERT_EQ(ours.size(), cli_words.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].text, cli_words[i].text) << i;
    EXPECT_EQ(ours[i].start_ms, cli_words[i].start_ms) << ours[i].text;
    EXPECT_EQ(ours[i].end_ms, cli_words[i].end_ms) << ours[i].text;
    EXPECT_NEAR(ours[i].confidence, cli_words[i].confidence, 1e-6) << ours[i].text;
  }
}

TEST_F(PocketsphinxTranscriberTest, SynthesisedSpeechIsTranscribedWithWordTimes) {
  std::vector<std::int16_t> samples;
  auto append_room_tone = [&](std::size_t n) {
    std::vector<std::int16_t> silence(n, 0);
    add_noise_floor(silence);
    samples.insert(samples.end(), silence.begin(), silence.end());
  };
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;  // where each sentence is, ms
  std::string reference;
  for (const char* sentence : kSentences) {
    append_room_tone(16000);
    const std::vector<std::int16_t> speech = synthesise_speech(sentence);
    spans.emplace_back(static_cast<std::int64_t>(samples.size()) / 16,
                       static_cast<std::int64_t>(samples.size() + speech.size()) / 16);
    samples.insert(samples.end(), speech.begin(), speech.end());
    reference += std::string(reference.empty() ? "" : " ") + sentence;
  }
  append_room_tone(8000);
  const std::int64_t duration_ms = static_cast<std::int64_t>(samples.size()) / 16;

  const std::vector<Utterance> utterances = transcriber().transcribe(samples);
  const WordErrors errors = word_errors(reference, joined_text(utterances));
  std::cout << "espeak-ng WER " << errors.rate() << " over " << errors.reference_words << " words: \""
            << joined_text(utterances) << "\"\n";
  EXPECT_LE(errors.rate(), kSynthesisedMaxWer);
  expect_well_formed(utterances, 0, duration_ms);
  // One utterance per sentence, each within its sentence's span. A frame-synchronous decoder
  // places word boundaries next to silence within a few frames: 950 ms measured for a sentence
  // placed at 1000 ms, so 100 ms of slack.
  ASSERT_EQ(utterances.size(), spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    std::cout << "sentence " << i << " at " << spans[i].first << "-" << spans[i].second << " ms, heard at "
              << utterances[i].start_ms << "-" << utterances[i].end_ms << " ms\n";
    EXPECT_GE(utterances[i].start_ms, spans[i].first - 100);
    EXPECT_LE(utterances[i].end_ms, spans[i].second + 100);
    EXPECT_GE(utterances[i].end_ms - utterances[i].start_ms, (spans[i].second - spans[i].first) / 2);
  }
}

TEST_F(PocketsphinxTranscriberTest, TheOffsetShiftsEveryTime) {
  const std::vector<std::int16_t> samples = librivox_samples(librivox_ids().at(1));
  const std::vector<Utterance> at_zero = transcriber().transcribe(samples, 0);
  const std::vector<Utterance> an_hour_in = transcriber().transcribe(samples, 3'600'000);
  ASSERT_FALSE(at_zero.empty());
  expect_same(at_zero, an_hour_in, 3'600'000);
}

TEST_F(PocketsphinxTranscriberTest, BlockSizesDoNotChangeTheResult) {
  const std::vector<std::int16_t> samples = librivox_samples(librivox_ids().at(1));
  const std::vector<Utterance> whole = transcriber().transcribe(samples);
  std::vector<Utterance> streamed;
  transcriber().begin(0);
  const std::size_t sizes[] = {1, 333, 2048, 4999, 17};
  std::size_t at = 0;
  for (std::size_t i = 0; at < samples.size(); ++i) {
    const std::size_t n = std::min(sizes[i % std::size(sizes)], samples.size() - at);
    transcriber().feed(std::span(samples).subspan(at, n), streamed);
    at += n;
  }
  transcriber().finish(streamed);
  expect_same(whole, streamed);
}

// The decoder adapts its cepstral mean to what it hears; every stream starts afresh, so a
// transcript does not depend on what was transcribed before.
TEST_F(PocketsphinxTranscriberTest, StreamsDoNotInfluenceEachOther) {
  const std::vector<std::int16_t> first = librivox_samples(librivox_ids().at(1));
  const std::vector<Utterance> before = transcriber().transcribe(first);
  transcriber().transcribe(librivox_samples(librivox_ids().at(0)));
  transcriber().transcribe(synthetic_music(3));
  expect_same(before, transcriber().transcribe(first));
}

TEST_F(PocketsphinxTranscriberTest, SilenceGivesNoWords) {
  std::vector<std::int16_t> room_tone(5 * 16000, 0);
  add_noise_floor(room_tone);
  EXPECT_TRUE(transcriber().transcribe(std::vector<std::int16_t>(5 * 16000, 0)).empty());
  EXPECT_TRUE(transcriber().transcribe(room_tone).empty());
  EXPECT_TRUE(transcriber().transcribe({}).empty());
}

// Percussion never pauses, so the detector never ends its utterance: the maximum length cuts it,
// which bounds the decoder's memory. What the decoder makes of drums and music is flagged, not
// passed off as speech.
TEST(PocketsphinxTranscriber, SoundWithoutPausesIsCutAndMusicIsFlagged) {
  PocketsphinxOptions options;
  options.max_utterance_ms = 3000;
  PocketsphinxTranscriber transcriber(find_speech_model("en-us"), options);
  const std::vector<Utterance> drums = transcriber.transcribe(synthetic_drums(8));
  ASSERT_GE(drums.size(), 2u);
  int cut = 0;
  for (const Utterance& utterance : drums) {
    std::cout << "drums " << utterance.start_ms << "-" << utterance.end_ms << " (" << utterance.confidence
              << (utterance.cut ? ", cut" : "") << "): " << utterance.text << "\n";
    // The utterance's audio: up to 300 ms the detector holds back before it says "speech", the
    // limit, and the 2048-sample block in which the limit fell.
    EXPECT_LE(utterance.end_ms - utterance.start_ms, 300 + 3000 + 128);
    EXPECT_TRUE(utterance.low_confidence) << utterance.text;
    cut += utterance.cut ? 1 : 0;
  }
  EXPECT_GE(cut, 2);
  const std::vector<Utterance> music = transcriber.transcribe(synthetic_music(4));
  for (const Utterance& utterance : music) {
    std::cout << "music " << utterance.confidence << ": " << utterance.text << "\n";
    EXPECT_TRUE(utterance.low_confidence) << utterance.text;
  }
}

TEST(PocketsphinxTranscriber, AnUnknownLanguageIsRefusedNamingTheInstalledOnes) {
  std::string installed;
  for (const std::string& language : available_languages()) installed += (installed.empty() ? "" : ", ") + language;
  ASSERT_NE(installed.find("en-us"), std::string::npos);
  try {
    PocketsphinxTranscriber::for_language("fr");
    FAIL() << "a French model was found";
  } catch (const NoSpeechModel& e) {
    EXPECT_EQ(std::string(e.what()), "no speech model for fr (installed: " + installed + ")");
  }
}

TEST(PocketsphinxTranscriber, AMissingOrBrokenModelIsAClearError) {
  SpeechModelFiles missing = find_speech_model("en-us");
  missing.folder = "/nonexistent/en-us";
  missing.acoustic_model = "/nonexistent/en-us/en-us";
  try {
    PocketsphinxTranscriber transcriber(missing);
    FAIL() << "loaded a model from nowhere";
  } catch (const SpeechError& e) {
    EXPECT_STREQ(e.what(), "speech model /nonexistent/en-us: no acoustic model in /nonexistent/en-us/en-us");
  }

  // A copy of the model with a corrupt file: pocketsphinx would exit() the process; here it is an
  // exception that names the model and pocketsphinx's reason.
  TempDir dir;
  const SpeechModelFiles real = find_speech_model("en-us");
  std::filesystem::copy(real.folder, dir / "en-us", std::filesystem::copy_options::recursive);
  testing::write_file(dir / "en-us" / "en-us" / "means", std::string(1000, '\x7f'));
  try {
    PocketsphinxTranscriber transcriber(speech_model_in(dir / "en-us"));
    FAIL() << "loaded a corrupt model";
  } catch (const SpeechError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("pocketsphinx (" + (dir / "en-us").string() + "): cannot load the model: ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
  testing::write_file(dir / "en-us" / "en-us.lm.bin", "not a language model");
  std::filesystem::copy_file(real.acoustic_model / "means", dir / "en-us" / "en-us" / "means",
                             std::filesystem::copy_options::overwrite_existing);
  try {
    PocketsphinxTranscriber transcriber(speech_model_in(dir / "en-us"));
    FAIL() << "loaded a corrupt language model";
  } catch (const SpeechError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load the model"), std::string::npos) << e.what();
  }
}

TEST(PocketsphinxTranscriber, ModelIdentityIsReportedAndNothingGoesToStderr) {
  ::testing::internal::CaptureStderr();
  auto transcriber = PocketsphinxTranscriber::for_language("en-us");
  const std::vector<Utterance> utterances = transcriber->transcribe(librivox_samples(librivox_ids().at(1)));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");
  EXPECT_FALSE(utterances.empty());
  const SpeechModelInfo& model = transcriber->model();
  EXPECT_EQ(model.engine, "pocketsphinx");
  EXPECT_EQ(model.language, "en-us");
  EXPECT_EQ(model.path, "/usr/share/pocketsphinx/model/en-us");
  EXPECT_EQ(model.id, find_speech_model("en-us").id);
}

TEST(PocketsphinxTranscriber, FeedingOutsideAStreamIsAnError) {
  auto transcriber = PocketsphinxTranscriber::for_language("en-us");
  std::vector<Utterance> out;
  const std::vector<std::int16_t> samples(100, 0);
  EXPECT_THROW(transcriber->feed(samples, out), SpeechError);
  EXPECT_THROW(transcriber->finish(out), SpeechError);
  PocketsphinxOptions odd;
  odd.extra_arguments = {"-beam"};
  EXPECT_THROW(PocketsphinxTranscriber(find_speech_model("en-us"), odd), SpeechError);
}

}  // namespace
}  // namespace palimpsest

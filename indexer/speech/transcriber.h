#pragma once
// The speech-to-text interface. In: 16 kHz mono signed 16-bit samples. Out: utterances, each with
// its text, its time range and its words, every word with its time range and a confidence (the
// engine's posterior probability, 0..1). Times are milliseconds on the caller's time line:
// `offset_ms` plus the position in the samples fed.
//
// Rules every engine keeps:
// - Fillers and silences (<s>, </s>, <sil>, [NOISE], ++BREATH++...) are not words: they are left
//   out of `words` and `text`; pronunciation-variant suffixes are stripped (`read(2)` -> `read`).
// - An utterance with no words left is not returned: silence and noise give nothing.
// - Streaming: begin(), feed() blocks of any size, finish(). The engine splits the stream into
//   utterances at pauses (its own voice activity detection) and cuts an utterance that runs past
//   a maximum length, so memory is bounded by that length, never by the recording's. The result
//   does not depend on how the caller cuts the stream into blocks.
// - An utterance whose confidence is below the engine's threshold, or that looks like what
//   decoders make of music and noise (one word over and over), is returned with `low_confidence`
//   set: keep it as a guess, never as the truth.
// - An instance is not thread-safe. Use one per thread (see ParallelTranscriber).

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace palimpsest {

class SpeechError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SpokenWord {
  std::string text;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;   // exclusive: the end of the word's last frame
  double confidence = 0;     // posterior probability, 0..1
};

struct Utterance {
  std::string text;          // the words joined by single spaces
  std::int64_t start_ms = 0; // start of the first word
  std::int64_t end_ms = 0;   // end of the last word
  double confidence = 0;     // mean of the words' confidences
  bool low_confidence = false;
  bool cut = false;          // ended by the maximum length rather than by a pause
  std::vector<SpokenWord> words;
};

// What made a transcript, stored with every record so that a better engine or model can redo it
// later without duplicating records.
struct SpeechModelInfo {
  std::string engine;            // e.g. "pocketsphinx"
  std::string language;          // e.g. "en-us"
  std::filesystem::path path;    // the model's folder
  std::string id;                // stable identity of the model's files (see speech_models.h)
};

class Transcriber {
 public:
  static constexpr int kSampleRate = 16000;

  virtual ~Transcriber() = default;

  virtual const SpeechModelInfo& model() const = 0;

  // Starts a stream whose first sample is at `offset_ms`. Any stream in progress is dropped.
  virtual void begin(std::int64_t offset_ms) = 0;
  // Appends to `out` the utterances this block completed.
  virtual void feed(std::span<const std::int16_t> samples, std::vector<Utterance>& out) = 0;
  // Ends the stream; appends the last utterances to `out`.
  virtual void finish(std::vector<Utterance>& out) = 0;

  // One whole segment: begin(offset_ms), feed(samples), finish().
  std::vector<Utterance> transcribe(std::span<const std::int16_t> samples, std::int64_t offset_ms = 0);
};

}  // namespace palimpsest

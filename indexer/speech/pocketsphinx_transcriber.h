#pragma once
// PocketSphinx (CMU; Debian's libpocketsphinx 5prealpha) in process, behind Transcriber.
//
// - Configured as `pocketsphinx_continuous -hmm <am> -lm <lm> -dict <dict>` is: the model's own
//   feat.params, 16 kHz, the decoder's default beams, its voice activity detection
//   (-remove_silence yes) and its best-path pass (-bestpath yes), which gives word posteriors.
// - Audio goes to the decoder in blocks of 2048 samples, as pocketsphinx_continuous reads a file;
//   an utterance ends where the detector hears silence again (0.5 s), so on the same file the
//   transcript is the CLI's. Blocks fed by the caller are re-cut to that size first, so the
//   result does not depend on them.
// - Word times come from the word segmentation (ps_seg_iter) at the model's frame rate (100
//   frames/s: 10 ms), confidences from the posteriors (ps_seg_prob, logmath_exp).
// - The decoder adapts its cepstral mean to what it hears and would carry it from one stream to
//   the next; begin() puts back the mean a fresh decoder starts with, so a segment's transcript
//   does not depend on what the instance heard before (nor on which thread took it).
// - sphinxbase's log is routed away from stderr; a corrupt model file, on which sphinxbase would
//   exit() the process, is a SpeechError (sphinx_log.h).
// - One instance per thread: a decoder is not thread-safe. Loading takes 0.3-0.5 s of CPU and
//   about 90 MiB resident (dictionary, language model), so keep instances alive across segments.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "indexer/speech/speech_models.h"
#include "indexer/speech/transcriber.h"

namespace palimpsest {

struct PocketsphinxOptions {
  // An utterance that runs this long without a pause is cut here (bounded memory; long music or
  // noise the detector takes for speech would otherwise grow one utterance without end).
  std::int64_t max_utterance_ms = 30000;
  // Utterances whose mean word posterior is below this, or that repeat one word over and over,
  // are flagged low_confidence. Measured (bench/speech_bench.cpp, tests/speech): read speech
  // 0.47-0.98 per utterance (LibriVox 0.61-0.66), what the decoder makes of music 0.23-0.37.
  double low_confidence_below = 0.4;
  // More decoder options, as "-name", "value" pairs (e.g. {"-beam", "1e-60"}); they change the
  // result, so callers that store transcripts should leave this empty.
  std::vector<std::string> extra_arguments;
};

class PocketsphinxTranscriber final : public Transcriber {
 public:
  static constexpr const char* kEngine = "pocketsphinx";

  // Loads the model. Throws SpeechError naming the model folder and, when the decoder refused
  // it, pocketsphinx's own one-line reason.
  explicit PocketsphinxTranscriber(const SpeechModelFiles& model, PocketsphinxOptions options = {});
  // The installed model for `language` (find_speech_model); throws NoSpeechModel when none.
  static std::unique_ptr<PocketsphinxTranscriber> for_language(const std::string& language,
                                                               PocketsphinxOptions options = {});
  ~PocketsphinxTranscriber() override;
  PocketsphinxTranscriber(const PocketsphinxTranscriber&) = delete;
  PocketsphinxTranscriber& operator=(const PocketsphinxTranscriber&) = delete;

  const SpeechModelInfo& model() const override;
  void begin(std::int64_t offset_ms) override;
  void feed(std::span<const std::int16_t> samples, std::vector<Utterance>& out) override;
  void finish(std::vector<Utterance>& out) override;

  // The decoder's arguments ("-hmm", path, "-lm", path, ...): the same given to
  // pocketsphinx_continuous make the two comparable.
  const std::vector<std::string>& decoder_arguments() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest

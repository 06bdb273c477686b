#include "indexer/speech/pocketsphinx_transcriber.h"

#include <algorithm>

extern "C" {
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>
}

#include "indexer/speech/sphinx_log.h"
#include "indexer/speech/transcript_words.h"

namespace palimpsest {
namespace {

// pocketsphinx_continuous reads a file 2048 samples at a time and asks the voice activity
// detector after each read; the same block size gives the same utterances.
constexpr std::size_t kBlockSamples = 2048;

struct DecoderDeleter {
  void operator()(ps_decoder_t* decoder) const { ps_free(decoder); }
};
struct ConfigDeleter {
  void operator()(cmd_ln_t* config) const { cmd_ln_free_r(config); }
};
using DecoderPtr = std::unique_ptr<ps_decoder_t, DecoderDeleter>;
// ps_seg_next frees the iterator when it reaches the end; one left early is freed here.
struct SegmentIterator {
  ps_seg_t* seg = nullptr;
  ~SegmentIterator() {
    if (seg != nullptr) ps_seg_free(seg);
  }
};
using ConfigPtr = std::unique_ptr<cmd_ln_t, ConfigDeleter>;

}  // namespace

struct PocketsphinxTranscriber::Impl {
  SpeechModelInfo info;
  PocketsphinxOptions options;
  std::vector<std::string> arguments;
  DecoderPtr decoder;
  int frame_rate = 100;
  // The cepstral mean normalisation's state in a fresh decoder (the model's -cmninit), put back at
  // every begin(). cmn_live_set() would not do: it gives the initial mean the weight of a full
  // window of frames, where a fresh decoder gives it none, and transcripts then differ from
  // pocketsphinx_continuous's.
  struct CepstralMeanState {
    std::vector<mfcc_t> mean, sum;
    std::int32_t frames = 0;
  } initial_cmn;

  void save_cmn() {
    const cmn_t* cmn = ps_get_feat(decoder.get())->cmn_struct;
    if (cmn == nullptr) fail("the model has no cepstral mean normalisation");
    initial_cmn.mean.assign(cmn->cmn_mean, cmn->cmn_mean + cmn->veclen);
    initial_cmn.sum.assign(cmn->sum, cmn->sum + cmn->veclen);
    initial_cmn.frames = cmn->nframe;
  }
  void restore_cmn() {
    cmn_t* cmn = ps_get_feat(decoder.get())->cmn_struct;
    std::copy(initial_cmn.mean.begin(), initial_cmn.mean.end(), cmn->cmn_mean);
    std::copy(initial_cmn.sum.begin(), initial_cmn.sum.end(), cmn->sum);
    cmn->nframe = initial_cmn.frames;
  }

  std::vector<std::int16_t> pending;  // fewer than kBlockSamples samples waiting for a block
  std::int64_t offset_ms = 0;
  std::int64_t samples_decoded = 0;
  std::int64_t utterance_start_sample = 0;
  bool in_stream = false;
  bool utterance_open = false;     // ps_start_utt called, ps_end_utt not yet
  bool utterance_started = false;  // the detector has heard speech in the open utterance

  [[noreturn]] void fail(const std::string& what) const {
    std::string reason = take_sphinx_error();
    throw SpeechError("pocketsphinx (" + info.path.string() + "): " + what +
                      (reason.empty() ? "" : ": " + reason));
  }

  void start_utterance() {
    if (ps_start_utt(decoder.get()) < 0) fail("cannot start an utterance");
    utterance_open = true;
    utterance_started = false;
  }

  // Ends the open utterance; appends its words, if any, to `out`.
  void end_utterance(std::vector<Utterance>& out, bool cut) {
    if (!utterance_open) return;
    utterance_open = false;
    if (ps_end_utt(decoder.get()) < 0) fail("cannot end an utterance");
    if (!utterance_started) return;
    utterance_started = false;
    Utterance utterance;
    utterance.cut = cut;
    logmath_t* logmath = ps_get_logmath(decoder.get());
    SegmentIterator segments{ps_seg_iter(decoder.get())};
    for (ps_seg_t*& seg = segments.seg; seg != nullptr; seg = ps_seg_next(seg)) {
      const char* token = ps_seg_word(seg);
      if (token == nullptr || is_filler_token(token)) continue;
      int first_frame = 0, last_frame = 0;
      ps_seg_frames(seg, &first_frame, &last_frame);
      const std::int32_t log_posterior = ps_seg_prob(seg, nullptr, nullptr, nullptr);
      SpokenWord word;
      word.text = std::string(strip_pronunciation_variant(token));
      word.start_ms = offset_ms + static_cast<std::int64_t>(first_frame) * 1000 / frame_rate;
      word.end_ms = offset_ms + static_cast<std::int64_t>(last_frame + 1) * 1000 / frame_rate;
      word.confidence = std::clamp(logmath_exp(logmath, log_posterior), 0.0, 1.0);
      utterance.words.push_back(std::move(word));
    }
    if (utterance.words.empty()) return;
    double confidence_sum = 0;
    for (const SpokenWord& word : utterance.words) {
      if (!utterance.text.empty()) utterance.text += ' ';
      utterance.text += word.text;
      confidence_sum += word.confidence;
    }
    utterance.start_ms = utterance.words.front().start_ms;
    utterance.end_ms = utterance.words.back().end_ms;
    utterance.confidence = confidence_sum / static_cast<double>(utterance.words.size());
    utterance.low_confidence =
        utterance.confidence < options.low_confidence_below || is_degenerate_repetition(utterance.words);
    out.push_back(std::move(utterance));
  }

  // One block, as pocketsphinx_continuous handles it.
  void decode_block(const std::int16_t* samples, std::size_t count, std::vector<Utterance>& out) {
    if (!utterance_open) start_utterance();
    if (ps_process_raw(decoder.get(), samples, count, FALSE, FALSE) < 0) fail("cannot decode audio");
    samples_decoded += static_cast<std::int64_t>(count);
    const bool in_speech = ps_get_in_speech(decoder.get()) != 0;
    if (in_speech && !utterance_started) {
      utterance_started = true;
      utterance_start_sample = samples_decoded - static_cast<std::int64_t>(count);
    }
    if (!in_speech && utterance_started) {
      end_utterance(out, false);
    } else if (utterance_started &&
               (samples_decoded - utterance_start_sample) * 1000 >= options.max_utterance_ms * kSampleRate) {
      end_utterance(out, true);
    }
  }
};

PocketsphinxTranscriber::PocketsphinxTranscriber(const SpeechModelFiles& model, PocketsphinxOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.info.engine = kEngine;
  d.info.language = model.language;
  d.info.path = model.folder;
  d.info.id = model.id;
  d.options = std::move(options);
  if (d.options.max_utterance_ms <= 0) throw SpeechError("pocketsphinx: max_utterance_ms must be positive");
  if (d.options.extra_arguments.size() % 2 != 0)
    throw SpeechError("pocketsphinx: extra arguments must come in \"-name\", \"value\" pairs");

  // Checked here because a missing file makes some sphinxbase loaders exit the process.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model.acoustic_model / "mdef", ec))
    throw SpeechError("speech model " + model.folder.string() + ": no acoustic model in " +
                      model.acoustic_model.string());
  if (!std::filesystem::is_regular_file(model.language_model, ec))
    throw SpeechError("speech model " + model.folder.string() + ": language model " +
                      model.language_model.string() + " not found");
  if (!std::filesystem::is_regular_file(model.dictionary, ec))
    throw SpeechError("speech model " + model.folder.string() + ": dictionary " +
                      model.dictionary.string() + " not found");

  d.arguments = {"-hmm", model.acoustic_model.string(), "-lm", model.language_model.string(),
                 "-dict", model.dictionary.string()};
  d.arguments.insert(d.arguments.end(), d.options.extra_arguments.begin(), d.options.extra_arguments.end());

  route_sphinx_log();
  take_sphinx_error();
  std::vector<char*> argv{const_cast<char*>("palimpsest")};
  for (std::string& argument : d.arguments) argv.push_back(argument.data());
  ConfigPtr config(cmd_ln_parse_r(nullptr, ps_args(), static_cast<std::int32_t>(argv.size()), argv.data(), TRUE));
  if (!config) d.fail("invalid decoder arguments");
  try {
    SphinxFatalGuard guard;  // a corrupt model file: an exception, not exit()
    d.decoder.reset(ps_init(config.get()));  // the decoder keeps its own reference to the config
  } catch (const SpeechError& e) {
    take_sphinx_error();
    throw SpeechError("pocketsphinx (" + d.info.path.string() + "): cannot load the model: " + e.what());
  }
  if (!d.decoder) d.fail("cannot load the model");
  d.frame_rate = cmd_ln_int32_r(config.get(), "-frate");
  if (d.frame_rate <= 0) d.fail("invalid frame rate");
  d.save_cmn();
  d.pending.reserve(kBlockSamples);
}

std::unique_ptr<PocketsphinxTranscriber> PocketsphinxTranscriber::for_language(const std::string& language,
                                                                               PocketsphinxOptions options) {
  return std::make_unique<PocketsphinxTranscriber>(find_speech_model(language), std::move(options));
}

PocketsphinxTranscriber::~PocketsphinxTranscriber() {
  if (impl_ && impl_->decoder && impl_->utterance_open) ps_end_utt(impl_->decoder.get());
}

const SpeechModelInfo& PocketsphinxTranscriber::model() const { return impl_->info; }

const std::vector<std::string>& PocketsphinxTranscriber::decoder_arguments() const { return impl_->arguments; }

void PocketsphinxTranscriber::begin(std::int64_t offset_ms) {
  Impl& d = *impl_;
  if (d.utterance_open) {
    ps_end_utt(d.decoder.get());
    d.utterance_open = false;
  }
  d.restore_cmn();
  if (ps_start_stream(d.decoder.get()) < 0) d.fail("cannot start a stream");
  d.pending.clear();
  d.offset_ms = offset_ms;
  d.samples_decoded = 0;
  d.utterance_started = false;
  d.in_stream = true;
}

void PocketsphinxTranscriber::feed(std::span<const std::int16_t> samples, std::vector<Utterance>& out) {
  Impl& d = *impl_;
  if (!d.in_stream) throw SpeechError("pocketsphinx: feed() before begin()");
  if (!d.pending.empty()) {
    const std::size_t take = std::min(samples.size(), kBlockSamples - d.pending.size());
    d.pending.insert(d.pending.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(take));
    samples = samples.subspan(take);
    if (d.pending.size() < kBlockSamples) return;
    d.decode_block(d.pending.data(), d.pending.size(), out);
    d.pending.clear();
  }
  while (samples.size() >= kBlockSamples) {
    d.decode_block(samples.data(), kBlockSamples, out);
    samples = samples.subspan(kBlockSamples);
  }
  d.pending.assign(samples.begin(), samples.end());
}

void PocketsphinxTranscriber::finish(std::vector<Utterance>& out) {
  Impl& d = *impl_;
  if (!d.in_stream) throw SpeechError("pocketsphinx: finish() before begin()");
  if (!d.pending.empty()) d.decode_block(d.pending.data(), d.pending.size(), out);
  d.pending.clear();
  d.end_utterance(out, false);
  d.in_stream = false;
}

}  // namespace palimpsest

#pragma once
// The engines that read more out of a file than its bytes — speech transcription and OCR — held
// for one ingest run (internal to indexer/ingest), and the keys that name them in a source's
// derived_with (migration 0005).
//
// Rules:
// - What the run can do is settled when it starts, cheaply: the speech model for the language is
//   looked up and the OCR languages checked, nothing is loaded. A stage that cannot run is off for
//   the whole run with one note ("skipped: no speech model for fr (installed: en-us)"), never a
//   failure of each file.
// - Engines load on first use: a pool of pocketsphinx decoders (ParallelTranscriber, one decoder
//   per thread; about 90 MiB and 0.4 s each) and one tesseract engine (files are ingested on one
//   thread, so one engine serves them all).
// - derivations(kind) is what the run would record for a file of that kind: {"audio":
//   segmenter description, "speech": "pocketsphinx en-us <model id>", "ocr": "tesseract 5.3.0 eng
//   psm3"}. A stored source is up to date when every key the run would write is there with the
//   same value (up_to_date); stages this run leaves off do not count, so `--no-speech` keeps the
//   transcripts of unchanged files.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/ingest/file_kind.h"
#include "indexer/ingest/ingester.h"
#include "indexer/ocr/ocr_engine.h"
#include "indexer/speech/parallel_transcriber.h"
#include "indexer/speech/speech_models.h"

namespace palimpsest {

class IngestEngines {
 public:
  explicit IngestEngines(const IngestOptions& options);
  ~IngestEngines();

  // Why a stage is off for this run, one line each.
  const std::vector<std::string>& notes() const { return notes_; }

  bool speech() const { return speech_; }
  // What every speech record names as its engine and model.
  const SpeechModelInfo& speech_model() const { return speech_model_; }
  // The pool of decoders, loaded on first call. Throws SpeechError when a model does not load.
  ParallelTranscriber& transcriber();

  // Whether OCR reads still images (and PDF pages), and video keyframes.
  bool ocr_images() const { return ocr_ != OcrScope::off; }
  bool ocr_frames() const { return ocr_ == OcrScope::frames; }
  // The engine, loaded on first call. Throws OcrError when it cannot be.
  OcrEngine& ocr_engine();
  std::string ocr_key() const;

  nlohmann::json derivations(FileKind kind) const;
  static bool up_to_date(const nlohmann::json& stored, const nlohmann::json& wanted);

 private:
  const IngestOptions& options_;
  std::vector<std::string> notes_;
  bool speech_ = false;
  SpeechModelFiles speech_files_;
  SpeechModelInfo speech_model_;
  std::unique_ptr<ParallelTranscriber> transcriber_;
  OcrScope ocr_ = OcrScope::off;
  std::unique_ptr<OcrEngine> ocr_engine_;
};

}  // namespace palimpsest

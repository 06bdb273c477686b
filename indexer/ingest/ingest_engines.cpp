#include "indexer/ingest/ingest_engines.h"

#include "indexer/ocr/ocr_error.h"
#include "indexer/ocr/tessdata.h"
#include "indexer/speech/pocketsphinx_transcriber.h"

namespace palimpsest {

IngestEngines::IngestEngines(const IngestOptions& options) : options_(options), ocr_(options.ocr) {
  if (options.speech) {
    try {
      speech_files_ = find_speech_model(options.speech_language);
      speech_model_ = {PocketsphinxTranscriber::kEngine, speech_files_.language, speech_files_.folder,
                       speech_files_.id};
      speech_ = true;
    } catch (const SpeechError& e) {
      notes_.push_back(std::string("skipped: ") + e.what());
    }
  }
  if (ocr_ != OcrScope::off) {
    try {
      parse_ocr_languages(options.ocr_languages, tessdata_folder());
    } catch (const OcrError& e) {
      notes_.push_back(std::string("skipped OCR: ") + e.what());
      ocr_ = OcrScope::off;
    }
  }
}

IngestEngines::~IngestEngines() = default;

ParallelTranscriber& IngestEngines::transcriber() {
  if (!speech_) throw SpeechError("speech transcription is off for this run");
  if (!transcriber_) {
    const SpeechModelFiles files = speech_files_;
    transcriber_ = std::make_unique<ParallelTranscriber>(
        [files] { return std::unique_ptr<Transcriber>(std::make_unique<PocketsphinxTranscriber>(files)); },
        options_.speech_threads);
  }
  return *transcriber_;
}

OcrEngine& IngestEngines::ocr_engine() {
  if (!ocr_engine_) {
    OcrOptions options;
    options.languages = options_.ocr_languages;
    ocr_engine_ = std::make_unique<OcrEngine>(options);
  }
  return *ocr_engine_;
}

std::string IngestEngines::ocr_key() const {
  return ocr_engine_version() + " " + options_.ocr_languages + " psm" + std::to_string(OcrOptions{}.page_segmentation);
}

nlohmann::json IngestEngines::derivations(FileKind kind) const {
  nlohmann::json wanted = nlohmann::json::object();
  const bool sound = kind == FileKind::audio || kind == FileKind::video;
  if (sound) wanted["audio"] = describe(options_.segments);
  if (sound && speech_)
    wanted["speech"] = speech_model_.engine + " " + speech_model_.language + " " + speech_model_.id;
  const bool pictures = kind == FileKind::image || kind == FileKind::pdf ? ocr_images()
                        : kind == FileKind::video                        ? ocr_frames()
                                                                          : false;
  if (pictures) wanted["ocr"] = ocr_key();
  return wanted;
}

bool IngestEngines::up_to_date(const nlohmann::json& stored, const nlohmann::json& wanted) {
  for (const auto& [stage, engine] : wanted.items()) {
    const auto it = stored.find(stage);
    if (it == stored.end() || *it != engine) return false;
  }
  return true;
}

}  // namespace palimpsest

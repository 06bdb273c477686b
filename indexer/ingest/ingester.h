#pragma once
// Ingestion: files and folders in, catalog records out. One catalog transaction per file, so an
// interrupted run leaves every file either wholly ingested or not at all, and the next run picks
// up where it stopped (unchanged files are recognised by their content hash).
//
// What each kind of file gives (indexer/ingest/README.md has the whole table):
// - image: an `image` record; with OCR, an `ocr` record of the writing in it (when there is some).
// - video: `frame` records (a keyframe per shot, samples); its sound track as `audio` records
//   (segments cut at silences, on the video's time line) and what is said in them as `speech`
//   records; with `ocr = frames`, `ocr` records of the keyframes' writing.
// - audio: `audio` and `speech` records, as for a video's sound track.
// - pdf: an `image` record per page (its rendering), `text` records of its text layer, and an
//   `ocr` record for a page without one.
// - text, subtitle: `text` records per paragraph, `subtitle` records per cue.
// A source remembers which engines derived its records (SourceRow::derived_with): an unchanged
// file whose transcripts or OCR were made by another engine or model is ingested again.
//
// Several ingests may run on one catalog at once: each claims a file before it reads it
// (schema/work_claims.h, kept fresh by a heartbeat while the run goes on), and a file another live
// ingest holds is left to it (FileOutcome::deferred), so no file is ingested, or counted as added,
// twice. A claim whose process died goes stale after IngestOptions::claim_stale_after_s.
//
// A full disk (the catalog's) stops the run: every later file would fail the same way. The file
// being written is rolled back, IngestSummary::stopped says why, and the next run resumes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/audio/audio_segmenter.h"
#include "indexer/ingest/file_kind.h"
#include "indexer/media/pixel_budget.h"
#include "indexer/media/shot_detector.h"
#include "schema/catalog.h"

namespace palimpsest {

// Which pictures go through OCR.
enum class OcrScope {
  off,
  images,  // still images and PDF pages without a text layer (the default)
  frames,  // those, and the keyframe of every shot of a video
};
std::string_view to_string(OcrScope scope);
std::optional<OcrScope> parse_ocr_scope(std::string_view name);

struct IngestOptions {
  std::string archive = "default";
  double sample_fps = 1.0;             // one `frame` record per 1/sample_fps seconds of video
  ShotDetectorOptions shots;           // hard-cut detection; one keyframe record per shot
  int detection_width = 128;           // frames are compared for cuts at this width
  int thumbnail_max_side = 384;        // thumbnails are JPEGs at most this large
  std::int64_t max_text_bytes = 64ll << 20;  // larger text/subtitle files are refused
  PixelBudget pixel_budget;            // images over it are decoded reduced (with a warning) or refused
  SegmenterOptions segments;           // audio records: segments cut at silences
  bool speech = true;                  // transcribe what is said (speech records)
  std::string speech_language = "en-us";
  int speech_threads = 0;              // decoders in parallel; 0: one per core
  OcrScope ocr = OcrScope::images;
  std::string ocr_languages = "eng";   // tesseract's syntax: "deu+eng"
  double pdf_ocr_dpi = 300;            // PDF pages without a text layer are rendered at this for OCR
  double pdf_render_dpi = 72;          // page thumbnails are rendered at this, then fitted
  std::int64_t pdf_pixel_budget = 16'000'000;  // no page rendering holds more
  double claim_heartbeat_s = 2;        // how often a run refreshes its claims
  double claim_stale_after_s = 20;     // a claim without a heartbeat this long is taken over
};

// deferred: another ingest on the same catalog was ingesting it.
enum class FileOutcome { added, replaced, unchanged, skipped, failed, deferred };
std::string_view to_string(FileOutcome outcome);

struct FileReport {
  std::filesystem::path path;
  FileOutcome outcome = FileOutcome::failed;
  FileKind kind = FileKind::unknown;
  std::string format;
  std::string message;                        // reason for skipped/failed/deferred
  std::map<std::string, std::int64_t> records;  // records written, by kind
  std::vector<std::string> warnings;          // e.g. malformed subtitle cues that were left out
  std::int64_t frames_decoded = 0;
  std::int64_t media_ms = 0;                  // decoded duration of a video
  std::int64_t audio_ms = 0;                  // sound decoded (an audio file, a video's sound track)
  std::int64_t speech_ms = 0;                 // of which, given to the transcriber
  double sound_seconds = 0;                   // wall time of the sound (decode, segments, speech, records)
  std::int64_t low_confidence = 0;            // speech utterances stored flagged (out of search)
  std::int64_t ocr_pictures = 0;              // pictures given to OCR
  std::int64_t ocr_text_free = 0;             // of which, without text (most by the cheap text test)
  std::int64_t pages = 0;                     // PDF pages read
  std::int64_t bytes = 0;
};

struct IngestSummary {
  std::string archive;
  std::int64_t files_seen = 0;
  std::map<FileOutcome, std::int64_t> outcomes;
  std::map<std::string, std::int64_t> records_added;  // by record kind
  std::vector<FileReport> skipped;
  std::vector<FileReport> failed;
  std::vector<std::string> warnings;                  // "path: message"
  std::int64_t subtitles_linked = 0;
  std::int64_t frames_decoded = 0;
  std::int64_t media_ms = 0;
  std::int64_t audio_ms = 0;
  std::int64_t speech_ms = 0;
  double sound_seconds = 0;
  std::int64_t low_confidence = 0;
  std::int64_t ocr_pictures = 0;
  std::int64_t ocr_text_free = 0;
  std::int64_t pages = 0;
  // Run-wide lines, each said once: a stage that is off and why ("skipped: no speech model for fr
  // (installed: en-us)").
  std::vector<std::string> notes;
  double seconds = 0;
  std::string stopped;  // why the run stopped before its last file (a full disk); "" when it did not

  std::int64_t count(FileOutcome outcome) const;
  nlohmann::json to_json() const;
};

// Progress callbacks; all optional. Called on the ingesting thread.
class IngestObserver {
 public:
  virtual ~IngestObserver() = default;
  virtual void on_start(std::size_t /*files*/, std::uint64_t /*bytes*/) {}
  virtual void on_file_start(const std::filesystem::path& /*path*/, std::size_t /*index*/) {}
  // During a video, every few frames.
  virtual void on_frames(std::int64_t /*frames*/, std::int64_t /*media_ms*/,
                         std::int64_t /*duration_ms*/) {}
  // During the other long phases of a file: "sound" (ms decoded and segmented of the duration;
  // total 0 when unknown), "speech" (ms of audio transcribed so far; total: decoded so far),
  // "pages" (PDF pages done of the page count).
  virtual void on_phase(std::string_view /*phase*/, std::int64_t /*done*/, std::int64_t /*total*/) {}
  virtual void on_file_done(const FileReport& /*report*/) {}
};

// Expands files and folders (recursively, sorted, hidden entries skipped) into the files to
// ingest. Inputs that do not exist and folders that cannot be listed become failed reports in
// `missing`, links to folders (not followed) skipped ones; links that name nothing (dangling, a
// loop) are listed, and ingesting them fails with the reason.
std::vector<std::filesystem::path> list_input_files(const std::vector<std::filesystem::path>& inputs,
                                                    std::vector<FileReport>& missing);

class IngestEngines;

class Ingester {
 public:
  // Settles which engines the run has (a speech model for the language, OCR languages installed);
  // loads none of them (that happens when a file first needs one).
  Ingester(Catalog& catalog, IngestOptions options);
  ~Ingester();

  IngestSummary run(const std::vector<std::filesystem::path>& inputs,
                    IngestObserver* observer = nullptr);

  // One file; never throws for problems with the file itself (they become a failed report).
  FileReport ingest_file(std::int64_t archive_id, const std::filesystem::path& path,
                         IngestObserver* observer = nullptr);

  // Why a stage is off for this run ("skipped: no speech model for fr (installed: en-us)"); also
  // in IngestSummary::notes.
  const std::vector<std::string>& notes() const;

  // Links subtitle sources to the video of the same folder and base name. Returns links made.
  std::int64_t link_subtitles(std::int64_t archive_id);

 private:
  Catalog& catalog_;
  IngestOptions options_;
  std::unique_ptr<IngestEngines> engines_;
  std::string owner_;  // this ingest's name on its work claims
};

}  // namespace palimpsest

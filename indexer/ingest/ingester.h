#pragma once
// Ingestion: files and folders in, catalog records out. One catalog transaction per file, so an
// interrupted run leaves every file either wholly ingested or not at all, and the next run picks
// up where it stopped (unchanged files are recognised by their content hash).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/ingest/file_kind.h"
#include "indexer/media/pixel_budget.h"
#include "indexer/media/shot_detector.h"
#include "schema/catalog.h"

namespace palimpsest {

struct IngestOptions {
  std::string archive = "default";
  double sample_fps = 1.0;             // one `frame` record per 1/sample_fps seconds of video
  ShotDetectorOptions shots;           // hard-cut detection; one keyframe record per shot
  int detection_width = 128;           // frames are compared for cuts at this width
  int thumbnail_max_side = 384;        // thumbnails are JPEGs at most this large
  std::int64_t max_text_bytes = 64ll << 20;  // larger text/subtitle files are refused
  PixelBudget pixel_budget;            // images over it are decoded reduced (with a warning) or refused
};

enum class FileOutcome { added, replaced, unchanged, skipped, failed };
std::string_view to_string(FileOutcome outcome);

struct FileReport {
  std::filesystem::path path;
  FileOutcome outcome = FileOutcome::failed;
  FileKind kind = FileKind::unknown;
  std::string format;
  std::string message;                        // reason for skipped/failed
  std::map<std::string, std::int64_t> records;  // records written, by kind
  std::vector<std::string> warnings;          // e.g. malformed subtitle cues that were left out
  std::int64_t frames_decoded = 0;
  std::int64_t media_ms = 0;                  // decoded duration of a video
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
  double seconds = 0;

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
  virtual void on_file_done(const FileReport& /*report*/) {}
};

// Expands files and folders (recursively, sorted, hidden entries skipped) into the files to
// ingest. Inputs that do not exist and folders that cannot be listed become failed reports in
// `missing`, links to folders (not followed) skipped ones; links that name nothing (dangling, a
// loop) are listed, and ingesting them fails with the reason.
std::vector<std::filesystem::path> list_input_files(const std::vector<std::filesystem::path>& inputs,
                                                    std::vector<FileReport>& missing);

class Ingester {
 public:
  Ingester(Catalog& catalog, IngestOptions options);

  IngestSummary run(const std::vector<std::filesystem::path>& inputs,
                    IngestObserver* observer = nullptr);

  // One file; never throws for problems with the file itself (they become a failed report).
  FileReport ingest_file(std::int64_t archive_id, const std::filesystem::path& path,
                         IngestObserver* observer = nullptr);

  // Links subtitle sources to the video of the same folder and base name. Returns links made.
  std::int64_t link_subtitles(std::int64_t archive_id);

 private:
  Catalog& catalog_;
  IngestOptions options_;
};

}  // namespace palimpsest

#pragma once
// Per-kind ingestion of one file into an open SourceWriter (internal to indexer/ingest).
// Each throws on a problem with the file; the caller reports it and the writer rolls back.

#include <filesystem>
#include <string>
#include <vector>

#include "indexer/ingest/ingest_engines.h"
#include "indexer/ingest/ingester.h"
#include "indexer/media/rgb_image.h"

namespace palimpsest {
struct OcrResult;
}

namespace palimpsest::ingest_detail {

// What every per-kind ingester works with.
struct FileContext {
  Catalog::SourceWriter& writer;
  const std::filesystem::path& path;
  const IngestOptions& options;
  IngestEngines& engines;
  FileReport& report;
  IngestObserver* observer = nullptr;
  std::string name() const { return path.filename().string(); }
};

// A frame record of a video and the time it stands for, [ts_ms, end_ms).
struct FrameSpan {
  std::int64_t record_id = 0;
  std::int64_t ts_ms = 0;
  std::int64_t end_ms = 0;
};

void ingest_image(FileContext& file);
void ingest_video(FileContext& file);
void ingest_text(FileContext& file);
void ingest_subtitles(FileContext& file);
void ingest_pdf(FileContext& file);

// The sound of an audio file or of a video (`frames`: the video's frame records, sorted by time,
// which speech records link to): `audio` records per segment, `speech` records per utterance.
// Throws AudioError (NoAudioStreamError for a file without sound).
void ingest_sound(FileContext& file, const std::vector<FrameSpan>& frames);

// Reads `picture` with the OCR engine and, when it holds text, adds an `ocr` record linked to the
// picture's record. `name` names the picture in warnings ("image", "page 3", "frame @ 00:12.000");
// `meta` is merged into the record's. Returns the new record's id, 0 when none was added.
std::int64_t add_ocr_record(FileContext& file, const RgbImage& picture, std::int64_t picture_record_id,
                    const std::string& name, const std::string& title, std::int64_t ts_ms, int dpi,
                    const nlohmann::json& meta = nlohmann::json::object());

// Size of the thumbnail for a width x height picture: fits within max_side, keeps the aspect.
std::pair<int, int> thumbnail_size(int width, int height, int max_side);

// An engine's one-line error without the "<path>: " it starts with (the report names the file).
std::string without_path(const std::string& message, const std::filesystem::path& path);

}  // namespace palimpsest::ingest_detail

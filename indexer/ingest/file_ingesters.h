#pragma once
// Per-kind ingestion of one file into an open SourceWriter (internal to indexer/ingest).
// Each throws on a problem with the file; the caller reports it and the writer rolls back.

#include <filesystem>

#include "indexer/ingest/ingester.h"

namespace palimpsest::ingest_detail {

void ingest_image(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                  const IngestOptions& options, FileReport& report);
void ingest_video(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                  const IngestOptions& options, FileReport& report, IngestObserver* observer);
void ingest_text(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                 const IngestOptions& options, FileReport& report);
void ingest_subtitles(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                      const IngestOptions& options, FileReport& report);

// Size of the thumbnail for a width x height picture: fits within max_side, keeps the aspect.
std::pair<int, int> thumbnail_size(int width, int height, int max_side);

}  // namespace palimpsest::ingest_detail

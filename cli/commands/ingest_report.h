#pragma once
// Human-readable ingest summary (shared by `ingest` and `demo`).

#include <ostream>
#include <string>

#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"

namespace palimpsest::cli {

void print_ingest_summary(std::ostream& out, const IngestSummary& summary, const std::string& db);
void print_embedding_report(std::ostream& out, const EmbeddingReport& report);
nlohmann::json embedding_report_json(const EmbeddingReport& report);

}  // namespace palimpsest::cli

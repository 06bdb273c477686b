#pragma once
// Ingest's output (shared by `ingest`, `reembed` and `demo`): the human-readable summary, the
// embedding pass with its progress, and the embedding report.

#include <ostream>
#include <string>

#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"

namespace palimpsest::cli {

void print_ingest_summary(std::ostream& out, const IngestSummary& summary, const std::string& db);
void print_embedding_report(std::ostream& out, const EmbeddingReport& report);
// Embeds every record without a vector of the encoder's model (embed_missing_records) and shows
// how far it is: a progress bar on a terminal (`bar`), else a plain line at every tenth of the way
// (`lines`), else nothing.
EmbeddingReport embed_with_progress(Catalog& catalog, ClipEncoder& encoder, bool bar, bool lines);
nlohmann::json embedding_report_json(const EmbeddingReport& report);

}  // namespace palimpsest::cli

#pragma once
// Human-readable ingest summary (shared by `ingest` and `demo`).

#include <ostream>
#include <string>

#include "indexer/ingest/ingester.h"

namespace palimpsest::cli {

void print_ingest_summary(std::ostream& out, const IngestSummary& summary, const std::string& db);

}  // namespace palimpsest::cli

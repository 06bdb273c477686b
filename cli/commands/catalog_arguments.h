#pragma once
// Catalog names given on the command line, checked once for every command: a record kind and an
// archive name. Each throws palimpsest::Error with the exit status to give (2: a kind that does
// not exist is bad usage; 1: an archive the catalog does not have).

#include <cstdint>
#include <string>

#include "schema/catalog.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name);
std::int64_t archive_argument(Catalog& catalog, const std::string& name);

}  // namespace palimpsest::cli

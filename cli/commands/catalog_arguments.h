#pragma once
// Catalog names given on the command line, checked once for every command: a record kind, an
// archive name and a model. Each throws palimpsest::Error with the exit status to give (2: a kind
// that does not exist is bad usage; 1: an archive or a model the catalog does not have).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "schema/catalog.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name);
std::int64_t archive_argument(Catalog& catalog, const std::string& name);
// The model folder for `--model NAME` (a name in the catalog's model store, palimpsest-tiny, or a
// folder with model.json; indexer/clip/model_store.h). Without one: the catalog's current model
// (`palimpsest model use`), else the default model, nullopt when there is none. Never creates
// the catalog.
std::optional<std::filesystem::path> model_argument(const std::string& db, const std::string& name_or_dir);

}  // namespace palimpsest::cli

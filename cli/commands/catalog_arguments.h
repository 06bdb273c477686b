#pragma once
// Catalog names given on the command line, checked once for every command: a record kind (or a
// list of them), an archive name, a model, and the catalog itself for commands that only read it.
// Each throws palimpsest::Error with the exit status to give (2: a kind that does not exist is bad
// usage; 1: an archive, a model or a catalog that does not exist).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "schema/catalog.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name);
// "image,frame" or several arguments of that form, each kind once, in the order given.
std::vector<RecordKind> kinds_argument(const std::vector<std::string>& lists);
std::int64_t archive_argument(Catalog& catalog, const std::string& name);
// The model folder for `--model NAME` (a name in the catalog's model store, palimpsest-tiny, or a
// folder with model.json; indexer/clip/model_store.h). Without one: the catalog's current model
// (`palimpsest model use`), else the default model, nullopt when there is none. Never creates
// the catalog.
std::optional<std::filesystem::path> model_argument(const std::string& db, const std::string& name_or_dir);

// The catalog at `path` for a command that reads it (records, record, search, provenance, serve,
// export): one that does not exist is an error ("no catalog at PATH ...") rather than a new,
// empty catalog.
Catalog open_existing_catalog(const std::string& path);

}  // namespace palimpsest::cli

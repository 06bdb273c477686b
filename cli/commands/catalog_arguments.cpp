#include "cli/commands/catalog_arguments.h"

#include "indexer/clip/model_location.h"
#include "indexer/clip/model_store.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name) {
  if (const auto kind = parse_record_kind(name)) return *kind;
  throw Error("unknown kind '" + name + "' (" + record_kind_names() + ")", error_class::bad_request);
}

std::int64_t archive_argument(Catalog& catalog, const std::string& name) {
  if (const auto archive = catalog.find_archive(name)) return archive->id;
  throw Error("no archive named '" + name + "'", error_class::not_found);
}

std::optional<std::filesystem::path> model_argument(const std::string& db, const std::string& name_or_dir) {
  if (!name_or_dir.empty() || current_model(db)) return resolve_model(db, name_or_dir);
  return default_model_dir();
}

}  // namespace palimpsest::cli

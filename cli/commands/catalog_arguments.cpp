#include "cli/commands/catalog_arguments.h"

#include <algorithm>
#include <filesystem>

#include "indexer/clip/model_location.h"
#include "indexer/clip/model_store.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name) {
  if (const auto kind = parse_record_kind(name)) return *kind;
  throw Error("unknown kind '" + name + "' (" + record_kind_names() + ")", error_class::bad_request);
}

std::vector<RecordKind> kinds_argument(const std::vector<std::string>& lists) {
  std::vector<RecordKind> out;
  for (const std::string& list : lists) {
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      std::string name = list.substr(start, comma - start);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) {
        const RecordKind kind = kind_argument(name);
        if (std::find(out.begin(), out.end(), kind) == out.end()) out.push_back(kind);
      }
      start = comma + 1;
    }
  }
  return out;
}

Catalog open_existing_catalog(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw Error("no catalog at " + path + " (palimpsest --db " + path +
                    " ingest PATH... makes one; --db or $PALIMPSEST_DB chooses another)",
                error_class::not_found);
  if (!std::filesystem::is_regular_file(status)) throw Error(path + " is not a catalog file", error_class::bad_request);
  return Catalog(path);
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

#include "cli/commands/catalog_arguments.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name) {
  if (const auto kind = parse_record_kind(name)) return *kind;
  std::string kinds;
  for (int i = 0; parse_record_kind(to_string(static_cast<RecordKind>(i))); ++i)
    kinds += (kinds.empty() ? "" : ", ") + std::string(to_string(static_cast<RecordKind>(i)));
  throw Error("unknown kind '" + name + "' (" + kinds + ")", error_class::bad_request);
}

std::int64_t archive_argument(Catalog& catalog, const std::string& name) {
  if (const auto archive = catalog.find_archive(name)) return archive->id;
  throw Error("no archive named '" + name + "'", error_class::not_found);
}

}  // namespace palimpsest::cli

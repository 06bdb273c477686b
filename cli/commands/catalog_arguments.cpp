#include "cli/commands/catalog_arguments.h"

namespace palimpsest::cli {

RecordKind kind_argument(const std::string& name) {
  if (const auto kind = parse_record_kind(name)) return *kind;
  throw Error("unknown kind '" + name + "' (" + record_kind_names() + ")", error_class::bad_request);
}

std::int64_t archive_argument(Catalog& catalog, const std::string& name) {
  if (const auto archive = catalog.find_archive(name)) return archive->id;
  throw Error("no archive named '" + name + "'", error_class::not_found);
}

}  // namespace palimpsest::cli

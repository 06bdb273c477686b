#include "indexer/vector/vector_store_location.h"

namespace palimpsest {

std::filesystem::path vector_store_folder(const std::filesystem::path& catalog_path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(catalog_path, ec);
  if (ec) absolute = catalog_path;
  std::string name = absolute.filename().string();
  if (name.empty()) name = "catalog";
  return absolute.parent_path() / ("." + name + ".vectors");
}

}  // namespace palimpsest

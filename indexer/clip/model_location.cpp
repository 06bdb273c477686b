#include "indexer/clip/model_location.h"

#include <cstdlib>
#include <system_error>
#include <vector>

namespace palimpsest {
namespace fs = std::filesystem;

std::optional<fs::path> embedded_model_dir() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "data/models/palimpsest-tiny");
    candidates.push_back(exe.parent_path().parent_path() / "share/palimpsest/models/palimpsest-tiny");
  }
#ifdef PALIMPSEST_SOURCE_DATA_DIR
  candidates.push_back(fs::path(PALIMPSEST_SOURCE_DATA_DIR) / "models/palimpsest-tiny");
#endif
  for (const fs::path& dir : candidates)
    if (fs::is_regular_file(dir / "model.json", ec)) return dir;
  return std::nullopt;
}

std::optional<fs::path> default_model_dir() {
  std::error_code ec;
  if (const char* env = std::getenv("PALIMPSEST_MODEL"); env && *env) {
    if (fs::is_regular_file(fs::path(env) / "model.json", ec)) return fs::path(env);
  }
  return embedded_model_dir();
}

}  // namespace palimpsest

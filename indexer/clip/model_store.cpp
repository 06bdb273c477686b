#include "indexer/clip/model_store.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_config.h"
#include "indexer/clip/model_location.h"
#include "indexer/clip/safetensors.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

bool has_model_json(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "model.json", ec);
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

// A model folder written by hand (palimpsest-tiny) says nothing of its architecture in
// model.json: a safetensors header tells (no tensor is read).
void describe_from_weights(const fs::path& dir, const nlohmann::json& j, StoredModel& m) {
  try {
    const fs::path weights = dir / j.value("weights", "");
    if (weights.extension() != ".safetensors") return;
    SafetensorsReader reader(weights);
    ClipShapeMap shapes;
    for (const auto& [tensor, entry] : reader.entries()) shapes[tensor] = entry.shape;
    const std::string prefix = clip_key_prefix(shapes, weights);
    ClipShapeMap stripped;
    for (const auto& [tensor, shape] : shapes) {
      if (tensor.compare(0, prefix.size(), prefix) == 0) stripped[tensor.substr(prefix.size())] = shape;
    }
    ClipConfig c = infer_clip_config(stripped, weights, j.value("vision_heads", 0), j.value("text_heads", 0));
    c.quick_gelu = j.value("activation", "quick_gelu") != "gelu";
    m.architecture = c.describe();
    m.embed_dim = c.embed_dim;
  } catch (const std::exception&) {
    // Descriptive only: loading the model reports what is wrong with it.
  }
}

StoredModel describe(const std::string& name, const fs::path& dir, bool embedded) {
  StoredModel m;
  m.name = name;
  m.dir = dir;
  m.embedded = embedded;
  m.bytes = folder_bytes(dir);
  m.precision = "fp32";
  std::ifstream in(dir / "model.json");
  if (!in) {
    m.problem = "no model.json";
    return m;
  }
  try {
    const auto j = nlohmann::json::parse(in);
    m.architecture = j.value("architecture", "");
    m.embed_dim = j.value("embed_dim", 0);
    if (m.architecture.empty()) describe_from_weights(dir, j, m);
    m.precision = j.value("precision", "fp32");
    if (j.contains("source") && j["source"].is_object()) {
      m.weights_sha256 = j["source"].value("weights_sha256", "");
    }
  } catch (const std::exception& e) {
    m.problem = std::string("model.json is not readable JSON: ") + error_first_line(e);
  }
  return m;
}

std::vector<std::string> store_names(const fs::path& store) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(store, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // downloads, partial imports
    std::error_code dir_ec;
    if (it->is_directory(dir_ec)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool catalog_exists(const fs::path& catalog_path) {
  std::error_code ec;
  return fs::is_regular_file(catalog_path, ec);
}

std::string known_names(const fs::path& catalog_path) {
  std::string list = kEmbeddedModelName;
  for (const auto& name : store_names(model_store_folder(catalog_path))) {
    if (has_model_json(model_store_folder(catalog_path) / name)) list += ", " + name;
  }
  return list;
}

fs::path embedded_or_throw() {
  if (auto dir = embedded_model_dir()) return *dir;
  throw ModelStoreError(std::string("the embedded model ") + kEmbeddedModelName +
                        " is not installed (data/models/palimpsest-tiny not found)");
}

}  // namespace

fs::path model_store_folder(const fs::path& catalog_path) {
  if (const char* home = std::getenv("PALIMPSEST_MODEL_HOME"); home && *home) return fs::path(home);
  std::error_code ec;
  fs::path absolute = fs::absolute(catalog_path, ec);
  if (ec) absolute = catalog_path;
  std::string name = absolute.filename().string();
  if (name.empty()) name = "catalog";
  return absolute.parent_path() / ("." + name + ".models");
}

void validate_model_name(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    throw ModelStoreError("model name '" + name + "' must have 1 to 64 characters");
  }
  if (name[0] == '.' || name[0] == '-') {
    throw ModelStoreError("model name '" + name + "' must not start with '.' or '-'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      throw ModelStoreError("model name '" + name +
                            "' may hold only letters, digits, '.', '_' and '-'");
    }
  }
}

std::vector<StoredModel> list_models(const fs::path& catalog_path) {
  std::vector<StoredModel> out;
  if (auto dir = embedded_model_dir()) out.push_back(describe(kEmbeddedModelName, *dir, true));
  const fs::path store = model_store_folder(catalog_path);
  for (const auto& name : store_names(store)) {
    if (name == kEmbeddedModelName) continue;
    out.push_back(describe(name, store / name, false));
  }
  return out;
}

std::optional<std::string> current_model(const fs::path& catalog_path) {
  if (!catalog_exists(catalog_path)) return std::nullopt;
  Catalog catalog(catalog_path);
  auto name = catalog.state(kCurrentModelStateKey);
  if (name && name->empty()) return std::nullopt;
  return name;
}

void use_model(const fs::path& catalog_path, const std::string& name) {
  if (!catalog_exists(catalog_path)) {
    throw ModelStoreError("no catalog at " + catalog_path.string() +
                          ": the current model belongs to a catalog (ingest first, or pass --db)");
  }
  if (name != kEmbeddedModelName) {
    validate_model_name(name);
    const fs::path dir = model_store_folder(catalog_path) / name;
    if (!has_model_json(dir)) {
      throw ModelStoreError("no model '" + name + "' in the model store at " +
                            model_store_folder(catalog_path).string() + " (models: " +
                            known_names(catalog_path) + ")");
    }
  } else {
    embedded_or_throw();
  }
  Catalog catalog(catalog_path);
  catalog.set_state(kCurrentModelStateKey, name);
}

std::int64_t count_model_embeddings(const fs::path& catalog_path, const std::string& name) {
  if (!catalog_exists(catalog_path)) return 0;
  Catalog catalog(catalog_path);
  std::int64_t total = 0;
  for (const ModelRow& row : catalog.embeddings().models()) {
    if (row.name == name) total += catalog.embeddings().count(row.id);
  }
  return total;
}

RemovedModel remove_model(const fs::path& catalog_path, const std::string& name, bool force) {
  if (name == kEmbeddedModelName) {
    throw ModelStoreError(std::string(kEmbeddedModelName) +
                          " is the embedded model (data/models/), not a store model: it cannot be "
                          "removed");
  }
  validate_model_name(name);
  RemovedModel removed;
  removed.dir = model_store_folder(catalog_path) / name;
  std::error_code ec;
  if (!fs::is_directory(removed.dir, ec)) {
    throw ModelStoreError("no model '" + name + "' in the model store at " +
                          model_store_folder(catalog_path).string() + " (models: " +
                          known_names(catalog_path) + ")");
  }
  const auto current = current_model(catalog_path);
  if (current && *current == name) {
    if (!force) {
      throw ModelStoreError("'" + name + "' is the catalog's current model: choose another with "
                            "`palimpsest model use NAME` first, or pass --force (the catalog "
                            "then falls back to " + kEmbeddedModelName + ")");
    }
    Catalog catalog(catalog_path);
    catalog.set_state(kCurrentModelStateKey, "");
    removed.was_current = true;
  }
  removed.embeddings_kept = count_model_embeddings(catalog_path, name);
  fs::remove_all(removed.dir, ec);
  if (ec) throw ModelStoreError("cannot remove " + removed.dir.string() + ": " + ec.message());
  return removed;
}

fs::path resolve_model(const fs::path& catalog_path, const std::string& name_or_dir) {
  if (name_or_dir.empty()) {
    const auto current = current_model(catalog_path);
    if (!current) return default_model_dir() ? *default_model_dir() : embedded_or_throw();
    if (*current == kEmbeddedModelName) return embedded_or_throw();
    const fs::path dir = model_store_folder(catalog_path) / *current;
    if (!has_model_json(dir)) {
      throw ModelStoreError("the catalog's current model '" + *current +
                            "' is not in the model store at " +
                            model_store_folder(catalog_path).string() +
                            " (removed?): choose one with `palimpsest model use NAME` (models: " +
                            known_names(catalog_path) + ")");
    }
    return dir;
  }
  if (name_or_dir == kEmbeddedModelName) return embedded_or_throw();
  const bool path_like = name_or_dir.find('/') != std::string::npos || name_or_dir[0] == '.';
  if (!path_like) {
    bool valid_name = true;
    try {
      validate_model_name(name_or_dir);
    } catch (const ModelStoreError&) {
      valid_name = false;
    }
    if (valid_name) {
      const fs::path dir = model_store_folder(catalog_path) / name_or_dir;
      if (has_model_json(dir)) return dir;
    }
  }
  std::error_code ec;
  if (fs::is_directory(name_or_dir, ec)) {
    if (has_model_json(name_or_dir)) return fs::path(name_or_dir);
    throw ModelStoreError(name_or_dir + ": a folder without model.json (import a checkpoint with "
                                        "`palimpsest model import PATH`)");
  }
  throw ModelStoreError("unknown model '" + name_or_dir + "': not a model folder and not in the "
                        "model store at " + model_store_folder(catalog_path).string() +
                        " (models: " + known_names(catalog_path) + ")");
}

}  // namespace palimpsest

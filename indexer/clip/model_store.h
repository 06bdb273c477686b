#pragma once
// The model store: the CLIP models a catalog can embed with, one folder each (model.json,
// weights, tokenizer, MODEL_CARD.md), written by `palimpsest model import` / `model fetch`.
//
// - Where: beside the catalog, `<catalog folder>/.<catalog file name>.models/<name>/` (like the
//   vector store's `.vectors/`: it moves and is backed up with the catalog, hidden so that ingest
//   skips it, named after the catalog so two catalogs in one folder keep their own), or
//   `$PALIMPSEST_MODEL_HOME/<name>/` when that is set: one store shared by every catalog, since a
//   real model is hundreds of megabytes.
// - Names: 1 to 64 characters of [A-Za-z0-9._-], not starting with '.' or '-'.
//   "palimpsest-tiny" is the embedded model (data/models/, see model_location.h) and cannot be
//   imported over, used up or removed from the store.
// - The current model of a catalog is its state key "current_model" (Catalog::set_state); unset
//   means palimpsest-tiny. Vectors belong to (model name, weights SHA-256) in the catalog, so
//   removing a model from the store never deletes vectors: they stay, unused, and come back into
//   use when the same weights are imported again under the same name.
// - resolve_model() is what every `--model NAME` calls.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "indexer/clip/clip_error.h"

namespace palimpsest {

class Catalog;

inline constexpr char kEmbeddedModelName[] = "palimpsest-tiny";
inline constexpr char kCurrentModelStateKey[] = "current_model";

// A name or folder that does not resolve, a refused removal, a bad name.
class ModelStoreError : public ClipError {
 public:
  using ClipError::ClipError;
};

// The store folder for a catalog ($PALIMPSEST_MODEL_HOME when set). Not created.
std::filesystem::path model_store_folder(const std::filesystem::path& catalog_path);

// Throws ModelStoreError saying what is wrong with the name.
void validate_model_name(const std::string& name);

struct StoredModel {
  std::string name;
  std::filesystem::path dir;
  bool embedded = false;        // palimpsest-tiny, from data/models/
  std::string architecture;     // ClipConfig::describe(), from model.json (imported models)
  int embed_dim = 0;
  std::string precision;        // model.json "precision": "fp32" (default), "bf16", "int8", "auto"
  std::string weights_sha256;   // from model.json (imported models); "" when not recorded
  std::uint64_t bytes = 0;      // size of the folder
  std::string problem;          // non-empty when model.json is missing or unreadable
};

// palimpsest-tiny first (when found), then the store's models by name.
std::vector<StoredModel> list_models(const std::filesystem::path& catalog_path);

// The catalog's current model name, nullopt when unset. Does not create a missing catalog.
std::optional<std::string> current_model(const std::filesystem::path& catalog_path);

// Makes `name` the catalog's current model (a store name or palimpsest-tiny; the catalog must
// exist). Throws ModelStoreError for an unknown name or a missing catalog.
void use_model(const std::filesystem::path& catalog_path, const std::string& name);

struct RemovedModel {
  std::filesystem::path dir;
  bool was_current = false;           // the current model was reset to palimpsest-tiny
  std::int64_t embeddings_kept = 0;   // vectors of this model name that stay in the catalog
};

// Deletes a store model's folder. Refuses palimpsest-tiny, an unknown name, and the catalog's
// current model unless `force` (then the catalog falls back to palimpsest-tiny). Never touches
// the catalog's vectors: embeddings_kept says how many stay.
RemovedModel remove_model(const std::filesystem::path& catalog_path, const std::string& name,
                          bool force);

// Embeddings stored in the catalog for a model name (over every weights hash it had); 0 when the
// catalog does not exist.
std::int64_t count_model_embeddings(const std::filesystem::path& catalog_path,
                                    const std::string& name);

// The model folder for `--model NAME`:
// - ""                : the catalog's current model, else palimpsest-tiny;
// - "palimpsest-tiny" : the embedded model;
// - a store name      : its folder in the store;
// - a folder path     : a folder holding model.json (a name with a '/' or starting with '.' is
//                       always a path).
// Throws ModelStoreError naming what was tried (and the store's models) when nothing matches.
std::filesystem::path resolve_model(const std::filesystem::path& catalog_path,
                                    const std::string& name_or_dir);

}  // namespace palimpsest

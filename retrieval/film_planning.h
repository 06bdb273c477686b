#pragma once
// A manuscript's timeline planned against the archive and saved as a film: what `palimpsest plan`,
// `palimpsest make` and POST /api/v1/films share.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "indexer/clip/clip_encoder.h"
#include "retrieval/search/dense_index.h"
#include "retrieval/timeline/timeline.h"
#include "schema/catalog.h"

namespace palimpsest {

// The embedding model and vector index planning searches with. Without embedded records (or
// without a model) encoder/index are null and planning uses lexical matches only.
struct PlanningModel {
  std::unique_ptr<ClipEncoder> encoder;
  std::unique_ptr<DenseIndex> index;
  std::int64_t model_id = 0;
  bool dense() const { return encoder && index; }
};

// Loads the model at `model_dir` (default_model_dir() when empty) and opens its index. A model
// the catalog has no vectors for gives a lexical-only PlanningModel (with a null index).
PlanningModel load_planning_model(Catalog& catalog, const std::optional<std::filesystem::path>& model_dir);

struct PlannedFilm {
  std::int64_t film_id = 0;
  Timeline timeline;
  double planning_seconds = 0;  // the Planner alone (search, MMR, Viterbi, guidance)
  bool reused = false;          // an identical earlier film was found (reuse_identical)
};

// Plans `timeline` (from plan_shots) with the archive's records and saves it as a new film in
// state "planned". `manuscript` is what the film row records as its source (a path or a label).
// `encoder`/`index` may be null (lexical planning). With `reuse_identical`, a film of the same
// manuscript whose timeline came out identical is returned instead of a new one (so that
// `palimpsest make` run again on an unchanged manuscript resumes its earlier render).
PlannedFilm plan_and_save_film(Catalog& catalog, Timeline timeline, const std::string& manuscript,
                               ClipEncoder* encoder, DenseIndex* index, std::int64_t model_id,
                               bool reuse_identical = false);

}  // namespace palimpsest

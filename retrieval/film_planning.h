#pragma once
// A manuscript's timeline planned against the archive and saved as a film: what `palimpsest plan`,
// `palimpsest make` and POST /api/v1/films share.

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <vector>
#include <memory>
#include <optional>
#include <string>

#include "indexer/clip/clip_encoder.h"
#include "retrieval/planning/planner.h"
#include "retrieval/search/dense_index.h"
#include "retrieval/timeline/shot_pictures.h"
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

// The planning controls `plan`, `make`, `demo` and POST /api/v1/films share.
struct FilmPlanningOptions {
  SearchFilter filter;                            // archive and kinds every search is restricted to
  std::map<int, std::vector<std::int64_t>> pins;  // shot index -> records pinned to it
  std::set<std::int64_t> excluded;                // records never used
  double picture_threshold = kDefaultPictureThreshold;
  std::optional<double> borrow_seconds;           // the timeline's (kDefaultBorrowSeconds) when unset
  bool save = true;             // false: plan only (a dry run); no film is created, film_id is 0
  // A film of the same manuscript whose timeline came out identical is returned instead of a new
  // one (so that planning or making an unchanged manuscript again reuses, and resumes, its film).
  bool reuse_identical = true;
  // The settings as the film row's params record them (and the API echoes).
  nlohmann::json to_json() const;
};

struct PlannedFilm {
  std::int64_t film_id = 0;     // 0 when not saved
  Timeline timeline;
  double planning_seconds = 0;  // the Planner alone (search, MMR, Viterbi, guidance)
  bool reused = false;          // an identical earlier film was found (reuse_identical)
  std::vector<ShotPictures> pictures;  // per shot: own, borrowed or empty (shot_pictures.h)
  PictureSummary summary;
};

// Plans `timeline` (from plan_shots) with the archive's records and, unless options.save is off,
// saves it as a film in state "planned". `manuscript` is what the film row records as its source
// (a path or a label). `encoder`/`index` may be null (lexical planning). Throws PlanningError
// (bad pins) and whatever search throws.
PlannedFilm plan_film(Catalog& catalog, Timeline timeline, const std::string& manuscript, ClipEncoder* encoder,
                      DenseIndex* index, std::int64_t model_id, const FilmPlanningOptions& options = {});

// The planning summary of a film for people: "7 shots: 6 with their own pictures, 1 borrowed, 0
// empty" then its warnings, one per line, each prefixed by `prefix`.
std::string describe_planning(const PlannedFilm& planned, const std::string& prefix = "palimpsest: warning: ");

}  // namespace palimpsest

#include "retrieval/film_planning.h"

#include <chrono>

#include "indexer/clip/model_location.h"
#include "retrieval/archive_candidate_source.h"
#include "retrieval/planning/planner.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"

namespace palimpsest {

PlanningModel load_planning_model(Catalog& catalog, const std::optional<std::filesystem::path>& model_dir) {
  PlanningModel m;
  const auto dir = model_dir ? model_dir : default_model_dir();
  if (!dir) return m;
  m.encoder = ClipEncoder::load(*dir);
  if (auto model = catalog.embeddings().find_model(m.encoder->info().name, m.encoder->info().weights_sha256)) {
    m.model_id = model->id;
    if (catalog.embeddings().count(m.model_id) > 0) m.index = open_dense_index(catalog, m.model_id);
  }
  return m;
}

nlohmann::json FilmPlanningOptions::to_json() const {
  nlohmann::json kinds = nlohmann::json::array();
  for (RecordKind kind : filter.kinds) kinds.push_back(std::string(to_string(kind)));
  nlohmann::json pinned = nlohmann::json::object();
  for (const auto& [shot, records] : pins) pinned[std::to_string(shot)] = records;
  return {{"archive_id", filter.archive_id ? nlohmann::json(*filter.archive_id) : nlohmann::json()},
          {"kinds", kinds},
          {"excluded", excluded},
          {"pins", pinned},
          {"picture_threshold", picture_threshold}};
}

PlannedFilm plan_film(Catalog& catalog, Timeline timeline, const std::string& manuscript, ClipEncoder* encoder,
                      DenseIndex* index, std::int64_t model_id, const FilmPlanningOptions& options) {
  ArchiveCandidateSource source(catalog, index ? encoder : nullptr, index, model_id, options.filter);
  PlannerOptions planner;
  planner.pins = options.pins;
  planner.excluded = options.excluded;
  planner.picture_threshold = options.picture_threshold;
  if (options.borrow_seconds) timeline.borrow_seconds = *options.borrow_seconds;
  const auto started = std::chrono::steady_clock::now();
  Planner(source, planner).plan(timeline);
  PlannedFilm planned;
  planned.planning_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  planned.pictures = shot_pictures(timeline);
  planned.summary = summarize(planned.pictures);
  if (options.save) {
    nlohmann::json params = {{"fps", timeline.fps}, {"width", timeline.width}, {"height", timeline.height}};
    params["planning"] = options.to_json();
    const nlohmann::json document = timeline.to_json(true);
    if (options.reuse_identical) {
      if (auto same = catalog.films().find(manuscript, document)) {
        planned.film_id = *same;
        planned.reused = true;
      }
    }
    if (!planned.reused) {
      planned.film_id = catalog.films().create(timeline.title, manuscript, document, params);
      catalog.films().set_output(planned.film_id, "", "", timeline.frame_count);
    }
  }
  planned.timeline = std::move(timeline);
  return planned;
}

std::string describe_planning(const PlannedFilm& planned, const std::string& prefix) {
  std::string out = planned.summary.to_string() + "\n";
  for (const std::string& w : planned.timeline.warnings) out += prefix + w + "\n";
  return out;
}

}  // namespace palimpsest

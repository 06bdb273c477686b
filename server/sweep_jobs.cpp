#include "server/sweep_jobs.h"

#include "schema/film_store.h"
#include "synth/film_maker.h"
#include "synth/sweep.h"

namespace palimpsest::server {

std::filesystem::path sweep_job_dir(const Catalog& catalog, std::int64_t job_id) {
  return std::filesystem::absolute(catalog.path()).parent_path() / "sweeps" / ("job-" + std::to_string(job_id));
}

void run_sweep_job(Catalog& catalog, const JobRow& job, const std::filesystem::path& clip_model,
                   const std::function<void(double)>& progress, const std::function<bool()>& cancelled) {
  const auto film = catalog.films().get(job.film_id);
  if (!film || !film->timeline.is_object())
    throw FilmMakeError("film " + std::to_string(job.film_id) + " has no planned timeline to sweep");
  SweepOptions options;
  options.out_dir = sweep_job_dir(catalog, job.id);
  options.clip_model = clip_model;
  options.settings.denoiser =
      parse_denoiser_kind(job.options.value("denoiser", "local")).value_or(DenoiserKind::local);
  options.progress = [&](const SweepProgress& p) {
    progress(p.frame_total > 0 ? static_cast<double>(p.frames_done) / static_cast<double>(p.frame_total) : 0.0);
  };
  options.cancelled = cancelled;
  run_sweep(catalog, Timeline::from_json(film->timeline), sweep_spec_from_json(job.options.value("spec", nlohmann::json::object())),
            options);
}

}  // namespace palimpsest::server

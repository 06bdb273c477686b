#include "server/render_jobs.h"

#include <chrono>

#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "schema/work_claims.h"
#include "server/sweep_jobs.h"
#include "synth/film_maker.h"

namespace palimpsest::server {
namespace {

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.01, s) * 1000));
}

// The render options a job was queued with (validated by the route that queued it).
FilmMakeOptions make_options(const nlohmann::json& job_options) {
  FilmMakeOptions options;
  options.settings.denoiser =
      parse_denoiser_kind(job_options.value("denoiser", "local")).value_or(DenoiserKind::local);
  options.attribution_maps = job_options.value("attribution_maps", true);
  options.sound = job_options.value("sound", true);
  return options;
}

}  // namespace

RenderJobs::RenderJobs(const ServerOptions& options, Log log)
    : options_(options), log_(std::move(log)), owner_(new_work_owner()) {}

RenderJobs::~RenderJobs() { stop(); }

void RenderJobs::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  try {
    Catalog catalog(options_.db);
    for (const RecoveredJob& r : catalog.jobs().recover(options_.job_stale_after_s, options_.job_max_attempts))
      log_("render job " + std::to_string(r.job_id) + " (film " + std::to_string(r.film_id) + ") was orphaned: " +
           (r.requeued ? "queued again to resume" : "failed"));
  } catch (const std::exception& e) {
    log_(std::string("render jobs: recovery failed: ") + e.what());
  }
  for (int i = 0; i < options_.render_workers; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
  threads_.emplace_back([this] { monitor_loop(); });
}

void RenderJobs::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  started_ = false;
  active_.clear();
}

void RenderJobs::wake() { wake_.notify_all(); }

bool RenderJobs::cancel_film(std::int64_t film_id, double wait_s) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = running_.find(film_id);
  if (it == running_.end() || it->second == 0) return false;
  for (auto& [id, job] : active_)
    if (job->film_id == film_id) job->cancel = true;
  released_.wait_for(lock, seconds(wait_s), [&] { return running_[film_id] == 0; });
  return true;
}

void RenderJobs::worker_loop(int index) {
  std::unique_ptr<Catalog> catalog;
  while (!stopping_) {
    std::optional<JobRow> job;
    try {
      if (!catalog) catalog = std::make_unique<Catalog>(options_.db);
      job = catalog->jobs().claim(owner_);
    } catch (const std::exception& e) {
      log_("render worker " + std::to_string(index) + ": " + e.what());
      catalog.reset();
    }
    if (!job) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_.load(); });
      continue;
    }
    run_job(*catalog, *job);
  }
}

void RenderJobs::run_job(Catalog& catalog, const JobRow& job) {
  Active active{job.id, job.film_id, job.progress, false};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_[job.id] = &active;
    ++running_[job.film_id];
  }
  log_(job.kind + " job " + std::to_string(job.id) + ": film " + std::to_string(job.film_id) + " (attempt " +
       std::to_string(job.attempts) + ")");
  FilmMakeOptions options = make_options(job.options);
  options.limits = options_.film_limits;
  options.clip_model = options_.model_dir;  // the server's model is the films' model
  options.progress = [&](const FilmProgress& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    active.progress = p.frame_count > 0 ? static_cast<double>(p.frames_done) / static_cast<double>(p.frame_count) : 0;
  };
  options.cancelled = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_.load() || active.cancel;
  };
  JobState state = JobState::done;
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (job.kind == "sweep") {
      run_sweep_job(
          catalog, job, options_.model_dir,
          [&](double fraction) {
            std::lock_guard<std::mutex> lock(mutex_);
            active.progress = fraction;
          },
          options.cancelled);
    } else {
      for (const std::string& w : make_film(catalog, job.film_id, options).warnings)
        log_("render job " + std::to_string(job.id) + ": " + w);
    }
  } catch (const FilmCancelled&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (active.cancel) {
      state = JobState::cancelled;
      error = "cancelled";
    } else {
      state = JobState::queued;  // the server is stopping: resume at the next start
    }
  } catch (const std::exception& e) {
    state = JobState::failed;
    error = e.what();
  }
  try {
    catalog.jobs().finish(job.id, owner_, state, error);
    if (auto film = job.kind == "render" ? catalog.films().get(job.film_id) : std::nullopt) {
      if (state == JobState::failed && film->status != FilmStatus::failed)
        catalog.films().set_render(job.film_id, FilmStatus::failed, film->progress, error);
      if (state == JobState::queued) catalog.films().set_render(job.film_id, FilmStatus::planned, film->progress);
    }
  } catch (const std::exception& e) {
    log_("render job " + std::to_string(job.id) + ": cannot record its end: " + e.what());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_("render job " + std::to_string(job.id) + ": " + std::string(to_string(state)) + (error.empty() ? "" : " (" + error + ")") + " after " +
       std::to_string(secs) + " s");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_.erase(job.id);
    if (--running_[job.film_id] == 0) running_.erase(job.film_id);
  }
  released_.notify_all();
}

void RenderJobs::monitor_loop() {
  std::unique_ptr<Catalog> catalog;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, seconds(options_.job_heartbeat_s), [&] { return stopping_.load(); })) return;
    }
    try {
      if (!catalog) catalog = std::make_unique<Catalog>(options_.db);
      std::vector<std::pair<std::int64_t, double>> beats;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [id, job] : active_) beats.emplace_back(id, job->progress);
      }
      for (const auto& [id, progress] : beats) {
        if (catalog->jobs().touch(id, owner_, progress)) continue;
        // Cancelled, deleted with its film, or taken over: stop rendering it.
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = active_.find(id);
        if (it != active_.end()) it->second->cancel = true;
      }
      bool requeued = false;
      for (const RecoveredJob& r : catalog->jobs().recover(options_.job_stale_after_s, options_.job_max_attempts)) {
        requeued |= r.requeued;
        log_("render job " + std::to_string(r.job_id) + " (film " + std::to_string(r.film_id) + ") was orphaned: " +
             (r.requeued ? "queued again to resume" : "failed"));
      }
      if (requeued) wake_.notify_all();
    } catch (const std::exception& e) {
      log_(std::string("render jobs monitor: ") + e.what());
      catalog.reset();
    }
  }
}

}  // namespace palimpsest::server

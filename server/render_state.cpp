#include "server/render_state.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace palimpsest::server {

std::optional<double> catalog_time_s(const std::string& text) {
  std::tm tm{};
  double seconds = 0;
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &seconds, &zone) != 7 || zone != 'Z' || seconds < 0 || seconds >= 61)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = 0;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<double>(t) + seconds;
}

namespace {

// Seconds since `stamp`; a stamp that does not read counts as long ago.
double age_s(const std::string& stamp, double now_s) {
  const std::optional<double> t = catalog_time_s(stamp);
  return t ? now_s - *t : 1e18;
}

nlohmann::json state(const char* name, const std::string& note = {}) {
  return {{"state", name}, {"note", note.empty() ? nlohmann::json() : nlohmann::json(note)}};
}

}  // namespace

nlohmann::json render_state_json(const FilmRow& film, const std::optional<JobRow>& job,
                                 const RenderStaleness& staleness, double now_s) {
  if (film.status == FilmStatus::done) return state("done");
  if (film.status == FilmStatus::failed) return state("failed", film.error.empty() ? "the render failed" : film.error);
  if (job && job->state == JobState::queued) return state("queued");
  if (job && job->state == JobState::running) {
    if (age_s(job->heartbeat_at, now_s) <= staleness.job_stale_s) return state("rendering");
    return state("stopped", "render job " + std::to_string(job->id) + " has had no heartbeat since " + job->heartbeat_at +
                                " (its server is gone); a running server resumes it");
  }
  if (film.status == FilmStatus::rendering) {
    const std::string& since = film.updated_at.empty() ? film.created_at : film.updated_at;
    if (age_s(since, now_s) <= staleness.render_stale_s) return state("rendering");
    return state("stopped", "no progress since " + since + " (the render's process is gone); `palimpsest make --film " +
                                std::to_string(film.id) + "` resumes it");
  }
  return state("planned");
}

nlohmann::json render_state_json(const FilmRow& film, const std::optional<JobRow>& job, const ServerOptions& options) {
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return render_state_json(film, job, {options.job_stale_after_s, options.render_stale_after_s}, now_s);
}

}  // namespace palimpsest::server

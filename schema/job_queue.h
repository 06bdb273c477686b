#pragma once
// Render jobs (POST /api/v1/films) and sweep jobs (POST /api/v1/sweeps) in the catalog: queued ->
// running -> done | failed | cancelled. Several server processes may share a catalog: a job is claimed atomically, and a
// running job is only taken over once its heartbeat is stale. Obtained from Catalog::jobs().

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "schema/catalog_rows.h"

namespace palimpsest {

class SqliteConnection;

class JobQueue {
 public:
  explicit JobQueue(SqliteConnection& db);

  // kind: "render" or "sweep" (a sweep's film is the planned film it varies).
  std::int64_t create(std::int64_t film_id, const nlohmann::json& options, std::string_view kind = "render");
  std::optional<JobRow> get(std::int64_t id);
  // The newest render job of a film, if any.
  std::optional<JobRow> latest(std::int64_t film_id);
  // A film's sweep jobs, newest first.
  std::vector<JobRow> sweeps(std::int64_t film_id);
  // Oldest queued job -> running for `owner` (attempts + 1, heartbeat now); nullopt when none.
  std::optional<JobRow> claim(std::string_view owner);
  // Progress in [0, 1] and heartbeat; false when the job is no longer running for `owner`
  // (cancelled, taken over, or deleted with its film).
  bool touch(std::int64_t id, std::string_view owner, double progress);
  // running -> done | failed | cancelled | queued (a graceful stop hands it back). False when the
  // job was not running for `owner`. Throws CatalogError for `running` itself.
  bool finish(std::int64_t id, std::string_view owner, JobState state, std::string_view error = {});
  // Queued and running jobs of a film -> cancelled. Returns how many.
  int cancel(std::int64_t film_id, std::string_view reason);
  // Running jobs whose heartbeat is older than `stale_after_s` (their process died): queued
  // again while attempts < max_attempts, else failed with the reason (a render's film too).
  std::vector<RecoveredJob> recover(double stale_after_s, int max_attempts);
  std::int64_t count(JobState state);

 private:
  SqliteConnection& db_;
};

}  // namespace palimpsest

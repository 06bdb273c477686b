// The job queue's SQL: see job_queue.h and migrations/0003_render_jobs.sql.
#include "schema/job_queue.h"

#include <tuple>

#include "schema/catalog_error.h"
#include "schema/sqlite_connection.h"
#include "schema/catalog_json.h"

namespace palimpsest {
namespace {

#define JOB_COLUMNS                                                                         \
  "id, film_id, state, progress, coalesce(error, ''), options, attempts, coalesce(owner, ''), " \
  "created_at, coalesce(started_at, ''), coalesce(finished_at, ''), coalesce(heartbeat_at, ''), kind"

#define JOB_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

JobRow read_job(const Statement& s) {
  JobRow j;
  j.id = s.int64(0);
  j.film_id = s.int64(1);
  j.state = parse_job_state(s.text(2)).value_or(JobState::failed);
  j.progress = s.real(3);
  j.error = s.text(4);
  j.options = nlohmann::json::parse(s.text(5), nullptr, /*allow_exceptions=*/false);
  if (j.options.is_discarded()) j.options = nlohmann::json::object();
  j.attempts = s.int64(6);
  j.owner = s.text(7);
  j.created_at = s.text(8);
  j.started_at = s.text(9);
  j.finished_at = s.text(10);
  j.heartbeat_at = s.text(11);
  j.kind = s.text(12);
  return j;
}

}  // namespace

JobQueue::JobQueue(SqliteConnection& db) : db_(db) {}

std::int64_t JobQueue::create(std::int64_t film_id, const nlohmann::json& options, std::string_view kind) {
  db_.statement("INSERT INTO jobs(film_id, options, kind) VALUES (?1, ?2, ?3)")
      .bind(1, film_id)
      .bind(2, json_text(options))
      .bind(3, kind)
      .run();
  return db_.last_insert_id();
}

std::optional<JobRow> JobQueue::get(std::int64_t id) {
  Statement& s = db_.statement("SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

std::optional<JobRow> JobQueue::latest(std::int64_t film_id) {
  Statement& s = db_.statement(
      "SELECT " JOB_COLUMNS " FROM jobs WHERE film_id = ?1 AND kind = 'render' ORDER BY id DESC LIMIT 1");
  s.bind(1, film_id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

std::vector<JobRow> JobQueue::sweeps(std::int64_t film_id) {
  Statement& s = db_.statement("SELECT " JOB_COLUMNS " FROM jobs WHERE film_id = ?1 AND kind = 'sweep' ORDER BY id DESC");
  s.bind(1, film_id);
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::optional<JobRow> JobQueue::claim(std::string_view owner) {
  // One statement: two processes can never claim the same job.
  Statement& s = db_.statement(
      "UPDATE jobs SET state = 'running', owner = ?1, attempts = attempts + 1, "
      "started_at = " JOB_NOW ", heartbeat_at = " JOB_NOW " "
      "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) "
      "RETURNING " JOB_COLUMNS);
  s.bind(1, owner);
  if (!s.step()) return std::nullopt;
  JobRow job = read_job(s);
  while (s.step()) {
  }
  return job;
}

bool JobQueue::touch(std::int64_t id, std::string_view owner, double progress) {
  db_.statement("UPDATE jobs SET progress = ?3, heartbeat_at = " JOB_NOW
            " WHERE id = ?1 AND owner = ?2 AND state = 'running'")
      .bind(1, id)
      .bind(2, owner)
      .bind(3, progress)
      .run();
  return db_.changes() > 0;
}

bool JobQueue::finish(std::int64_t id, std::string_view owner, JobState state, std::string_view error) {
  if (state == JobState::running) throw CatalogError("a job cannot finish as running");
  db_.statement("UPDATE jobs SET state = ?3, error = nullif(?4, ''), "
            "progress = CASE WHEN ?3 = 'done' THEN 1 ELSE progress END, "
            "owner = CASE WHEN ?3 = 'queued' THEN NULL ELSE owner END, "
            "finished_at = CASE WHEN ?3 = 'queued' THEN NULL ELSE " JOB_NOW " END, "
            "heartbeat_at = " JOB_NOW " WHERE id = ?1 AND owner = ?2 AND state = 'running'")
      .bind(1, id)
      .bind(2, owner)
      .bind(3, to_string(state))
      .bind(4, error)
      .run();
  return db_.changes() > 0;
}

int JobQueue::cancel(std::int64_t film_id, std::string_view reason) {
  db_.statement("UPDATE jobs SET state = 'cancelled', error = nullif(?2, ''), finished_at = " JOB_NOW
            " WHERE film_id = ?1 AND state IN ('queued', 'running')")
      .bind(1, film_id)
      .bind(2, reason)
      .run();
  return db_.changes();
}

std::vector<RecoveredJob> JobQueue::recover(double stale_after_s, int max_attempts) {
  std::vector<RecoveredJob> out;
  db_.transaction([&] {
    Statement& s = db_.statement(
        "SELECT id, film_id, attempts, kind = 'render' FROM jobs WHERE state = 'running' AND "
        "(heartbeat_at IS NULL OR (julianday('now') - julianday(heartbeat_at)) * 86400.0 > ?1) "
        "ORDER BY id");
    s.bind(1, stale_after_s);
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, bool>> stale;
    while (s.step()) stale.emplace_back(s.int64(0), s.int64(1), s.int64(2), s.int64(3) != 0);
    for (const auto& [id, film_id, attempts, renders_film] : stale) {
      const bool requeue = attempts < max_attempts;
      if (requeue) {
        db_.statement("UPDATE jobs SET state = 'queued', owner = NULL, "
                  "error = 'interrupted (its server stopped); resumed' WHERE id = ?1")
            .bind(1, id)
            .run();
      } else {
        const std::string reason = "interrupted " + std::to_string(attempts) +
                                   " times (its server stopped while rendering); not retried";
        db_.statement("UPDATE jobs SET state = 'failed', error = ?2, finished_at = " JOB_NOW
                  " WHERE id = ?1")
            .bind(1, id)
            .bind(2, reason)
            .run();
        if (renders_film)  // a sweep leaves its film as it was
          db_.statement("UPDATE films SET status = 'failed', error = ?2, updated_at = " JOB_NOW
                    " WHERE id = ?1")
              .bind(1, film_id)
              .bind(2, reason)
              .run();
      }
      out.push_back({id, film_id, requeue});
    }
  });
  return out;
}

std::int64_t JobQueue::count(JobState state) {
  Statement& s = db_.statement("SELECT count(*) FROM jobs WHERE state = ?1");
  s.bind(1, to_string(state));
  s.step();
  return s.int64(0);
}

}  // namespace palimpsest

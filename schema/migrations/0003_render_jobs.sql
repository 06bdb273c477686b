-- Render jobs started over the API (POST /api/v1/films): a queue that survives restarts.
-- A worker claims the oldest queued job (state running, owner = that server process, attempts + 1)
-- and refreshes heartbeat_at every few seconds while it renders. A running job whose heartbeat is
-- stale belongs to a process that died: it is queued again (make_film resumes from the frames
-- already written) or, after too many attempts, failed with the reason. A job is never left
-- "running" forever. The 0001 table had no room for options, owners or a cancelled state, and was
-- never written to, so it is rebuilt (keeping any rows).
CREATE TABLE jobs_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  film_id      INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
  state        TEXT NOT NULL DEFAULT 'queued'
               CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress     REAL NOT NULL DEFAULT 0,
  error        TEXT,
  options      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)),
  attempts     INTEGER NOT NULL DEFAULT 0,
  owner        TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at   TEXT,
  finished_at  TEXT,
  heartbeat_at TEXT
);
INSERT INTO jobs_new(id, film_id, state, progress, error, heartbeat_at)
  SELECT id, film_id, state, progress, error, heartbeat_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_state ON jobs(state, id);
CREATE INDEX jobs_film ON jobs(film_id, id);

-- The catalog: archives, their source files, the records made from them, thumbnails,
-- embeddings (the source of truth for the vector store), and lexical search.

CREATE TABLE archives (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  root       TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per ingested file. A file's records are replaced together with this row, in one
-- transaction, so a source row exists exactly when all of its records do.
-- AUTOINCREMENT on sources and records: ids are never reused, so a film's provenance can never
-- point at a different record after its source was replaced.
CREATE TABLE sources (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  archive_id        INTEGER NOT NULL REFERENCES archives(id) ON DELETE CASCADE,
  uri               TEXT NOT NULL,
  sha256            TEXT NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('image', 'video', 'text', 'subtitle')),
  size_bytes        INTEGER NOT NULL,
  duration_ms       INTEGER,
  width             INTEGER,
  height            INTEGER,
  linked_source_id  INTEGER REFERENCES sources(id) ON DELETE SET NULL,
  ingested_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (archive_id, uri)
);
CREATE INDEX sources_sha256 ON sources(sha256);

CREATE TABLE records (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  archive_id INTEGER NOT NULL REFERENCES archives(id) ON DELETE CASCADE,
  source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL,            -- position within its source (paragraph, cue, frame)
  kind       TEXT NOT NULL CHECK (kind IN ('image', 'frame', 'text', 'subtitle')),
  uri        TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  ts_ms      INTEGER NOT NULL DEFAULT 0,  -- frames and cues: start time; images and texts: 0
  dur_ms     INTEGER,
  width      INTEGER,
  height     INTEGER,
  title      TEXT NOT NULL DEFAULT '',
  text       TEXT NOT NULL DEFAULT '',
  meta       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- Several records of one file may share a timestamp (paragraphs of a text, cues starting
  -- together), so identity within a file is the ordinal, not ts_ms.
  UNIQUE (source_id, ordinal)
);
CREATE INDEX records_uri_ts ON records(archive_id, uri, ts_ms);
CREATE INDEX records_kind ON records(kind, id);

CREATE TABLE thumbnails (
  record_id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
  jpeg      BLOB NOT NULL
);

CREATE TABLE models (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL,
  dim            INTEGER NOT NULL,
  weights_sha256 TEXT NOT NULL,
  UNIQUE (name, weights_sha256)
);

CREATE TABLE embeddings (
  record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  model_id  INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  vector    BLOB NOT NULL,
  PRIMARY KEY (record_id, model_id)
) WITHOUT ROWID;

-- Key/value state that must move in step with catalog transactions (e.g. vector-store generations).
CREATE TABLE catalog_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Lexical search over titles, texts and metadata; kept in sync by triggers.
CREATE VIRTUAL TABLE records_fts USING fts5(
  title, text, meta, content='records', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
  INSERT INTO records_fts(rowid, title, text, meta) VALUES (new.id, new.title, new.text, new.meta);
END;
CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
  INSERT INTO records_fts(records_fts, rowid, title, text, meta)
  VALUES ('delete', old.id, old.title, old.text, old.meta);
END;
CREATE TRIGGER records_fts_update AFTER UPDATE ON records BEGIN
  INSERT INTO records_fts(records_fts, rowid, title, text, meta)
  VALUES ('delete', old.id, old.title, old.text, old.meta);
  INSERT INTO records_fts(rowid, title, text, meta) VALUES (new.id, new.title, new.text, new.meta);
END;

-- Films and their provenance (filled by synthesis; defined now so the data model is whole).
CREATE TABLE films (
  id         INTEGER PRIMARY KEY,
  title      TEXT NOT NULL DEFAULT '',
  manuscript TEXT NOT NULL DEFAULT '',
  timeline   TEXT CHECK (timeline IS NULL OR json_valid(timeline)),
  params     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  status     TEXT NOT NULL DEFAULT 'planned'
             CHECK (status IN ('planned', 'rendering', 'done', 'failed')),
  progress   REAL NOT NULL DEFAULT 0,
  video_path TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE film_frames (
  film_id INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
  frame   INTEGER NOT NULL,
  shot    INTEGER NOT NULL,
  PRIMARY KEY (film_id, frame)
) WITHOUT ROWID;
CREATE TABLE provenance (
  film_id   INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
  frame     INTEGER NOT NULL,
  record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  role      TEXT NOT NULL CHECK (role IN ('keyframe', 'guidance', 'denoiser', 'init')),
  weight    REAL NOT NULL,
  PRIMARY KEY (film_id, frame, record_id, role)
) WITHOUT ROWID;
CREATE INDEX provenance_record ON provenance(record_id, film_id, frame);
CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  film_id      INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
  state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  progress     REAL NOT NULL DEFAULT 0,
  error        TEXT,
  heartbeat_at TEXT
);

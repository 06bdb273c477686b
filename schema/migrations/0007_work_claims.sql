-- Work claims: two ingests on one catalog share the work instead of both doing all of it. Before
-- an ingest reads a file it claims (archive, path); before it embeds a batch it claims each record
-- for the model. A claim belongs to one process (owner) while its heartbeat is fresh: the owner
-- refreshes heartbeat_at every few seconds while it works and deletes the claim once the work is
-- committed. A claim whose heartbeat is stale belongs to a process that died, and another owner may
-- take it over (the rule of the render jobs' heartbeat, migration 0003). Claims are never needed
-- for consistency (each file and each batch is one transaction); they only keep work from being
-- done twice.
CREATE TABLE file_claims (
  archive_id   INTEGER NOT NULL REFERENCES archives(id) ON DELETE CASCADE,
  uri          TEXT NOT NULL,
  owner        TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  PRIMARY KEY (archive_id, uri)
) WITHOUT ROWID;
CREATE INDEX file_claims_owner ON file_claims(owner);

CREATE TABLE embedding_claims (
  record_id    INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  model_id     INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  owner        TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  PRIMARY KEY (record_id, model_id)
) WITHOUT ROWID;
CREATE INDEX embedding_claims_owner ON embedding_claims(owner);

#pragma once
// Claims on ingest work (migration 0007): two ingests on one catalog share the files and the
// embedding batches instead of both doing all of them. A claim belongs to one process (`owner`,
// from new_work_owner()) while its heartbeat is fresh; the owner refreshes it (touch) while it
// works and releases it once the work is committed; a claim whose heartbeat is older than
// `stale_after_s` belongs to a process that died and may be taken over. Obtained from
// Catalog::claims(). Claims only keep work from being done twice: each file and each batch is one
// transaction whatever happens to its claim.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

class SqliteConnection;

// "host:pid:random": an owner no other process (or other run in this process) shares.
std::string new_work_owner();

class WorkClaims {
 public:
  explicit WorkClaims(SqliteConnection& db);

  // Claims a file (the archive's source `uri`) for `owner`, in one statement: true when it is now
  // the owner's (it was free, already the owner's, or its holder's heartbeat is stale); false when
  // another live owner holds it, whose name goes to `holder`.
  bool claim_file(std::int64_t archive_id, std::string_view uri, std::string_view owner, double stale_after_s,
                  std::string* holder = nullptr);
  void release_file(std::int64_t archive_id, std::string_view uri, std::string_view owner);

  // Of `record_ids`, claims for `owner` every record that still exists, has no vector for the model
  // and is not held by another live owner (one transaction); returns those, in the order given.
  std::vector<std::int64_t> claim_records(std::int64_t model_id, const std::vector<std::int64_t>& record_ids,
                                          std::string_view owner, double stale_after_s);
  // Releases the owner's record claims for the model (in the caller's transaction, if any).
  void release_records(std::int64_t model_id, std::string_view owner);

  // The heartbeat: every claim of `owner` is fresh again. Returns how many it holds.
  int touch(std::string_view owner);
  // Releases everything `owner` holds (the end of a run, or its failure).
  void release_all(std::string_view owner);

  // Releases the claims of owners on this host whose process has ended: a run killed with kill -9
  // leaves its claims behind, and the next run must not wait for them to go stale (it would leave
  // their files to nobody and finish incomplete). Owners on other hosts, and a pid that is in use
  // again, are left to go stale. Returns how many claims were released.
  int release_dead_owners();

 private:
  SqliteConnection& db_;
};

}  // namespace palimpsest

// The work claims' SQL: see work_claims.h and migrations/0007_work_claims.sql.
#include "schema/work_claims.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "schema/sqlite_connection.h"

namespace palimpsest {
namespace {

#define CLAIM_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
// The row being claimed is free to take: already ours, or its holder's heartbeat is stale (?4 s).
#define CLAIM_TAKEOVER(table) \
  table ".owner = excluded.owner OR (julianday('now') - julianday(" table ".heartbeat_at)) * 86400.0 > ?4"

// True when `owner` ("host:pid:random") is a process of this host that no longer exists.
bool is_dead_local_owner(const std::string& owner) {
  const auto first = owner.find(':');
  const auto second = first == std::string::npos ? std::string::npos : owner.find(':', first + 1);
  if (second == std::string::npos) return false;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || owner.compare(0, first, host) != 0) return false;
  const std::string pid_text = owner.substr(first + 1, second - first - 1);
  char* end = nullptr;
  const long pid = std::strtol(pid_text.c_str(), &end, 10);
  if (pid_text.empty() || *end != 0 || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string new_work_owner() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

WorkClaims::WorkClaims(SqliteConnection& db) : db_(db) {}

bool WorkClaims::claim_file(std::int64_t archive_id, std::string_view uri, std::string_view owner,
                            double stale_after_s, std::string* holder) {
  db_.statement("INSERT INTO file_claims(archive_id, uri, owner, heartbeat_at) VALUES (?1, ?2, ?3, " CLAIM_NOW ") "
                "ON CONFLICT(archive_id, uri) DO UPDATE SET owner = excluded.owner, heartbeat_at = excluded.heartbeat_at "
                "WHERE " CLAIM_TAKEOVER("file_claims"))
      .bind(1, archive_id)
      .bind(2, uri)
      .bind(3, owner)
      .bind(4, stale_after_s)
      .run();
  if (db_.changes() > 0) return true;
  if (holder) {
    Statement& s = db_.statement("SELECT owner FROM file_claims WHERE archive_id = ?1 AND uri = ?2");
    s.bind(1, archive_id).bind(2, uri);
    *holder = s.step() ? s.text(0) : std::string();
  }
  return false;
}

void WorkClaims::release_file(std::int64_t archive_id, std::string_view uri, std::string_view owner) {
  db_.statement("DELETE FROM file_claims WHERE archive_id = ?1 AND uri = ?2 AND owner = ?3")
      .bind(1, archive_id)
      .bind(2, uri)
      .bind(3, owner)
      .run();
}

std::vector<std::int64_t> WorkClaims::claim_records(std::int64_t model_id, const std::vector<std::int64_t>& record_ids,
                                                    std::string_view owner, double stale_after_s) {
  std::vector<std::int64_t> claimed;
  db_.transaction([&] {
    for (std::int64_t id : record_ids) {
      db_.statement("INSERT INTO embedding_claims(record_id, model_id, owner, heartbeat_at) "
                    "SELECT ?1, ?2, ?3, " CLAIM_NOW " WHERE EXISTS (SELECT 1 FROM records WHERE id = ?1) "
                    "AND NOT EXISTS (SELECT 1 FROM embeddings WHERE record_id = ?1 AND model_id = ?2) "
                    "ON CONFLICT(record_id, model_id) DO UPDATE SET owner = excluded.owner, "
                    "heartbeat_at = excluded.heartbeat_at WHERE " CLAIM_TAKEOVER("embedding_claims"))
          .bind(1, id)
          .bind(2, model_id)
          .bind(3, owner)
          .bind(4, stale_after_s)
          .run();
      if (db_.changes() > 0) claimed.push_back(id);
    }
  });
  return claimed;
}

void WorkClaims::release_records(std::int64_t model_id, std::string_view owner) {
  db_.statement("DELETE FROM embedding_claims WHERE model_id = ?1 AND owner = ?2").bind(1, model_id).bind(2, owner).run();
}

int WorkClaims::touch(std::string_view owner) {
  int held = 0;
  db_.transaction([&] {
    db_.statement("UPDATE file_claims SET heartbeat_at = " CLAIM_NOW " WHERE owner = ?1").bind(1, owner).run();
    held += db_.changes();
    db_.statement("UPDATE embedding_claims SET heartbeat_at = " CLAIM_NOW " WHERE owner = ?1").bind(1, owner).run();
    held += db_.changes();
  });
  return held;
}

void WorkClaims::release_all(std::string_view owner) {
  db_.transaction([&] {
    db_.statement("DELETE FROM file_claims WHERE owner = ?1").bind(1, owner).run();
    db_.statement("DELETE FROM embedding_claims WHERE owner = ?1").bind(1, owner).run();
  });
}

int WorkClaims::release_dead_owners() {
  std::vector<std::string> owners;
  for (const char* sql : {"SELECT DISTINCT owner FROM file_claims", "SELECT DISTINCT owner FROM embedding_claims"}) {
    Statement& s = db_.statement(sql);
    while (s.step()) owners.push_back(s.text(0));
  }
  int released = 0;
  for (const std::string& owner : owners) {
    if (!is_dead_local_owner(owner)) continue;
    db_.statement("DELETE FROM file_claims WHERE owner = ?1").bind(1, owner).run();
    released += db_.changes();
    db_.statement("DELETE FROM embedding_claims WHERE owner = ?1").bind(1, owner).run();
    released += db_.changes();
  }
  return released;
}

}  // namespace palimpsest

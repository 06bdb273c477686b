#pragma once
// One SQLite connection with its cache of prepared statements. Internal to schema/: the Catalog
// and its stores (film_store, job_queue, embedding_store) share one per catalog.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "schema/sqlite_statement.h"

namespace palimpsest {

class SqliteConnection {
 public:
  // Opens or creates the database (WAL, foreign keys on, 10 s busy timeout). Throws CatalogError.
  explicit SqliteConnection(const std::filesystem::path& path);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // The prepared statement for `sql` (prepared once, then reused), reset and with its bindings
  // cleared. Every other statement of this connection that was left on a row is reset first, so
  // a long-lived connection never holds an old snapshot (and always sees other processes'
  // commits): read what a statement returns before asking for the next one.
  Statement& statement(std::string_view sql);
  // Runs SQL text (several statements allowed); throws CatalogError with SQLite's message.
  void exec(std::string_view sql);
  // BEGIN IMMEDIATE; work; COMMIT (ROLLBACK and rethrow when work throws).
  void transaction(const std::function<void()>& work);

  std::int64_t last_insert_id();
  int changes();  // rows changed by the last statement

 private:
  void reset_open_statements();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  // Keyed by the SQL text (string literals of schema/).
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace palimpsest

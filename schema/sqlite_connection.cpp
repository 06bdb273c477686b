#include "schema/sqlite_connection.h"

namespace palimpsest {

SqliteConnection::SqliteConnection(const std::filesystem::path& path) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = "cannot open catalog " + path.string() + ": " +
                                (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
    throw CatalogError(message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 10000);
  try {
    // journal_mode is the first read of the file: a non-database fails here.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA foreign_keys=ON");
    // WAL + NORMAL: durable against process crashes (kill -9); a power cut may lose the last
    // transactions but never corrupts the file.
    exec("PRAGMA synchronous=NORMAL");
  } catch (const CatalogError& e) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw CatalogError("cannot open catalog " + path.string() + ": " + e.what());
  }
}

SqliteConnection::~SqliteConnection() {
  statements_.clear();
  if (db_) sqlite3_close_v2(db_);
}

void SqliteConnection::reset_open_statements() {
  for (auto& [text, other] : statements_)
    if (other->busy()) other->reset();
}

Statement& SqliteConnection::statement(std::string_view sql) {
  reset_open_statements();
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end())
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  return it->second->reset();
}

void SqliteConnection::exec(std::string_view sql) {
  // As in statement(): a statement left on a row holds an old snapshot, and BEGIN IMMEDIATE on an
  // old snapshot fails at once with "database is locked" when another connection wrote since.
  reset_open_statements();
  const std::string owned(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw CatalogError(message);
  }
}

void SqliteConnection::transaction(const std::function<void()>& work) {
  exec("BEGIN IMMEDIATE");
  try {
    work();
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  exec("COMMIT");
}

std::int64_t SqliteConnection::last_insert_id() { return sqlite3_last_insert_rowid(db_); }

int SqliteConnection::changes() { return sqlite3_changes(db_); }

}  // namespace palimpsest

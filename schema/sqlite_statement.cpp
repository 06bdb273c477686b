#include "schema/sqlite_statement.h"

namespace palimpsest {

CatalogError sqlite_error(sqlite3* db, int rc, std::string_view what, const char* message) {
  std::string text(what);
  if (!text.empty()) text += ": ";
  text += message ? message : db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const bool full = (rc & 0xff) == SQLITE_FULL;
  if (full) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    text += std::string(" (the disk holding the catalog") + (file && *file ? std::string(" ") + file : std::string()) +
            " is full: free some space and run again)";
  }
  return CatalogError(text, full);
}

void check_sqlite(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  throw sqlite_error(db, rc, what);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  check_sqlite(db_, sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                       SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr),
               "prepare");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return *this;
}

bool Statement::busy() const { return sqlite3_stmt_busy(stmt_) != 0; }

Statement& Statement::bind(int index, std::int64_t value) {
  check_sqlite(db_, sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_sqlite(db_, sqlite3_bind_double(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check_sqlite(db_, sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8),
               "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  check_sqlite(db_, sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
               "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_sqlite(db_, sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  CatalogError error = sqlite_error(db_, rc, "step");
  sqlite3_reset(stmt_);
  throw error;
}

void Statement::run() {
  while (step()) {
  }
  reset();  // ready to be bound and run again (loops over rows to insert)
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, column)) : std::string();
}

std::string Statement::blob(int column) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, column)) : std::string();
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

}  // namespace palimpsest

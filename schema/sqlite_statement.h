#pragma once
// A thin RAII layer over sqlite3 prepared statements. Internal to schema/: only the catalog and
// its stores write SQL; other stages use their typed methods.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schema/catalog_error.h"

namespace palimpsest {

// Throws CatalogError with sqlite's message when rc is not one of the accepted codes.
void check_sqlite(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Resets the statement and clears its bindings so it can be reused.
  Statement& reset();
  // True between a step() that returned a row and the next reset (an open read).
  bool busy() const;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, static_cast<std::int64_t>(*value)) : bind_null(index);
  }

  // Steps once: true when a row is available, false when done.
  bool step();
  // Steps to completion, then resets (bindings cleared) so the statement can run again; for
  // statements that return no rows.
  void run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace palimpsest

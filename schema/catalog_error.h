#pragma once
// What the catalog throws: the database cannot be opened or read, a statement failed, a schema is
// newer than this build, or a row the caller relies on is gone.

#include <string>

#include "schema/error.h"

namespace palimpsest {

class CatalogError : public Error {
 public:
  explicit CatalogError(const std::string& message, bool disk_full = false)
      : Error(message, error_class::internal), disk_full_(disk_full) {}
  // SQLite could not write because the disk (or quota) holding the catalog is full (SQLITE_FULL):
  // not a problem of what was being written, so work that goes on would only fail the same way.
  bool disk_full() const { return disk_full_; }

 private:
  bool disk_full_ = false;
};

}  // namespace palimpsest

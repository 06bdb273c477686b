#pragma once
// What the catalog throws: the database cannot be opened or read, a statement failed, a schema is
// newer than this build, or a row the caller relies on is gone.

#include <string>

#include "schema/error.h"

namespace palimpsest {

class CatalogError : public Error {
 public:
  explicit CatalogError(const std::string& message) : Error(message, error_class::internal) {}
};

}  // namespace palimpsest

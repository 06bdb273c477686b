#pragma once
// Why a file of the vector store could not be used (internal): missing, truncated, damaged,
// written by another model or version, or refused by FAISS. VectorStore::open() answers it by
// rebuilding from the catalog; it never reaches a caller of the store.

#include <string>

#include "schema/error.h"

namespace palimpsest {

class IndexFileError : public Error {
 public:
  explicit IndexFileError(const std::string& message) : Error(message, error_class::internal) {}
};

}  // namespace palimpsest

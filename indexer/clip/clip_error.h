#pragma once
// Errors raised by the CLIP stack (model folders, weight files, tokenizers, the sentencepiece
// plugin). Every message names the file involved and what is wrong with it.

#include <filesystem>
#include <stdexcept>
#include <string>
#include "schema/error.h"

namespace palimpsest {

class ClipError : public Error {
 public:
  explicit ClipError(const std::string& message, ErrorClass how = error_class::unavailable) : Error(message, how) {}
};

// A model folder, model.json or weight file that cannot be used.
class ClipModelError : public ClipError {
 public:
  using ClipError::ClipError;
  ClipModelError(const std::filesystem::path& file, const std::string& problem)
      : ClipError(file.string() + ": " + problem) {}
};

// A tokenizer file (BPE merges, sentencepiece model) that cannot be used, or a tokenizer failure.
class TokenizerError : public ClipError {
 public:
  using ClipError::ClipError;
  TokenizerError(const std::filesystem::path& file, const std::string& problem)
      : ClipError(file.string() + ": " + problem) {}
};

}  // namespace palimpsest

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

// The first line of an exception's message: libtorch's c10::Error appends a C++ stack trace
// after it, which is never shown to a user.
inline std::string error_first_line(const std::exception& e) {
  std::string msg = e.what();
  if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace palimpsest

#pragma once
// Captures what is written to file descriptor 2 (stderr) while it lives: native libraries print
// there directly, so this is how a test proves they were silenced.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/common/test_support.h"

namespace palimpsest::testing {

// Everything written to fd 2 while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const std::filesystem::path& file) : file_(file) {
    std::fflush(stderr);
    saved_ = dup(2);
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
  }
  std::string finish() {
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
    return read_file(file_);
  }
  ~StderrCapture() {
    if (saved_ >= 0) finish();
  }

 private:
  std::filesystem::path file_;
  int saved_ = -1;
};

}  // namespace palimpsest::testing

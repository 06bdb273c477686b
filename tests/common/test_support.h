#pragma once
// Helpers shared by the test suites.

#include <filesystem>
#include <string>
#include <vector>

namespace palimpsest::testing {

// ../shared/fixtures/<name>. Throws when it is missing, which fails the calling test: tests never
// skip for want of a fixture.
std::filesystem::path fixture_dir(const std::string& name);

// A fresh empty folder, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A model folder (`dir`/model/model.json) over the shared CLIP fixture weights in `clip`
// (OpenAI's tiny ViT-p8 with random weights and the CLIP BPE merges); returns the folder.
std::filesystem::path write_fixture_model(const std::filesystem::path& dir, const std::filesystem::path& clip);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built `palimpsest` binary with arguments (no shell), capturing stdout and stderr.
CommandResult run_palimpsest(const std::vector<std::string>& args);

// Path of the built `palimpsest` binary.
std::string palimpsest_binary();

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

}  // namespace palimpsest::testing

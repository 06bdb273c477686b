#include "tests/common/test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace palimpsest::testing {

std::filesystem::path fixture_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(PALIMPSEST_FIXTURES_DIR) / name;
  // A missing fixture fails the test, in CI and everywhere else: a test that cannot run must not
  // pass. (GoogleTest reports the exception as the test's failure.)
  if (!std::filesystem::is_directory(dir))
    throw std::runtime_error("fixtures missing: " + dir.string() + " (the shared fixtures belong at ../shared/fixtures)");
  return dir;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("palimpsest-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string palimpsest_binary() { return PALIMPSEST_BINARY; }

namespace {
std::string slurp_fd(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}
}  // namespace

CommandResult run_palimpsest(const std::vector<std::string>& args) {
  // stdout and stderr go to temporary files so a chatty child cannot deadlock on a full pipe.
  char out_name[] = "/tmp/palimpsest-out-XXXXXX";
  char err_name[] = "/tmp/palimpsest-err-XXXXXX";
  int out_fd = mkstemp(out_name);
  int err_fd = mkstemp(err_name);
  unlink(out_name);
  unlink(err_name);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string binary = palimpsest_binary();
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  lseek(out_fd, 0, SEEK_SET);
  lseek(err_fd, 0, SEEK_SET);
  result.out = slurp_fd(out_fd);
  result.err = slurp_fd(err_fd);
  close(out_fd);
  close(err_fd);
  return result;
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::filesystem::path write_fixture_model(const std::filesystem::path& dir, const std::filesystem::path& clip) {
  const std::filesystem::path model = dir / "model";
  const nlohmann::json j = {
      {"name", "fixture-tiny"},
      {"weights", (clip / "tiny_vit_p8.safetensors").string()},
      {"tokenizer", {{"kind", "clip_bpe"}, {"file", (clip / "bpe_simple_vocab_16e6.txt.gz").string()}}},
      {"image_size", 32},
      {"context_length", 77},
      {"vision_heads", 1},
      {"text_heads", 2}};
  write_file(model / "model.json", j.dump());
  return model;
}

}  // namespace palimpsest::testing

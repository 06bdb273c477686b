#include "indexer/runtime/runtime_info.h"

#include <sqlite3.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <faiss/Index.h>

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <filesystem>
#include <thread>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace palimpsest {
namespace {
std::string av_version(unsigned v) {
  return std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string(v & 0xff);
}

int find_blas(struct dl_phdr_info* info, size_t, void* data) {
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name.find("libblas.so") == std::string::npos && name.find("libopenblas") == std::string::npos)
    return 0;
  std::error_code ec;
  const auto real = std::filesystem::canonical(name, ec);
  *static_cast<std::string*>(data) = ec ? name : real.string();
  return 1;
}
}  // namespace

std::string blas_library() {
  // The BLAS is loaded as a dependency of libtorch and libfaiss; its resolved path names the
  // Debian alternative (/usr/lib/<arch>/openblas-pthread/libblas.so.3, .../blas/libblas.so.3).
  std::string path;
  dl_iterate_phdr(find_blas, &path);
  if (path.find("openblas-pthread") != std::string::npos) return "openblas-pthread";
  if (path.find("openblas-openmp") != std::string::npos) return "openblas-openmp";
  if (path.find("openblas") != std::string::npos) return "openblas";
  if (path.find("/blas/") != std::string::npos) return "reference";
  return path.empty() ? "unknown" : std::filesystem::path(path).filename().string();
}

bool set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set) return false;
  set(threads);
  return true;
}

int blas_threads() {
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : 0;
}

bool blas_is_reference() { return blas_library() == "reference"; }

// libtorch's OpenMP thread count is per calling thread (OpenMP's nthreads ICV), and a thread
// that never set it copies the last value any thread set, at its first parallel region. So each
// thread that runs libtorch work says what it wants, once.
void configure_torch_threads() {
  thread_local bool configured = false;
  if (!configured) {
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    configured = true;
  }
}

void use_one_torch_thread_here() {
  thread_local bool done = false;
  if (!done) {
    torch::set_num_threads(1);
    done = true;
  }
}

std::string runtime_versions() {
  configure_torch_threads();
  return "libtorch " + std::string(TORCH_VERSION) + " (" + std::to_string(torch::get_num_threads()) +
         " threads), faiss " + std::to_string(FAISS_VERSION_MAJOR) + "." +
         std::to_string(FAISS_VERSION_MINOR) + "." + std::to_string(FAISS_VERSION_PATCH) +
         ", sqlite " + sqlite3_libversion() + ", libavformat " + av_version(avformat_version()) +
         ", libavcodec " + av_version(avcodec_version()) + ", blas " + blas_library();
}

}  // namespace palimpsest

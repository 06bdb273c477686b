#include "indexer/runtime_info.h"

#include <sqlite3.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <faiss/Index.h>

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
}  // namespace

void configure_torch_threads() {
  static const bool configured = [] {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    torch::set_num_threads(static_cast<int>(cores));
    return true;
  }();
  (void)configured;
}

std::string runtime_versions() {
  configure_torch_threads();
  return "libtorch " + std::string(TORCH_VERSION) + " (" + std::to_string(torch::get_num_threads()) +
         " threads), faiss " + std::to_string(FAISS_VERSION_MAJOR) + "." +
         std::to_string(FAISS_VERSION_MINOR) + "." + std::to_string(FAISS_VERSION_PATCH) +
         ", sqlite " + sqlite3_libversion() + ", libavformat " + av_version(avformat_version()) +
         ", libavcodec " + av_version(avcodec_version());
}

}  // namespace palimpsest

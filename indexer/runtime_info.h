#pragma once
// Versions of the native libraries this build runs on (for --version and bug reports).

#include <string>

namespace palimpsest {

// e.g. "libtorch 1.13.0 (4 threads), faiss 1.7.3, sqlite 3.40.1, libavcodec 59.37.100, ..."
std::string runtime_versions();

// Sets libtorch's intra-op thread count to the number of cores (libtorch may default to one).
void configure_torch_threads();

}  // namespace palimpsest

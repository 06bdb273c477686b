#pragma once
// Optional FAISS GPU search (internal).
//
// Compiled in only when the build defines PALIMPSEST_FAISS_GPU=1 (for a FAISS built with CUDA)
// and <faiss/gpu/StandardGpuResources.h> exists. Debian's libfaiss-dev is CPU-only, so on the
// project's machines this is the CPU stub: gpu_search_copy() returns null and every search runs
// on the CPU, which is always there. Only Flat and IVF indexes have GPU versions in FAISS; HNSW
// and filtered searches stay on the CPU.

#include <memory>

namespace faiss {
struct Index;
}

namespace palimpsest {

bool faiss_gpu_compiled();

// A copy of `index` on GPU 0 for unfiltered searches (nprobe applied for IVF), or null when
// GPU support is not compiled in, no device is present, or the index type has no GPU version.
std::unique_ptr<faiss::Index> gpu_search_copy(const faiss::Index& index, int nprobe);

}  // namespace palimpsest

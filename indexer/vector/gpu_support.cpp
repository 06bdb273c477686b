#include "indexer/vector/gpu_support.h"

#include <faiss/Index.h>

#if defined(PALIMPSEST_FAISS_GPU) && PALIMPSEST_FAISS_GPU && \
    __has_include(<faiss/gpu/StandardGpuResources.h>)
#define PALIMPSEST_HAVE_FAISS_GPU 1
#include <faiss/IndexHNSW.h>
#include <faiss/gpu/GpuAutoTune.h>
#include <faiss/gpu/GpuCloner.h>
#include <faiss/gpu/StandardGpuResources.h>
#include <faiss/gpu/utils/DeviceUtils.h>
#endif

namespace palimpsest {

#ifdef PALIMPSEST_HAVE_FAISS_GPU

bool faiss_gpu_compiled() { return true; }

std::unique_ptr<faiss::Index> gpu_search_copy(const faiss::Index& index, int nprobe) {
  if (faiss::gpu::getNumDevices() <= 0) return nullptr;
  if (dynamic_cast<const faiss::IndexHNSW*>(&index)) return nullptr;  // no GPU HNSW in FAISS
  static faiss::gpu::StandardGpuResources resources;  // one per process: streams, scratch memory
  try {
    std::unique_ptr<faiss::Index> gpu(faiss::gpu::index_cpu_to_gpu(&resources, 0, &index));
    if (nprobe > 0) faiss::gpu::GpuParameterSpace().set_index_parameter(gpu.get(), "nprobe", nprobe);
    return gpu;
  } catch (const std::exception&) {
    return nullptr;  // unsupported type or out of GPU memory: the CPU index serves
  }
}

#else

bool faiss_gpu_compiled() { return false; }

std::unique_ptr<faiss::Index> gpu_search_copy(const faiss::Index&, int) { return nullptr; }

#endif

}  // namespace palimpsest

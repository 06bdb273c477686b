#pragma once
// Versions of the native libraries this build runs on (for --version and bug reports).

#include <string>

namespace palimpsest {

// e.g. "libtorch 1.13.0 (4 threads), faiss 1.7.3, sqlite 3.40.1, libavcodec 59.37.100, ..."
std::string runtime_versions();

// The BLAS library that libtorch's and FAISS's matrix products resolved to, by the file the
// dynamic linker loaded for libblas.so.3: "openblas-pthread", "openblas-openmp", "reference"
// (netlib's single-threaded loop, Debian's default libblas3) or "unknown".
std::string blas_library();

// True when matrix products run on netlib's reference BLAS, about 10x slower than OpenBLAS here.
bool blas_is_reference();

// Sets the BLAS library's own thread pool size, process-wide, when the BLAS has one (OpenBLAS:
// openblas_set_num_threads, looked up at run time since libblas.so.3 may be any BLAS). Returns
// false when the loaded BLAS has no such knob. A server that runs many small products side by
// side wants 1: OpenBLAS's idle threads otherwise spin in sched_yield against the request threads.
bool set_blas_threads(int threads);
// The BLAS library's own thread pool size, or 0 when the loaded BLAS has no such knob.
int blas_threads();

// Sets the BLAS library's threads for a scope and puts back what was there. Rendering runs many
// small products from libtorch's own OpenMP threads: OpenBLAS's pool on top of those only spins
// in sched_yield against them (measured on two cores, bench/guidance_bench: the demo film's shots
// 0-2 render 1.2-1.4x faster with guidance 0, 2.8x with clip guidance at every step).
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads) : previous_(blas_threads()) {
    if (previous_ > 0) set_blas_threads(threads);
  }
  ~ScopedBlasThreads() {
    if (previous_ > 0) set_blas_threads(previous_);
  }
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int previous_;
};

// Sets libtorch's intra-op thread count to the number of cores for the calling thread (libtorch
// may default to one); call it on every thread that runs libtorch work.
void configure_torch_threads();

// Sets libtorch's intra-op threads to 1 for the calling thread only (its OpenMP setting): for
// server threads that each run a small model side by side, where splitting one request over
// both cores costs more in hand-offs than it gains.
void use_one_torch_thread_here();

}  // namespace palimpsest

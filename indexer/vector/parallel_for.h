#pragma once
// A minimal fork-join loop on std::thread.
//
// The indexer is not compiled with -fopenmp (only libfaiss is), so our own parallel loops use
// threads directly. The thread count follows OpenMP's setting (omp_get_max_threads()), the same
// knob FAISS obeys, so one omp_set_num_threads() governs both.

#include <cstddef>
#include <functional>

namespace palimpsest {

// Calls body(begin, end) on disjoint chunks covering [0, n), at most `grain` items per chunk,
// on up to omp_get_max_threads() threads (the calling thread is one of them). Runs inline when
// one chunk suffices. The first exception thrown by a chunk is rethrown after all threads end.
void parallel_for(std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t begin, std::size_t end)>& body);

// Sets OpenMP's thread count for the calling thread while in scope (0 or less: leaves it), and
// restores the previous value: the store's search threads must not leak into the caller.
class OmpThreadScope {
 public:
  explicit OmpThreadScope(int threads);
  ~OmpThreadScope();
  OmpThreadScope(const OmpThreadScope&) = delete;
  OmpThreadScope& operator=(const OmpThreadScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace palimpsest

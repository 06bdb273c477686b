#include "indexer/vector/parallel_for.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace palimpsest {

void parallel_for(std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t, std::size_t)>& body) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t chunks = (n + grain - 1) / grain;
  const std::size_t threads =
      std::min<std::size_t>(chunks, static_cast<std::size_t>(std::max(1, omp_get_max_threads())));
  if (threads <= 1) {
    body(0, n);
    return;
  }
  // Chunks are handed out dynamically: k-means and ground-truth blocks take similar time, but
  // another process on the machine may slow one thread down.
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    while (true) {
      const std::size_t c = next.fetch_add(1);
      if (c >= chunks) return;
      try {
        body(c * grain, std::min(n, (c + 1) * grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = chunks;  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

OmpThreadScope::OmpThreadScope(int threads) {
  if (threads <= 0) return;
  previous_ = omp_get_max_threads();
  if (previous_ != threads) omp_set_num_threads(threads);
  else previous_ = 0;
}

OmpThreadScope::~OmpThreadScope() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

}  // namespace palimpsest

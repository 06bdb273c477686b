#include "indexer/speech/parallel_transcriber.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace palimpsest {

ParallelTranscriber::ParallelTranscriber(Factory factory, int threads)
    : factory_(std::move(factory)),
      threads_(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) {
  if (!factory_) throw SpeechError("ParallelTranscriber: no transcriber factory");
  transcribers_.resize(static_cast<std::size_t>(threads_));
}

ParallelTranscriber::~ParallelTranscriber() = default;

std::vector<std::vector<Utterance>> ParallelTranscriber::transcribe(std::span<const SpeechSegment> segments) {
  std::vector<std::vector<Utterance>> results(segments.size());
  if (segments.empty()) return results;
  const std::size_t workers = std::min<std::size_t>(transcribers_.size(), segments.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;

  auto work = [&](std::size_t worker) {
    try {
      std::unique_ptr<Transcriber>& transcriber = transcribers_[worker];
      if (!transcriber) {
        transcriber = factory_();
        if (!transcriber) throw SpeechError("ParallelTranscriber: the factory made no transcriber");
      }
      for (std::size_t i = next++; i < segments.size() && !failed; i = next++)
        results[i] = transcriber->transcribe(segments[i].samples, segments[i].offset_ms);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);  // the calling thread is one of the workers
  for (std::thread& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
  return results;
}

}  // namespace palimpsest

#pragma once
// Transcribes independent segments on several threads, one Transcriber per thread (a decoder is
// not thread-safe). Every segment is a stream of its own (begin, feed, finish), and engines start
// every stream from the same state, so the result is the same as a serial run's, in input order,
// whatever the number of threads. The transcribers are made on first use (in parallel, since
// loading a model takes about a second) and kept for later calls; memory is one model per thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "indexer/speech/transcriber.h"

namespace palimpsest {

struct SpeechSegment {
  std::span<const std::int16_t> samples;  // 16 kHz mono; must outlive the transcribe() call
  std::int64_t offset_ms = 0;
};

class ParallelTranscriber {
 public:
  using Factory = std::function<std::unique_ptr<Transcriber>()>;

  // `threads` <= 0: one per hardware thread.
  ParallelTranscriber(Factory factory, int threads);
  ~ParallelTranscriber();
  ParallelTranscriber(const ParallelTranscriber&) = delete;
  ParallelTranscriber& operator=(const ParallelTranscriber&) = delete;

  // One result per segment, in order. The first exception of any thread (a model that does not
  // load, say) is rethrown here after all threads stopped.
  std::vector<std::vector<Utterance>> transcribe(std::span<const SpeechSegment> segments);

  int threads() const { return threads_; }

 private:
  Factory factory_;
  int threads_;
  std::vector<std::unique_ptr<Transcriber>> transcribers_;
};

}  // namespace palimpsest

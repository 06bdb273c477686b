#pragma once
// A linear libavfilter graph over interleaved double samples — abuffer, then the caller's filter
// chain (e.g. "silencedetect=n=-50dB:d=0.3,ebur128=metadata=1"), then abuffersink — fed frame by
// frame. What the analysis filters measure comes back as each output frame's metadata.
//
// The chain must pass frames through one for one (analysis filters do); the caller chooses the
// frame size (ebur128 reports one momentary value per frame when frames are 100 ms long).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace palimpsest {

using FilterMetadata = std::vector<std::pair<std::string, std::string>>;

class AudioFilterGraph {
 public:
  // Throws std::runtime_error naming the chain when libavfilter rejects it.
  AudioFilterGraph(int sample_rate, int channels, const std::string& chain);
  ~AudioFilterGraph();
  AudioFilterGraph(const AudioFilterGraph&) = delete;
  AudioFilterGraph& operator=(const AudioFilterGraph&) = delete;

  // Sends `frames` frames of interleaved doubles stamped `pts` (in 1/sample_rate units).
  void push(const double* samples, int frames, std::int64_t pts);
  // Signals the end of the stream; frames still inside the graph can then be pulled.
  void close();
  // Metadata of the next output frame (and its length); false when no frame is ready.
  bool pull(FilterMetadata& metadata, int& frames);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The value of `key` in `metadata`, or nullptr.
const std::string* find_metadata(const FilterMetadata& metadata, const std::string& key);

}  // namespace palimpsest

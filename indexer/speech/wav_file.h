#pragma once
// RIFF/WAVE files of 16-bit PCM, read and written: the subset that espeak-ng writes and
// pocketsphinx's test data holds, for tests and benchmarks. Chunks other than "fmt " and "data"
// are skipped; any other encoding (float, 24-bit, compressed) is refused with one line naming the
// file and what it holds. Real archives' audio goes through libav, not through this.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace palimpsest {

struct PcmAudio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<std::int16_t> samples;  // interleaved

  std::int64_t frames() const { return channels > 0 ? static_cast<std::int64_t>(samples.size()) / channels : 0; }
  double seconds() const { return sample_rate > 0 ? static_cast<double>(frames()) / sample_rate : 0.0; }
};

// Throws SpeechError naming the file.
PcmAudio read_wav(const std::filesystem::path& path);
// A canonical 44-byte-header WAV. Throws SpeechError naming the file.
void write_wav(const std::filesystem::path& path, const PcmAudio& audio);

}  // namespace palimpsest

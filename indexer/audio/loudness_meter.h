#pragma once
// EBU R128 / ITU-R BS.1770-4 measurement of a whole stream with libavfilter's `ebur128`:
// integrated loudness (gated), true peak (4x oversampled) and sample peak.
//
// Rules: samples are fed in any block sizes and measured in 100 ms frames; a mono stream is
// measured as dual mono when asked (a mono soundtrack played on two speakers). ebur128 prints
// peaks with three decimals, so the sample peak is computed here exactly and the true peak
// reported is the larger of the filter's and the exact sample peak (never below it). The filter's
// 4x oversampling reads high near Nyquist (+0.6 dB for a sine at a quarter of the rate): a
// conservative ceiling.

#include <cstdint>
#include <limits>
#include <memory>

namespace palimpsest {

struct LoudnessReading {
  double integrated_lufs = -std::numeric_limits<double>::infinity();  // -inf: nothing above the gate
  double true_peak_dbtp = -std::numeric_limits<double>::infinity();
  double sample_peak_dbfs = -std::numeric_limits<double>::infinity();
  std::int64_t frames = 0;
};

class LoudnessMeter {
 public:
  // Throws std::invalid_argument for a rate that is not a multiple of 10 Hz.
  LoudnessMeter(int sample_rate, int channels, bool true_peak = true, bool dual_mono = false);
  ~LoudnessMeter();
  LoudnessMeter(const LoudnessMeter&) = delete;
  LoudnessMeter& operator=(const LoudnessMeter&) = delete;

  void add(const float* interleaved, std::int64_t frames);
  void add(const double* interleaved, std::int64_t frames);
  // Ends the stream and returns the reading (idempotent).
  LoudnessReading finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest

#pragma once
// Reduced-precision CPU inference for ClipEncoder: the precisions, which ones this machine runs
// natively, and "auto", the fastest precision that stays accurate, measured per model and machine.
//
// - fp32: the reference.
// - bf16: the towers' weights and activations in bfloat16 (oneDNN's AVX512-BF16 / AMX kernels
//   behind libtorch's matmul); LayerNorm and the attention softmax run in float32. Needs the CPU
//   flag avx512_bf16 or amx_bf16: without it libtorch emulates bf16, slower than fp32.
// - int8: the linear layers (attention projections, MLPs; about all of the work) dynamically
//   quantized with oneDNN: weights int8 per output channel, activations quantized per call.
//   Needs libtorch's ONEDNN quantized engine and avx512_vnni / avx_vnni / amx_int8.
// - auto: measure_auto_precision() runs a fixed probe set (texts and synthetic images) at every
//   supported precision; a precision qualifies when the cosine of each of its embeddings to the
//   fp32 one is >= kAutoMinCosine; the fastest qualifying one (images + texts time) wins (fp32
//   unless another is at least 5% faster). The result is stored in model.json ("precision_auto") with the machine's
//   cpu_signature(); a machine with another signature measures again.
//
// $PALIMPSEST_UNSUPPORTED_PRECISIONS="bf16,int8" declares precisions unsupported (tests, and to
// rule one out on a machine where it misbehaves). No torch in this header.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace palimpsest {

enum class Precision { fp32, bf16, int8 };

inline constexpr double kAutoMinCosine = 0.99;

std::string to_string(Precision precision);
// "fp32" | "bf16" | "int8"; nullopt otherwise.
std::optional<Precision> parse_precision(std::string_view name);

struct PrecisionSupport {
  bool bf16 = false;
  bool int8 = false;
  std::string bf16_problem;  // why not, when unsupported
  std::string int8_problem;
  bool supports(Precision p) const;
  std::string problem(Precision p) const;
};

// From /proc/cpuinfo's flags, libtorch's build (oneDNN, quantized engines) and
// $PALIMPSEST_UNSUPPORTED_PRECISIONS.
PrecisionSupport precision_support();

// What "auto" was measured on: CPU model name, the flags that matter, libtorch version, e.g.
// "AMD EPYC | avx512_bf16 avx512_vnni avx512f | libtorch 1.13.0".
std::string cpu_signature();

struct PrecisionMeasurement {
  Precision precision = Precision::fp32;
  bool supported = true;
  std::string problem;          // unsupported: why
  double images_per_s = 0;
  double texts_per_s = 0;
  double min_cosine = 1;        // worst cosine to fp32 over the probe embeddings
  bool qualifies = false;       // supported and min_cosine >= kAutoMinCosine
};

struct AutoPrecision {
  std::string cpu;              // cpu_signature() it was measured on
  Precision chosen = Precision::fp32;
  std::vector<PrecisionMeasurement> measured;  // fp32 first
  nlohmann::json to_json() const;
  static std::optional<AutoPrecision> from_json(const nlohmann::json& j);
};

// Measures every precision on the model folder's model with a fixed probe set of `probes` texts
// and `probes` synthetic images: all supported precisions are loaded together (memory: about
// 2.5x the float32 model) and timed in 3 interleaved rounds, each keeping its fastest.
// `support` says which precisions may run.
AutoPrecision measure_auto_precision(const std::filesystem::path& model_dir,
                                     const PrecisionSupport& support, int probes = 16);

// Sets `key` in the folder's model.json to `value` (written to a temporary file, then renamed).
// Throws ClipModelError naming the file when it cannot be read or written.
void update_model_json(const std::filesystem::path& model_dir, const std::string& key,
                       const nlohmann::json& value);

}  // namespace palimpsest

#pragma once
// A small safetensors reader and writer (no torch): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the tensor bytes.
// F32, F16 and BF16 (and F64) tensors read as float32.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace palimpsest {

struct SafetensorsEntry {
  std::string dtype;                   // "F32", "F16", "BF16", ...
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;    // byte offsets in the data section
  std::int64_t numel() const;
};

class SafetensorsReader {
 public:
  // Opens the file and validates the header: JSON object, known dtypes, shapes, offsets inside
  // the file and sized for their dtype and shape. Throws ClipModelError naming the file.
  explicit SafetensorsReader(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;  // throws when absent

  // Reads a tensor converted to float32 into `out` (numel() floats). Throws ClipModelError for
  // an unknown name, a dtype that is not a float type, or a read failure. Thread-safe.
  void read_f32(const std::string& name, float* out) const;
  std::vector<float> read_f32(const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
  mutable std::ifstream in_;
  mutable std::mutex mutex_;
};

struct SafetensorsTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // row-major, shape's product entries
};

// Writes float32 tensors (sorted by name, 8-byte aligned header). Throws ClipModelError when a
// tensor's data does not match its shape or the file cannot be written.
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<SafetensorsTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// A tensor to be written by the streaming writer: stored as `dtype` ("F32", "F16" or "BF16";
// float values are rounded to nearest even).
struct SafetensorsTensorSpec {
  std::string name;
  std::string dtype = "F32";
  std::vector<std::int64_t> shape;
  std::int64_t numel() const;
};

// The streaming writer (bounded memory: one tensor at a time): writes the header, then calls
// `fill(spec, values)` for each tensor in name order; `values` must then hold numel() floats.
// Throws ClipModelError for duplicate or invalid names, an unknown dtype, a wrong value count,
// or a write failure.
void save_safetensors(
    const std::filesystem::path& path, const std::vector<SafetensorsTensorSpec>& specs,
    const std::function<void(const SafetensorsTensorSpec&, std::vector<float>&)>& fill,
    const std::map<std::string, std::string>& metadata = {});

// IEEE half / bfloat16 bits <-> float (float -> bits rounds to nearest even; NaN stays NaN).
float half_to_float(std::uint16_t bits);
float bfloat16_to_float(std::uint16_t bits);
std::uint16_t float_to_half(float value);
std::uint16_t float_to_bfloat16(float value);

}  // namespace palimpsest

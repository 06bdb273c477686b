#include "indexer/clip/safetensors.h"

#include <bit>
#include <cstring>
#include <limits>
#include <system_error>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_error.h"

namespace palimpsest {
namespace fs = std::filesystem;
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts need byte swapping");

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

int dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2") {
    return 1;
  }
  return 0;
}

std::uint64_t read_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::int64_t SafetensorsEntry::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1F;
  std::uint32_t mantissa = h & 0x3FF;
  std::uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3FF;
      bits = sign | (exponent << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf / nan
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

SafetensorsReader::SafetensorsReader(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ClipModelError(path, "safetensors file not found");
  if (!fs::is_regular_file(path, ec)) throw ClipModelError(path, "not a regular file");
  const std::uint64_t file_size = fs::file_size(path, ec);
  if (ec) throw ClipModelError(path, "cannot read the file size: " + ec.message());
  in_.open(path, std::ios::binary);
  if (!in_) throw ClipModelError(path, "cannot open the safetensors file");
  if (file_size < 8) {
    throw ClipModelError(path, "truncated safetensors file: " + std::to_string(file_size) +
                                   " bytes, too short for the 8-byte header length");
  }
  unsigned char len_bytes[8];
  in_.read(reinterpret_cast<char*>(len_bytes), 8);
  const std::uint64_t header_len = read_le64(len_bytes);
  if (header_len == 0 || header_len > kMaxHeaderBytes) {
    throw ClipModelError(path, "not a safetensors file: implausible header length " +
                                   std::to_string(header_len));
  }
  if (header_len > file_size - 8) {
    throw ClipModelError(path, "truncated safetensors file: the header needs " +
                                   std::to_string(header_len) + " bytes but only " +
                                   std::to_string(file_size - 8) + " follow");
  }
  std::string header(header_len, '\0');
  in_.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in_) throw ClipModelError(path, "cannot read the safetensors header");
  data_start_ = 8 + header_len;
  const std::uint64_t data_size = file_size - data_start_;

  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw ClipModelError(path, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!json.is_object()) throw ClipModelError(path, "safetensors header is not a JSON object");

  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw ClipModelError(path, "__metadata__ is not a JSON object");
      for (const auto& [k, v] : value.items()) {
        metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
      continue;
    }
    auto bad = [&, &name = name](const std::string& why) {  // (clang before 16 cannot capture a binding)
      return ClipModelError(path, "tensor '" + name + "': " + why);
    };
    if (!value.is_object()) throw bad("header entry is not a JSON object");
    if (!value.contains("dtype") || !value["dtype"].is_string()) throw bad("missing dtype");
    if (!value.contains("shape") || !value["shape"].is_array()) throw bad("missing shape");
    if (!value.contains("data_offsets") || !value["data_offsets"].is_array() ||
        value["data_offsets"].size() != 2) {
      throw bad("missing data_offsets [begin, end]");
    }
    SafetensorsEntry entry;
    entry.dtype = value["dtype"].get<std::string>();
    const int elem = dtype_size(entry.dtype);
    if (elem == 0) throw bad("unknown dtype " + entry.dtype);
    std::uint64_t numel = 1;
    for (const auto& d : value["shape"]) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
        throw bad("shape " + value["shape"].dump() + " is not a list of sizes");
      }
      const auto dim = d.get<std::uint64_t>();
      if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / 8 / dim) {
        throw bad("shape " + value["shape"].dump() + " is too large");
      }
      numel *= dim;
      entry.shape.push_back(static_cast<std::int64_t>(dim));
    }
    for (const auto& o : value["data_offsets"]) {
      if (!o.is_number_integer() || o.get<std::int64_t>() < 0) {
        throw bad("data_offsets " + value["data_offsets"].dump() + " are not byte offsets");
      }
    }
    entry.begin = value["data_offsets"][0].get<std::uint64_t>();
    entry.end = value["data_offsets"][1].get<std::uint64_t>();
    if (entry.begin > entry.end) {
      throw bad("data_offsets " + value["data_offsets"].dump() + " are reversed");
    }
    if (entry.end > data_size) {
      throw ClipModelError(path, "truncated safetensors file: tensor '" + name +
                                     "' ends at data byte " + std::to_string(entry.end) +
                                     " but the file has only " + std::to_string(data_size) +
                                     " data bytes");
    }
    if (entry.end - entry.begin != numel * static_cast<std::uint64_t>(elem)) {
      throw bad("holds " + std::to_string(entry.end - entry.begin) + " bytes but " +
                entry.dtype + " " + value["shape"].dump() + " needs " +
                std::to_string(numel * static_cast<std::uint64_t>(elem)));
    }
    entries_.emplace(name, std::move(entry));
  }
}

const SafetensorsEntry& SafetensorsReader::entry(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw ClipModelError(path_, "no tensor named '" + name + "'");
  return it->second;
}

void SafetensorsReader::read_f32(const std::string& name, float* out) const {
  const SafetensorsEntry& e = entry(name);
  const std::uint64_t n = static_cast<std::uint64_t>(e.numel());
  std::lock_guard lock(mutex_);
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(data_start_ + e.begin));
  auto check = [&] {
    if (!in_) throw ClipModelError(path_, "cannot read tensor '" + name + "' (file truncated?)");
  };
  if (e.dtype == "F32") {
    in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * 4));
    check();
    return;
  }
  const int elem = dtype_size(e.dtype);
  if (e.dtype != "F16" && e.dtype != "BF16" && e.dtype != "F64") {
    throw ClipModelError(path_, "tensor '" + name + "' has dtype " + e.dtype +
                                    ", not a floating-point type (F32, F16, BF16, F64)");
  }
  constexpr std::uint64_t kChunk = 1 << 16;
  std::vector<unsigned char> buffer(kChunk * static_cast<std::uint64_t>(elem));
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t count = std::min(kChunk, n - done);
    in_.read(reinterpret_cast<char*>(buffer.data()),
             static_cast<std::streamsize>(count * static_cast<std::uint64_t>(elem)));
    check();
    for (std::uint64_t i = 0; i < count; ++i) {
      if (e.dtype == "F64") {
        double d;
        std::memcpy(&d, buffer.data() + i * 8, 8);
        out[done + i] = static_cast<float>(d);
      } else {
        std::uint16_t bits;
        std::memcpy(&bits, buffer.data() + i * 2, 2);
        out[done + i] = e.dtype == "F16" ? half_to_float(bits) : bfloat16_to_float(bits);
      }
    }
    done += count;
  }
}

std::vector<float> SafetensorsReader::read_f32(const std::string& name) const {
  std::vector<float> out(static_cast<std::size_t>(entry(name).numel()));
  read_f32(name, out.data());
  return out;
}

std::uint16_t float_to_bfloat16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0) {
    return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN
  }
  const std::uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

std::uint16_t float_to_half(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {  // inf / nan
    return static_cast<std::uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x0200u : 0u));
  }
  if (abs >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds to inf
  if (abs < 0x38800000u) {  // subnormal half (or zero): shift the mantissa with its hidden bit
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal
    const std::uint32_t exponent = abs >> 23;
    const std::uint32_t mantissa = (abs & 0x7FFFFFu) | 0x800000u;
    const std::uint32_t shift = 126 - exponent;  // 14 + (113 - exponent) - 1
    std::uint32_t half = mantissa >> (shift);
    const std::uint32_t rest = mantissa & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  // Normal: rebias the exponent, round the mantissa to 10 bits (nearest even).
  std::uint32_t half = ((abs >> 13) - ((127 - 15) << 10));
  const std::uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

std::int64_t SafetensorsTensorSpec::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void save_safetensors(
    const fs::path& path, const std::vector<SafetensorsTensorSpec>& specs,
    const std::function<void(const SafetensorsTensorSpec&, std::vector<float>&)>& fill,
    const std::map<std::string, std::string>& metadata) {
  std::map<std::string, const SafetensorsTensorSpec*> sorted;
  for (const auto& t : specs) {
    if (t.name.empty() || t.name == "__metadata__") {
      throw ClipModelError(path, "invalid tensor name '" + t.name + "'");
    }
    if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16") {
      throw ClipModelError(path, "tensor '" + t.name + "': cannot write dtype " + t.dtype);
    }
    for (auto d : t.shape) {
      if (d < 0) throw ClipModelError(path, "tensor '" + t.name + "' has a negative size");
    }
    if (!sorted.emplace(t.name, &t).second) {
      throw ClipModelError(path, "duplicate tensor name '" + t.name + "'");
    }
  }
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : sorted) {
    const std::uint64_t bytes = static_cast<std::uint64_t>(t->numel()) * dtype_size(t->dtype);
    header[name] = {{"dtype", t->dtype}, {"shape", t->shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ClipModelError(path, "cannot create the safetensors file");
  unsigned char len[8];
  std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xFF);
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<float> values;
  std::vector<std::uint16_t> narrow;
  for (const auto& [name, t] : sorted) {
    values.clear();
    fill(*t, values);
    if (static_cast<std::int64_t>(values.size()) != t->numel()) {
      throw ClipModelError(path, "tensor '" + name + "' has " + std::to_string(values.size()) +
                                     " values for a shape of " + std::to_string(t->numel()));
    }
    if (t->dtype == "F32") {
      out.write(reinterpret_cast<const char*>(values.data()),
                static_cast<std::streamsize>(values.size() * sizeof(float)));
    } else {
      narrow.resize(values.size());
      const bool half = t->dtype == "F16";
      for (std::size_t i = 0; i < values.size(); ++i) {
        narrow[i] = half ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
      }
      out.write(reinterpret_cast<const char*>(narrow.data()),
                static_cast<std::streamsize>(narrow.size() * sizeof(std::uint16_t)));
    }
    if (!out) break;
  }
  out.close();
  if (!out) throw ClipModelError(path, "cannot write the safetensors file (disk full?)");
}

void save_safetensors(const fs::path& path, const std::vector<SafetensorsTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<SafetensorsTensorSpec> specs;
  std::map<std::string, const SafetensorsTensor*> by_name;
  for (const auto& t : tensors) {
    std::int64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    if (numel >= 0 && static_cast<std::size_t>(numel) != t.data.size()) {
      throw ClipModelError(path, "tensor '" + t.name + "' has " + std::to_string(t.data.size()) +
                                     " values for a shape of " + std::to_string(numel));
    }
    specs.push_back({t.name, "F32", t.shape});
    by_name[t.name] = &t;
  }
  save_safetensors(
      path, specs,
      [&](const SafetensorsTensorSpec& spec, std::vector<float>& values) {
        values = by_name.at(spec.name)->data;
      },
      metadata);
}

}  // namespace palimpsest

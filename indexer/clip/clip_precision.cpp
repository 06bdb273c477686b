#include "indexer/clip/clip_precision.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_error.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

std::set<std::string> cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    std::string flag;
    while (words >> flag) flags.insert(flag);
    break;  // every core lists the same flags
  }
  return flags;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) break;
    std::string name = line.substr(colon + 1);
    name.erase(0, name.find_first_not_of(" \t"));
    return name;
  }
  return "unknown CPU";
}

std::set<std::string> declared_unsupported() {
  std::set<std::string> out;
  if (const char* env = std::getenv("PALIMPSEST_UNSUPPORTED_PRECISIONS"); env && *env) {
    std::string item;
    std::istringstream list(env);
    while (std::getline(list, item, ',')) {
      item.erase(0, item.find_first_not_of(" "));
      item.erase(item.find_last_not_of(" ") + 1);
      if (!item.empty()) out.insert(item);
    }
  }
  return out;
}

const char* const kRelevantFlags[] = {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile",
                                      "amx_int8", "avx512_vnni", "avx_vnni", "avx2"};

// A fixed probe set: captions of varied length (the text tower cuts padding after the batch's
// longest text, so a long one keeps the timing honest) and synthetic pictures (gradients,
// shapes, grain) that give non-degenerate image embeddings.
std::vector<std::string> probe_texts(int n) {
  static const char* const kTexts[] = {
      "a photograph of a harbour at dusk with fishing boats",
      "two red circles over the sea",
      "a handwritten letter on yellowed paper, the ink faded at the edges, a signature at the "
      "bottom and a stamp in the corner, folded twice and kept in an envelope for fifty years",
      "night",
      "a crowd of people crossing a city street in the rain",
      "a close-up of a cat sleeping on a windowsill in the sun",
      "an aerial view of fields, a river and a small village with a church tower",
      "black and white film still: a woman at a train station waving goodbye"};
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.emplace_back(kTexts[i % 8]);
  return out;
}

std::vector<RgbImage> probe_images(int n) {
  std::vector<RgbImage> out;
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < n; ++i) {
    RgbImage image(256, 192);
    const int c0[3] = {static_cast<int>(next() % 256), static_cast<int>(next() % 256),
                       static_cast<int>(next() % 256)};
    const int c1[3] = {static_cast<int>(next() % 256), static_cast<int>(next() % 256),
                       static_cast<int>(next() % 256)};
    struct Disc { int x, y, r; std::uint8_t rgb[3]; };
    std::vector<Disc> discs;
    for (int k = 0; k < 1 + i % 4; ++k) {
      discs.push_back({static_cast<int>(next() % 256), static_cast<int>(next() % 192),
                       12 + static_cast<int>(next() % 50),
                       {static_cast<std::uint8_t>(next()), static_cast<std::uint8_t>(next()),
                        static_cast<std::uint8_t>(next())}});
    }
    for (int y = 0; y < image.height; ++y) {
      std::uint8_t* row = image.row(y);
      for (int x = 0; x < image.width; ++x) {
        const double t = (x + y) / static_cast<double>(image.width + image.height);
        int rgb[3];
        for (int c = 0; c < 3; ++c) rgb[c] = static_cast<int>(c0[c] * (1 - t) + c1[c] * t);
        for (const Disc& d : discs) {
          if ((x - d.x) * (x - d.x) + (y - d.y) * (y - d.y) <= d.r * d.r) {
            for (int c = 0; c < 3; ++c) rgb[c] = d.rgb[c];
          }
        }
        const int grain = static_cast<int>(next() % 17) - 8;
        for (int c = 0; c < 3; ++c) row[3 * x + c] = static_cast<std::uint8_t>(std::clamp(rgb[c] + grain, 0, 255));
      }
    }
    out.push_back(std::move(image));
  }
  return out;
}

double min_cosine(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 1.0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      dot += static_cast<double>(a[i][k]) * b[i][k];
      na += static_cast<double>(a[i][k]) * a[i][k];
      nb += static_cast<double>(b[i][k]) * b[i][k];
    }
    const double cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : 0.0;
    worst = std::min(worst, std::isfinite(cosine) ? cosine : -1.0);
  }
  return worst;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string to_string(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::int8: return "int8";
  }
  return "fp32";
}

std::optional<Precision> parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "int8") return Precision::int8;
  return std::nullopt;
}

bool PrecisionSupport::supports(Precision p) const {
  return p == Precision::fp32 || (p == Precision::bf16 && bf16) || (p == Precision::int8 && int8);
}

std::string PrecisionSupport::problem(Precision p) const {
  if (p == Precision::bf16) return bf16_problem;
  if (p == Precision::int8) return int8_problem;
  return "";
}

PrecisionSupport precision_support() {
  PrecisionSupport s;
  const auto flags = cpu_flags();
  const auto declared = declared_unsupported();
  if (declared.count("bf16")) {
    s.bf16_problem = "declared unsupported by $PALIMPSEST_UNSUPPORTED_PRECISIONS";
  } else if (!at::hasMKLDNN()) {
    s.bf16_problem = "this libtorch is built without oneDNN";
  } else if (!flags.count("avx512_bf16") && !flags.count("amx_bf16")) {
    s.bf16_problem = "the CPU has neither avx512_bf16 nor amx_bf16, so bf16 would be emulated";
  } else {
    s.bf16 = true;
  }
  bool onednn = false;
  for (auto engine : at::globalContext().supportedQEngines()) onednn |= engine == at::QEngine::ONEDNN;
  if (declared.count("int8")) {
    s.int8_problem = "declared unsupported by $PALIMPSEST_UNSUPPORTED_PRECISIONS";
  } else if (!onednn) {
    s.int8_problem = "this libtorch has no oneDNN quantized engine";
  } else if (!flags.count("avx512_vnni") && !flags.count("avx_vnni") && !flags.count("amx_int8")) {
    s.int8_problem = "the CPU has no VNNI / AMX int8 instructions";
  } else {
    s.int8 = true;
  }
  return s;
}

std::string cpu_signature() {
  const auto flags = cpu_flags();
  std::string sig = cpu_model_name() + " |";
  for (const char* flag : kRelevantFlags) {
    if (flags.count(flag)) sig += std::string(" ") + flag;
  }
  return sig + " | libtorch " + TORCH_VERSION;
}

nlohmann::json AutoPrecision::to_json() const {
  nlohmann::json measured_json = nlohmann::json::array();
  for (const auto& m : measured) {
    nlohmann::json j = {{"precision", to_string(m.precision)}, {"supported", m.supported}};
    if (!m.supported) {
      j["problem"] = m.problem;
    } else {
      j["images_per_s"] = m.images_per_s;
      j["texts_per_s"] = m.texts_per_s;
      j["min_cosine_to_fp32"] = m.min_cosine;
      j["qualifies"] = m.qualifies;
    }
    measured_json.push_back(j);
  }
  return {{"cpu", cpu},
          {"chosen", to_string(chosen)},
          {"min_cosine", kAutoMinCosine},
          {"measured", measured_json}};
}

std::optional<AutoPrecision> AutoPrecision::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("cpu") || !j["cpu"].is_string() || !j.contains("chosen") ||
      !j["chosen"].is_string()) {
    return std::nullopt;
  }
  const auto chosen = parse_precision(j["chosen"].get<std::string>());
  if (!chosen) return std::nullopt;
  AutoPrecision a;
  a.cpu = j["cpu"].get<std::string>();
  a.chosen = *chosen;
  if (j.contains("measured") && j["measured"].is_array()) {
    for (const auto& item : j["measured"]) {
      if (!item.is_object()) continue;
      const auto p = parse_precision(item.value("precision", ""));
      if (!p) continue;
      PrecisionMeasurement m;
      m.precision = *p;
      m.supported = item.value("supported", false);
      m.problem = item.value("problem", "");
      m.images_per_s = item.value("images_per_s", 0.0);
      m.texts_per_s = item.value("texts_per_s", 0.0);
      m.min_cosine = item.value("min_cosine_to_fp32", 0.0);
      m.qualifies = item.value("qualifies", false);
      a.measured.push_back(m);
    }
  }
  return a;
}

AutoPrecision measure_auto_precision(const fs::path& model_dir, const PrecisionSupport& support,
                                     int probes) {
  AutoPrecision result;
  result.cpu = cpu_signature();
  const auto texts = probe_texts(std::max(2, probes));
  const auto images = probe_images(std::max(2, probes));
  // Every supported precision is loaded at once and the rounds interleave them, each keeping its
  // fastest round: a busy machine slows them alike instead of whichever ran at a bad moment.
  struct Candidate {
    PrecisionMeasurement m;
    std::unique_ptr<ClipEncoder> encoder;
    double image_s = 1e300, text_s = 1e300;
    std::vector<std::vector<float>> image_rows, text_rows;
  };
  std::vector<Candidate> candidates;
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::int8}) {
    Candidate c;
    c.m.precision = p;
    if (!support.supports(p)) {
      c.m.supported = false;
      c.m.problem = support.problem(p);
    } else {
      ClipLoadOptions options;
      options.precision = to_string(p);
      c.encoder = ClipEncoder::load(model_dir, options);
      if (c.encoder->info().precision != to_string(p)) {  // fell back (e.g. quantization failed)
        c.m.supported = false;
        c.m.problem = c.encoder->info().notes.empty() ? "fell back to " + c.encoder->info().precision
                                                      : c.encoder->info().notes.front();
        c.encoder.reset();
      } else {
        c.encoder->set_batch_size(static_cast<int>(images.size()));
        c.encoder->encode_texts({texts[0]});  // first-call set-up (oneDNN primitives, allocations)
        c.encoder->encode_images({images[0]});
      }
    }
    candidates.push_back(std::move(c));
  }
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    for (Candidate& c : candidates) {
      if (!c.encoder) continue;
      // The previous candidate's idle threads keep spinning for a while after its last call
      // (OpenBLAS's pool about 0.1 s, behind fp32; libgomp's behind bf16 / int8) and would take
      // the cores from this one: measured, bf16 timed right after fp32 ran at a fifth of its
      // speed. A pause lets them sleep first.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto start = std::chrono::steady_clock::now();
      c.image_rows = c.encoder->encode_images(images);
      c.image_s = std::min(c.image_s, seconds_since(start));
      start = std::chrono::steady_clock::now();
      c.text_rows = c.encoder->encode_texts(texts);
      c.text_s = std::min(c.text_s, seconds_since(start));
    }
  }
  const Candidate& reference = candidates.front();  // fp32, always supported
  double best_seconds = reference.image_s + reference.text_s;
  for (Candidate& c : candidates) {
    if (c.encoder) {
      c.m.images_per_s = images.size() / std::max(c.image_s, 1e-9);
      c.m.texts_per_s = texts.size() / std::max(c.text_s, 1e-9);
      c.m.min_cosine = std::min(min_cosine(c.image_rows, reference.image_rows),
                                min_cosine(c.text_rows, reference.text_rows));
      c.m.qualifies = c.m.min_cosine >= kAutoMinCosine;
      // At least 5% faster than the best so far (fp32 first) to be worth a reduced precision.
      if (c.m.precision != Precision::fp32 && c.m.qualifies &&
          c.image_s + c.text_s < 0.95 * best_seconds) {
        best_seconds = c.image_s + c.text_s;
        result.chosen = c.m.precision;
      }
    }
    result.measured.push_back(c.m);
  }
  return result;
}

void update_model_json(const fs::path& model_dir, const std::string& key,
                       const nlohmann::json& value) {
  const fs::path path = model_dir / "model.json";
  nlohmann::json j;
  {
    std::ifstream in(path);
    if (!in) throw ClipModelError(path, "cannot read model.json");
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw ClipModelError(path, std::string("not valid JSON: ") + e.what());
    }
  }
  j[key] = value;
  // A name of its own per writer: several processes (a server's encoder pool) may record at once.
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = model_dir / (".model.json." + std::to_string(::getpid()) + "." +
                                    std::to_string(counter++) + ".partial");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw ClipModelError(path, "cannot write model.json (read-only folder?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ClipModelError(path, "cannot replace model.json: " + ec.message());
  }
}

}  // namespace palimpsest

#include "indexer/clip/clip_encoder.h"

#include <torch/torch.h>

#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_model.h"
#include "indexer/clip/clip_precision.h"
#include "indexer/clip/clip_preprocess.h"
#include "indexer/clip/clip_tokenizer.h"
#include "indexer/files/content_hash.h"
#include "indexer/runtime/runtime_info.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

fs::path resolve(const fs::path& dir, const std::string& file) {
  const fs::path p(file);
  return p.is_absolute() ? p : dir / p;
}

torch::Device parse_device(const std::string& name) {
  if (name.empty() || name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) != 0) {
    throw ClipError("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
  }
  if (!torch::cuda::is_available()) {
    throw ClipError("device '" + name +
                    "' requested but libtorch sees no CUDA device (CPU-only build or no GPU); "
                    "use --device cpu");
  }
  try {
    torch::Device device(name);
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count) {
      throw ClipError("device '" + name + "' requested but only " + std::to_string(count) +
                      " CUDA device(s) are present");
    }
    return device;
  } catch (const c10::Error&) {
    throw ClipError("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
  }
}

struct ModelJson {
  std::string name;
  fs::path weights;
  std::string tokenizer_kind;
  fs::path tokenizer_file;
  bool add_bos = false;
  bool add_eos = true;
  int image_size = 0;      // 0: from the weights
  int context_length = 0;  // 0: from the weights
  std::array<float, 3> mean = clip::kOpenAiMean;
  std::array<float, 3> std = clip::kOpenAiStd;
  int vision_heads = 0;
  int text_heads = 0;
  bool quick_gelu = true;
  std::string precision = "fp32";
  std::optional<AutoPrecision> precision_auto;
  std::string weights_sha256;        // recorded by `model import`, with the file's size
  std::uint64_t weights_bytes = 0;
};

ModelJson read_model_json(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ClipModelError(dir, "model folder not found");
  const fs::path path = dir / "model.json";
  if (!fs::is_regular_file(path, ec)) throw ClipModelError(path, "model.json not found");
  std::ifstream in(path);
  if (!in) throw ClipModelError(path, "cannot read model.json");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ClipModelError(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw ClipModelError(path, "not a JSON object");

  ModelJson m;
  auto get_string = [&](const nlohmann::json& obj, const char* key, bool required,
                        const std::string& where) -> std::string {
    if (!obj.contains(key)) {
      if (required) throw ClipModelError(path, "missing \"" + where + key + "\"");
      return {};
    }
    if (!obj[key].is_string() || obj[key].get<std::string>().empty()) {
      throw ClipModelError(path, "\"" + where + key + "\" must be a non-empty string");
    }
    return obj[key].get<std::string>();
  };
  auto get_int = [&](const char* key) -> int {
    if (!j.contains(key)) return 0;
    if (!j[key].is_number_integer() || j[key].get<long long>() <= 0 ||
        j[key].get<long long>() > 1'000'000) {
      throw ClipModelError(path, std::string("\"") + key + "\" must be a positive integer");
    }
    return j[key].get<int>();
  };
  auto get_triple = [&](const char* key, std::array<float, 3>& out, bool positive) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if (!v.is_array() || v.size() != 3) {
      throw ClipModelError(path, std::string("\"") + key + "\" must be a list of 3 numbers");
    }
    for (int i = 0; i < 3; ++i) {
      if (!v[i].is_number() || (positive && v[i].get<double>() <= 0.0)) {
        throw ClipModelError(path, std::string("\"") + key + "\" must be a list of 3 " +
                                       (positive ? "positive " : "") + "numbers");
      }
      out[i] = v[i].get<float>();
    }
  };

  if (j.contains("name")) {
    m.name = get_string(j, "name", false, "");
  } else {
    fs::path d = fs::absolute(dir).lexically_normal();
    if (d.filename().empty()) d = d.parent_path();
    m.name = d.filename().string();
  }
  m.weights = resolve(dir, get_string(j, "weights", true, ""));
  if (!j.contains("tokenizer")) throw ClipModelError(path, "missing \"tokenizer\"");
  const auto& tok = j["tokenizer"];
  if (!tok.is_object()) {
    throw ClipModelError(path, "\"tokenizer\" must be an object {\"kind\", \"file\"}");
  }
  m.tokenizer_kind = get_string(tok, "kind", true, "tokenizer.");
  m.tokenizer_file = resolve(dir, get_string(tok, "file", true, "tokenizer."));
  for (const char* key : {"add_bos", "add_eos"}) {
    if (!tok.contains(key)) continue;
    if (!tok[key].is_boolean()) {
      throw ClipModelError(path, std::string("\"tokenizer.") + key + "\" must be true or false");
    }
    (std::string(key) == "add_bos" ? m.add_bos : m.add_eos) = tok[key].get<bool>();
  }
  m.image_size = get_int("image_size");
  m.context_length = get_int("context_length");
  m.vision_heads = get_int("vision_heads");
  m.text_heads = get_int("text_heads");
  if (j.contains("activation")) {
    const std::string activation = get_string(j, "activation", false, "");
    if (activation != "quick_gelu" && activation != "gelu") {
      throw ClipModelError(path, "\"activation\" must be \"quick_gelu\" or \"gelu\", not \"" +
                                     activation + "\"");
    }
    m.quick_gelu = activation == "quick_gelu";
  }
  get_triple("mean", m.mean, false);
  get_triple("std", m.std, true);
  if (j.contains("precision")) {
    m.precision = get_string(j, "precision", false, "");
    if (m.precision != "auto" && !parse_precision(m.precision)) {
      throw ClipModelError(path, "\"precision\" must be \"fp32\", \"bf16\", \"int8\" or "
                                 "\"auto\", not \"" + m.precision + "\"");
    }
  }
  if (j.contains("precision_auto")) m.precision_auto = AutoPrecision::from_json(j["precision_auto"]);
  if (j.contains("weights_sha256") && j["weights_sha256"].is_string() &&
      j.contains("weights_bytes") && j["weights_bytes"].is_number_unsigned()) {
    m.weights_sha256 = j["weights_sha256"].get<std::string>();
    m.weights_bytes = j["weights_bytes"].get<std::uint64_t>();
  }
  return m;
}

// The weights' SHA-256 (the model's identity in the catalog). `model import` records it with
// the file's size, which saves hashing hundreds of megabytes at every load; a file whose size
// differs from the record is hashed again.
std::string weights_sha256(const ModelJson& m) {
  std::error_code ec;
  if (!m.weights_sha256.empty() && fs::file_size(m.weights, ec) == m.weights_bytes && !ec) {
    return m.weights_sha256;
  }
  return sha256_file(m.weights);
}

std::vector<std::vector<float>> to_rows(const torch::Tensor& features) {
  auto f = features.to(torch::kCPU, torch::kFloat);
  f = f / f.norm(2, -1, true).clamp_min(1e-12);
  f = f.contiguous();
  std::vector<std::vector<float>> rows(static_cast<std::size_t>(f.size(0)));
  const float* data = f.data_ptr<float>();
  const auto dim = f.size(1);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].assign(data + i * dim, data + (i + 1) * dim);
  return rows;
}

}  // namespace

struct ClipEncoder::Impl {
  ClipModelInfo info;
  clip::ClipModel model{nullptr};
  std::unique_ptr<TextTokenizer> tokenizer;
  clip::PreprocessOptions preprocess;
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kFloat;
  float logit_scale = 1.0f;
};

ClipEncoder::ClipEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipEncoder::~ClipEncoder() = default;

namespace {

// The precision to run at, from the request (or model.json) and what this machine supports.
Precision choose_precision(const fs::path& model_dir, const ModelJson& m,
                           const ClipLoadOptions& options, std::vector<std::string>& notes) {
  const std::string requested = options.precision.empty() ? m.precision : options.precision;
  const fs::path json_path = model_dir / "model.json";
  if (requested != "auto") {
    const auto precision = parse_precision(requested);
    if (!precision) {
      throw ClipModelError(json_path, "unknown precision \"" + requested +
                                          "\" (expected auto, fp32, bf16 or int8)");
    }
    if (*precision == Precision::fp32) return Precision::fp32;
    const PrecisionSupport support = precision_support();
    if (!support.supports(*precision)) {
      notes.push_back(requested + " is not supported here (" + support.problem(*precision) +
                      "): using fp32");
      return Precision::fp32;
    }
    return *precision;
  }
  const PrecisionSupport support = precision_support();
  const std::string signature = cpu_signature();
  if (m.precision_auto && m.precision_auto->cpu == signature) {
    const Precision chosen = m.precision_auto->chosen;
    if (chosen == Precision::fp32 || support.supports(chosen)) return chosen;
    notes.push_back("auto: the measured choice " + to_string(chosen) + " is not supported here (" +
                    support.problem(chosen) + "): using fp32");
    return Precision::fp32;
  }
  if (!options.measure_auto) {
    notes.push_back("auto: no measurement for this machine in " + json_path.string() +
                    ": using fp32");
    return Precision::fp32;
  }
  const AutoPrecision measured = measure_auto_precision(model_dir, support);
  std::string line = "auto: measured on this machine (" + signature + "): " +
                     to_string(measured.chosen);
  try {
    update_model_json(model_dir, "precision_auto", measured.to_json());
    line += ", recorded in " + json_path.string();
  } catch (const ClipError& e) {
    line += std::string(" (not recorded: ") + e.what() + ")";
  }
  notes.push_back(line);
  return measured.chosen;
}

}  // namespace

std::unique_ptr<ClipEncoder> ClipEncoder::load(const fs::path& model_dir, const std::string& device) {
  ClipLoadOptions options;
  options.device = device;
  return load(model_dir, options);
}

std::unique_ptr<ClipEncoder> ClipEncoder::load(const fs::path& model_dir,
                                               const ClipLoadOptions& options) {
  configure_torch_threads();
  const torch::Device dev = parse_device(options.device);
  const ModelJson m = read_model_json(model_dir);
  const fs::path json_path = model_dir / "model.json";
  std::vector<std::string> info_notes;
  Precision precision = Precision::fp32;
  if (!dev.is_cuda()) precision = choose_precision(model_dir, m, options, info_notes);

  auto impl = std::make_unique<Impl>();
  impl->tokenizer = make_text_tokenizer(m.tokenizer_kind, m.tokenizer_file, json_path, m.add_bos,
                                        m.add_eos);
  clip::LoadedClip loaded =
      clip::load_clip_checkpoint(m.weights, m.vision_heads, m.text_heads, m.quick_gelu);
  const ClipConfig& c = loaded.config;
  if (m.image_size != 0 && m.image_size != c.image_resolution) {
    throw ClipModelError(json_path, "\"image_size\" is " + std::to_string(m.image_size) +
                                        " but the weights are for " +
                                        std::to_string(c.image_resolution) + " pixels");
  }
  if (m.context_length > c.context_length) {
    throw ClipModelError(json_path, "\"context_length\" is " + std::to_string(m.context_length) +
                                        " but the weights have " +
                                        std::to_string(c.context_length) + " positions");
  }
  if (impl->tokenizer->vocab_size() > c.vocab_size) {
    throw ClipModelError(json_path, "the " + impl->tokenizer->kind() + " tokenizer has " +
                                        std::to_string(impl->tokenizer->vocab_size()) +
                                        " ids but the weights embed only " +
                                        std::to_string(c.vocab_size));
  }

  impl->device = dev;
  impl->dtype = dev.is_cuda() ? torch::kHalf : torch::kFloat;
  impl->model = loaded.model;
  impl->logit_scale = std::exp(impl->model->logit_scale.item<float>());
  std::string precision_name = "fp16";
  if (!dev.is_cuda()) {
    switch (precision) {
      case Precision::bf16:
        // The towers in bfloat16; LayerNorm and the attention softmax compute in float32
        // (clip_model.cpp). Keeping the activations float32 and casting only around each
        // product was measured slower (1.9x instead of 3x over fp32): libtorch 1.13's
        // conversions cost more than they save.
        impl->dtype = torch::kBFloat16;
        break;
      case Precision::int8:
        try {
          clip::quantize_linears_int8(*impl->model);
        } catch (const ClipError& e) {
          info_notes.push_back(std::string("int8 failed (") + e.what() + "): using fp32");
          precision = Precision::fp32;
        }
        break;
      case Precision::fp32: break;
    }
    precision_name = to_string(precision);
  } else if (!options.precision.empty() && options.precision != "fp32") {
    info_notes.push_back("precision " + options.precision + " applies to the CPU; " +
                         dev.str() + " runs fp16");
  }
  impl->model->to(dev, impl->dtype);
  impl->model->eval();
  impl->preprocess.image_size = c.image_resolution;
  impl->preprocess.mean = m.mean;
  impl->preprocess.std = m.std;

  ClipModelInfo& info = impl->info;
  info.name = m.name;
  info.embed_dim = c.embed_dim;
  info.image_size = c.image_resolution;
  info.context_length = m.context_length ? m.context_length : c.context_length;
  info.weights_sha256 = weights_sha256(m);
  info.device = dev.str();
  info.architecture = c.describe();
  info.tokenizer = impl->tokenizer->kind();
  info.precision = precision_name;
  info.notes = std::move(info_notes);
  return std::unique_ptr<ClipEncoder>(new ClipEncoder(std::move(impl)));
}

const ClipModelInfo& ClipEncoder::info() const { return impl_->info; }
float ClipEncoder::logit_scale() const { return impl_->logit_scale; }
const TextTokenizer& ClipEncoder::tokenizer() const { return *impl_->tokenizer; }
clip::ClipModelImpl& ClipEncoder::module() { return *impl_->model; }
const clip::PreprocessOptions& ClipEncoder::preprocess_options() const { return impl_->preprocess; }

std::vector<std::vector<float>> ClipEncoder::encode_texts(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  const int ctx = impl_->info.context_length;
  c10::InferenceMode guard;
  for (std::size_t start = 0; start < texts.size(); start += batch_size_) {
    const std::size_t n = std::min<std::size_t>(batch_size_, texts.size() - start);
    auto ids = torch::zeros({static_cast<int64_t>(n), ctx}, torch::kLong);
    auto eot = torch::zeros({static_cast<int64_t>(n)}, torch::kLong);
    auto ids_a = ids.accessor<int64_t, 2>();
    int longest = 1;  // positions up to the last end-of-text token of the batch
    for (std::size_t i = 0; i < n; ++i) {
      const TokenizedText row = impl_->tokenizer->tokenize(texts[start + i], ctx);
      for (int k = 0; k < ctx; ++k) ids_a[i][k] = row.ids[k];
      eot[static_cast<int64_t>(i)] = row.eot;
      longest = std::max(longest, row.eot + 1);
    }
    // The text tower is causal: features at a row's end token depend only on the tokens before
    // it, so the padding after the batch's last end token can be cut off without changing the
    // result (a short query then costs a fraction of the full context).
    ids = ids.slice(1, 0, longest);
    auto rows = to_rows(impl_->model->encode_text(ids.to(impl_->device), eot.to(impl_->device)));
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<float>> ClipEncoder::encode_token_ids(
    const std::vector<std::vector<std::int64_t>>& ids) {
  std::vector<std::vector<float>> out;
  out.reserve(ids.size());
  if (ids.empty()) return out;
  const std::size_t length = ids.front().size();
  for (const auto& row : ids) {
    if (row.size() != length) throw ClipError("encode_token_ids: rows of different lengths");
  }
  c10::InferenceMode guard;
  for (std::size_t start = 0; start < ids.size(); start += batch_size_) {
    const std::size_t n = std::min<std::size_t>(batch_size_, ids.size() - start);
    auto batch = torch::empty({static_cast<int64_t>(n), static_cast<int64_t>(length)}, torch::kLong);
    for (std::size_t i = 0; i < n; ++i) {
      std::copy(ids[start + i].begin(), ids[start + i].end(),
                batch.data_ptr<int64_t>() + i * length);
    }
    auto rows = to_rows(impl_->model->encode_text(batch.to(impl_->device)));
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<float>> ClipEncoder::encode_preprocessed_images(
    const std::vector<float>& nchw, int count) {
  const int64_t size = impl_->info.image_size;
  const std::size_t per_image = static_cast<std::size_t>(3 * size * size);
  if (count < 0 || nchw.size() != per_image * static_cast<std::size_t>(count)) {
    throw ClipError("encode_preprocessed_images: " + std::to_string(nchw.size()) +
                    " floats for " + std::to_string(count) + " images of 3x" +
                    std::to_string(size) + "x" + std::to_string(size));
  }
  std::vector<std::vector<float>> out;
  out.reserve(static_cast<std::size_t>(count));
  c10::InferenceMode guard;
  for (int start = 0; start < count; start += batch_size_) {
    const int n = std::min(batch_size_, count - start);
    auto batch = torch::from_blob(const_cast<float*>(nchw.data()) + per_image * start,
                                  {n, 3, size, size}, torch::kFloat);
    auto rows = to_rows(impl_->model->encode_image(batch.to(impl_->device, impl_->dtype)));
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<float>> ClipEncoder::encode_images(const std::vector<RgbImage>& images) {
  std::vector<std::vector<float>> out;
  out.reserve(images.size());
  std::vector<float> pixels;
  for (std::size_t start = 0; start < images.size(); start += batch_size_) {
    const std::size_t n = std::min<std::size_t>(batch_size_, images.size() - start);
    pixels.clear();
    for (std::size_t i = 0; i < n; ++i) {
      clip::preprocess_image(images[start + i], impl_->preprocess, pixels);
    }
    auto rows = encode_preprocessed_images(pixels, static_cast<int>(n));
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace palimpsest

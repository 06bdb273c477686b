#include "indexer/clip/clip_encoder.h"

#include <torch/torch.h>

#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_model.h"
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
  return m;
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

std::unique_ptr<ClipEncoder> ClipEncoder::load(const fs::path& model_dir, const std::string& device) {
  configure_torch_threads();
  const torch::Device dev = parse_device(device);
  const ModelJson m = read_model_json(model_dir);
  const fs::path json_path = model_dir / "model.json";

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
  info.weights_sha256 = sha256_file(m.weights);
  info.device = dev.str();
  info.architecture = c.describe();
  info.tokenizer = impl->tokenizer->kind();
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

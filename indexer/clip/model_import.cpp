#include "indexer/clip/model_import.h"

#include <torch/script.h>
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_model.h"
#include "indexer/clip/clip_preprocess.h"
#include "indexer/clip/clip_tokenizer.h"
#include "indexer/clip/model_card.h"
#include "indexer/clip/model_store.h"
#include "indexer/clip/safetensors.h"
#include "indexer/clip/sentencepiece_tokenizer.h"
#include "indexer/files/content_hash.h"

namespace palimpsest {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

constexpr char kClipVocabularyFile[] = "bpe_simple_vocab_16e6.txt.gz";

// The same weights through the same float32 arithmetic (up to the order of operations) agree to
// about 1e-7; a wrong activation on the tiny fixture model already drops to 0.99995, so the bar
// sits between.
constexpr double kVerificationCosine = 0.99999;

void say(const ImportOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// What the source is

struct Source {
  fs::path weights;
  std::string format;  // set after loading, except for folders
  bool folder = false;
  std::optional<json> open_clip_config;
  fs::path config_path;
  fs::path folder_vocabulary;  // bpe_simple_vocab_16e6.txt.gz in the folder
  fs::path folder_merges;      // merges.txt (Hugging Face's layout of the same merges)
  fs::path folder_sentencepiece;
  std::string licence;         // from the folder's README front matter
};

// "license: mit" in a Hugging Face README's YAML front matter.
std::string readme_licence(const fs::path& readme) {
  std::ifstream in(readme);
  std::string line;
  if (!std::getline(in, line) || line.rfind("---", 0) != 0) return "";
  while (std::getline(in, line) && line.rfind("---", 0) != 0) {
    if (line.rfind("license:", 0) == 0) {
      std::string value = line.substr(8);
      value.erase(0, value.find_first_not_of(" \t\"'"));
      value.erase(value.find_last_not_of(" \t\"'\r") + 1);
      return value;
    }
  }
  return "";
}

Source inspect_source(const fs::path& path) {
  std::error_code ec;
  Source s;
  if (!fs::exists(path, ec)) throw ClipModelError(path, "not found");
  if (!fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(path, ec)) throw ClipModelError(path, "not a regular file");
    s.weights = path;
    return s;
  }
  s.folder = true;
  s.config_path = path / "open_clip_config.json";
  if (!fs::is_regular_file(s.config_path, ec)) {
    if (fs::is_regular_file(path / "model.json", ec)) {
      throw ClipModelError(path, "already a Palimpsest model folder (model.json): use it with "
                                 "--model " + path.string() + ", or import its weights file");
    }
    throw ClipModelError(path, "a folder without open_clip_config.json: not a Hugging Face "
                               "open_clip folder (import the weights file itself)");
  }
  try {
    s.open_clip_config = json::parse(read_text(s.config_path));
  } catch (const json::exception& e) {
    throw ClipModelError(s.config_path, std::string("not valid JSON: ") + e.what());
  }
  for (const char* name : {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"}) {
    if (fs::is_regular_file(path / name, ec)) {
      s.weights = path / name;
      break;
    }
  }
  if (s.weights.empty()) {
    throw ClipModelError(path, "no open_clip weights in the folder (expected "
                               "open_clip_model.safetensors or open_clip_pytorch_model.bin; "
                               "pytorch_model.bin / model.safetensors hold the Hugging Face "
                               "transformers layout, which is not read)");
  }
  if (fs::is_regular_file(path / kClipVocabularyFile, ec)) s.folder_vocabulary = path / kClipVocabularyFile;
  if (fs::is_regular_file(path / "merges.txt", ec)) s.folder_merges = path / "merges.txt";
  for (const char* name : {"tokenizer.model", "spiece.model", "sentencepiece.bpe.model"}) {
    if (fs::is_regular_file(path / name, ec)) {
      s.folder_sentencepiece = path / name;
      break;
    }
  }
  if (fs::is_regular_file(path / "README.md", ec)) s.licence = readme_licence(path / "README.md");
  return s;
}

// ---------------------------------------------------------------------------------------------
// open_clip_config.json

struct Settings {
  std::optional<int> image_size, context_length, vocab_size, embed_dim;
  std::optional<int> vision_width, vision_layers, patch_size, text_width, text_layers;
  int vision_heads = 0, text_heads = 0;  // 0: width / 64
  std::optional<bool> quick_gelu;
  std::optional<std::array<float, 3>> mean, std;
  std::string hf_tokenizer;  // text_cfg.hf_tokenizer_name
  std::vector<std::string> warnings;
};

std::optional<int> get_int(const json& j, const char* key, const fs::path& file) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number_integer()) {
    throw ClipModelError(file, std::string("\"") + key + "\" must be an integer");
  }
  return j[key].get<int>();
}

// Options whose non-default values change what the model computes.
void refuse_option(const json& cfg, const std::string& where, const char* key,
                   const std::function<bool(const json&)>& is_default, const std::string& what,
                   const fs::path& file) {
  if (!cfg.contains(key) || cfg[key].is_null() || is_default(cfg[key])) return;
  throw ClipModelError(file, where + "." + key + " = " + cfg[key].dump() + ": " + what +
                                 " is not supported by this CLIP implementation");
}

Settings read_open_clip_config(const json& root, const fs::path& file) {
  Settings s;
  if (!root.is_object()) throw ClipModelError(file, "not a JSON object");
  const json& model = root.contains("model_cfg") ? root["model_cfg"] : root;
  if (!model.is_object()) throw ClipModelError(file, "\"model_cfg\" must be an object");
  auto falsy = [](const json& v) { return v.is_boolean() ? !v.get<bool>() : (v.is_number() && v == 0); };
  auto empty = [](const json& v) { return (v.is_object() || v.is_array()) && v.empty(); };
  if (model.contains("multimodal_cfg")) {
    throw ClipModelError(file, "model_cfg.multimodal_cfg: a CoCa model (captioning decoder) is "
                               "not supported; use a plain CLIP model");
  }
  refuse_option(model, "model_cfg", "init_logit_bias", [](const json&) { return false; },
                "a SigLIP model (sigmoid loss, attention pooling)", file);
  refuse_option(model, "model_cfg", "custom_text", falsy, "a custom text tower", file);
  if (model.contains("quick_gelu") && model["quick_gelu"].is_boolean()) {
    s.quick_gelu = model["quick_gelu"].get<bool>();
  } else {
    s.quick_gelu = false;  // open_clip's default activation is nn.GELU
  }
  s.embed_dim = get_int(model, "embed_dim", file);
  static const std::set<std::string> kKnownModel = {"embed_dim", "quick_gelu", "vision_cfg",
                                                    "text_cfg", "cast_dtype", "custom_text"};
  for (const auto& [key, value] : model.items()) {
    if (!kKnownModel.count(key)) {
      s.warnings.push_back(file.string() + ": model_cfg." + key + " is not known to this importer "
                           "(ignored; the verification would not catch a change it makes)");
    }
  }

  if (model.contains("vision_cfg")) {
    const json& v = model["vision_cfg"];
    if (!v.is_object()) throw ClipModelError(file, "model_cfg.vision_cfg must be an object");
    if (v.contains("layers") && v["layers"].is_array()) {
      throw ClipModelError(file, "model_cfg.vision_cfg.layers is a list: a Modified-ResNet visual "
                                 "backbone (RN50-style), not supported; use a ViT CLIP model");
    }
    const std::string w = "model_cfg.vision_cfg";
    refuse_option(v, w, "timm_model_name", [](const json&) { return false; }, "a timm vision tower", file);
    refuse_option(v, w, "ls_init_value", [](const json&) { return false; }, "layer scale", file);
    refuse_option(v, w, "attentional_pool", falsy, "attentional pooling", file);
    refuse_option(v, w, "no_ln_pre", falsy, "a vision tower without ln_pre", file);
    refuse_option(v, w, "final_ln_after_pool", falsy, "LayerNorm after pooling", file);
    refuse_option(v, w, "input_patchnorm", falsy, "patch normalisation", file);
    refuse_option(v, w, "global_average_pool", falsy, "average pooling", file);
    refuse_option(v, w, "pool_type", [](const json& x) { return x == "tok"; },
                  "pooling other than the class token", file);
    refuse_option(v, w, "act_kwargs", empty, "activation options", file);
    refuse_option(v, w, "norm_kwargs", empty, "normalisation options", file);
    s.vision_width = get_int(v, "width", file);
    s.vision_layers = get_int(v, "layers", file);
    s.patch_size = get_int(v, "patch_size", file);
    s.image_size = get_int(v, "image_size", file);
    const int head_width = get_int(v, "head_width", file).value_or(64);
    if (s.vision_width && head_width > 0) s.vision_heads = *s.vision_width / head_width;
    static const std::set<std::string> kKnown = {
        "width", "layers", "patch_size", "image_size", "head_width", "mlp_ratio", "timm_model_name",
        "ls_init_value", "attentional_pool", "no_ln_pre", "final_ln_after_pool", "input_patchnorm",
        "global_average_pool", "pool_type", "act_kwargs", "norm_kwargs", "patch_dropout",
        "output_tokens", "timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias",
        "timm_drop", "timm_drop_path", "attn_pooler_queries", "attn_pooler_heads", "n_queries",
        "embed_cls", "output_dim"};
    for (const auto& [key, value] : v.items()) {
      if (!kKnown.count(key)) {
        s.warnings.push_back(file.string() + ": " + w + "." + key + " is not known to this "
                             "importer (ignored; the verification would not catch a change it makes)");
      }
    }
  }
  if (model.contains("text_cfg")) {
    const json& t = model["text_cfg"];
    if (!t.is_object()) throw ClipModelError(file, "model_cfg.text_cfg must be an object");
    const std::string w = "model_cfg.text_cfg";
    refuse_option(t, w, "hf_model_name", [](const json&) { return false; },
                  "a Hugging Face text tower", file);
    refuse_option(t, w, "ls_init_value", [](const json&) { return false; }, "layer scale", file);
    refuse_option(t, w, "embed_cls", falsy, "a class token in the text tower", file);
    refuse_option(t, w, "no_causal_mask", falsy, "a text tower without the causal mask", file);
    refuse_option(t, w, "proj_bias", falsy, "a text projection bias", file);
    refuse_option(t, w, "final_ln_after_pool", falsy, "LayerNorm after pooling", file);
    refuse_option(t, w, "pool_type", [](const json& x) { return x == "argmax"; },
                  "text pooling other than at the end-of-text token (argmax)", file);
    refuse_option(t, w, "act_kwargs", empty, "activation options", file);
    refuse_option(t, w, "norm_kwargs", empty, "normalisation options", file);
    s.context_length = get_int(t, "context_length", file);
    s.vocab_size = get_int(t, "vocab_size", file);
    s.text_width = get_int(t, "width", file);
    s.text_layers = get_int(t, "layers", file);
    s.text_heads = get_int(t, "heads", file).value_or(8);  // open_clip's default
    if (t.contains("hf_tokenizer_name") && t["hf_tokenizer_name"].is_string()) {
      s.hf_tokenizer = t["hf_tokenizer_name"].get<std::string>();
    }
    static const std::set<std::string> kKnown = {
        "context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "hf_model_name",
        "hf_tokenizer_name", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "ls_init_value",
        "embed_cls", "no_causal_mask", "proj_bias", "final_ln_after_pool", "pool_type", "act_kwargs",
        "norm_kwargs", "pad_id", "output_tokens", "proj", "pooler_type", "tokenizer_kwargs",
        "proj_type", "attn_mask", "causal_mask"};
    for (const auto& [key, value] : t.items()) {
      if (!kKnown.count(key)) {
        s.warnings.push_back(file.string() + ": " + w + "." + key + " is not known to this "
                             "importer (ignored; the verification would not catch a change it makes)");
      }
    }
  }
  if (root.contains("preprocess_cfg") && root["preprocess_cfg"].is_object()) {
    const json& p = root["preprocess_cfg"];
    auto triple = [&](const char* key) -> std::optional<std::array<float, 3>> {
      if (!p.contains(key)) return std::nullopt;
      const json& v = p[key];
      if (v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() && v[2].is_number()) {
        return std::array<float, 3>{v[0].get<float>(), v[1].get<float>(), v[2].get<float>()};
      }
      throw ClipModelError(file, std::string("preprocess_cfg.") + key + " must be 3 numbers");
    };
    s.mean = triple("mean");
    s.std = triple("std");
    if (p.contains("interpolation") && p["interpolation"] != "bicubic") {
      s.warnings.push_back(file.string() + ": preprocess_cfg.interpolation is " +
                           p["interpolation"].dump() + "; Palimpsest resizes bicubic (small "
                           "differences in the image embeddings)");
    }
    if (p.contains("resize_mode") && p["resize_mode"] != "shortest") {
      s.warnings.push_back(file.string() + ": preprocess_cfg.resize_mode is " +
                           p["resize_mode"].dump() + "; Palimpsest resizes the shortest side and "
                           "centre-crops");
    }
  }
  return s;
}

// The config against what the weights say.
void check_against_weights(const Settings& s, const ClipConfig& c, const fs::path& file) {
  auto check = [&](const std::optional<int>& said, int has, const char* what) {
    if (said && *said != has) {
      throw ClipModelError(file, std::string("says ") + what + " " + std::to_string(*said) +
                                     " but the weights have " + std::to_string(has) +
                                     " (config and weights do not belong together)");
    }
  };
  check(s.embed_dim, c.embed_dim, "embed_dim");
  check(s.image_size, c.image_resolution, "vision_cfg.image_size");
  check(s.patch_size, c.vision_patch_size, "vision_cfg.patch_size");
  check(s.vision_width, c.vision_width, "vision_cfg.width");
  check(s.vision_layers, c.vision_layers, "vision_cfg.layers");
  check(s.text_width, c.text_width, "text_cfg.width");
  check(s.text_layers, c.text_layers, "text_cfg.layers");
  check(s.vocab_size, c.vocab_size, "text_cfg.vocab_size");
  if (s.context_length && *s.context_length > c.context_length) {
    throw ClipModelError(file, "says text_cfg.context_length " + std::to_string(*s.context_length) +
                                   " but the weights have " + std::to_string(c.context_length) +
                                   " positions");
  }
}

// ---------------------------------------------------------------------------------------------
// The tokenizer

struct Tokenizer {
  std::string kind;      // "clip_bpe" | "sentencepiece"
  fs::path file;         // to copy into the folder
  std::string merges;    // merges.txt content to gzip instead of copying
  std::string out_name;  // file name in the model folder
};

bool starts_with_version_line(const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  return first.rfind("#version", 0) == 0;
}

void validate_merges_txt(const std::string& text, const fs::path& file) {
  std::size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  // The header line and at least the 48,894 merges CLIP's vocabulary is built from.
  if (lines < 48894) {
    throw TokenizerError(file, "a merges.txt with " + std::to_string(lines) +
                                   " lines is not CLIP's BPE (48,894 merges expected)");
  }
}

Tokenizer tokenizer_from_file(const fs::path& file, const std::string& origin) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw TokenizerError(file, origin + ": not found");
  Tokenizer t;
  const std::string ext = file.extension().string();
  if (ext == ".gz") {
    ClipBpeTokenizer check(file);  // throws TokenizerError naming the file
    t.kind = "clip_bpe";
    t.file = file;
    t.out_name = kClipVocabularyFile;
  } else if (ext == ".model") {
    SentencePieceTextTokenizer check(file, false, true);
    t.kind = "sentencepiece";
    t.file = file;
    t.out_name = "tokenizer.model";
  } else if (starts_with_version_line(file)) {
    t.kind = "clip_bpe";
    t.merges = read_text(file);
    validate_merges_txt(t.merges, file);
    t.out_name = kClipVocabularyFile;
  } else {
    throw TokenizerError(file, origin + ": not a tokenizer this importer reads (a CLIP BPE "
                               "merges file .txt.gz or merges.txt, or a sentencepiece .model)");
  }
  return t;
}

Tokenizer choose_tokenizer(const Source& source, const Settings& settings,
                           const ImportOptions& options) {
  if (!options.tokenizer.empty()) return tokenizer_from_file(options.tokenizer, "--tokenizer");
  if (!settings.hf_tokenizer.empty()) {
    if (!source.folder_sentencepiece.empty()) {
      return tokenizer_from_file(source.folder_sentencepiece, "the folder's sentencepiece model");
    }
    throw ClipModelError(source.config_path,
                         "the text tower uses the Hugging Face tokenizer '" + settings.hf_tokenizer +
                             "', which is not supported; pass --tokenizer FILE with its "
                             "sentencepiece .model if it has one");
  }
  if (!source.folder_vocabulary.empty()) return tokenizer_from_file(source.folder_vocabulary, "vocabulary");
  if (!source.folder_merges.empty()) return tokenizer_from_file(source.folder_merges, "merges.txt");
  if (options.clip_vocabulary) {
    return tokenizer_from_file(options.clip_vocabulary(), "the CLIP BPE vocabulary");
  }
  throw ClipModelError(source.weights,
                       "the weights come without a tokenizer: pass --tokenizer FILE (the CLIP BPE "
                       "vocabulary bpe_simple_vocab_16e6.txt.gz), or use `palimpsest model fetch "
                       "clip-bpe-vocab` where there is network");
}

void write_tokenizer(const Tokenizer& t, const fs::path& dir) {
  const fs::path out = dir / t.out_name;
  if (t.merges.empty()) {
    std::error_code ec;
    fs::copy_file(t.file, out, fs::copy_options::overwrite_existing, ec);
    if (ec) throw TokenizerError(out, "cannot copy the tokenizer: " + ec.message());
    return;
  }
  gzFile gz = gzopen(out.c_str(), "wb9");
  if (!gz) throw TokenizerError(out, "cannot create the gzip file");
  const int written = gzwrite(gz, t.merges.data(), static_cast<unsigned>(t.merges.size()));
  if (gzclose(gz) != Z_OK || written != static_cast<int>(t.merges.size())) {
    throw TokenizerError(out, "cannot write the gzip file");
  }
}

// ---------------------------------------------------------------------------------------------
// Weights

void write_weights(clip::ClipModelImpl& model, const std::map<std::string, std::string>& dtypes,
                   const fs::path& file) {
  std::vector<SafetensorsTensorSpec> specs;
  std::map<std::string, torch::Tensor> params;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    SafetensorsTensorSpec spec;
    spec.name = item.key();
    spec.shape = item.value().sizes().vec();
    const auto it = dtypes.find(item.key());
    // fp16 / bf16 checkpoints stay as they are (the float32 copy is exact); anything else F32.
    spec.dtype = it != dtypes.end() && (it->second == "F16" || it->second == "BF16") ? it->second : "F32";
    specs.push_back(spec);
    params[item.key()] = item.value();
  }
  save_safetensors(file, specs, [&](const SafetensorsTensorSpec& spec, std::vector<float>& values) {
    const auto t = params.at(spec.name).detach().to(torch::kCPU, torch::kFloat).contiguous();
    values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  });
}

// ---------------------------------------------------------------------------------------------
// Verification

// OpenAI's TorchScript checkpoints cast to fp16 inside their graphs (aten::to with dtype 5);
// on the CPU they must run in float32, which is what clip.load does to them: every such
// constant becomes float32 (dtype 6) and the parameters are converted.
void patch_to_float(torch::jit::Module& module) {
  std::vector<std::shared_ptr<torch::jit::Graph>> graphs;
  for (const auto& m : module.modules()) {
    for (const auto& method : m.get_methods()) graphs.push_back(method.graph());
  }
  for (auto& graph : graphs) {
    std::vector<torch::jit::Node*> stack;
    for (auto* node : graph->nodes()) stack.push_back(node);
    while (!stack.empty()) {
      torch::jit::Node* node = stack.back();
      stack.pop_back();
      for (auto* block : node->blocks())
        for (auto* inner : block->nodes()) stack.push_back(inner);
      if (node->kind() != c10::Symbol::fromQualString("aten::to")) continue;
      for (std::size_t i : {1, 2}) {
        if (i >= node->inputs().size()) continue;
        auto* input = node->inputs()[i]->node();
        if (input->kind() != c10::prim::Constant) continue;
        const auto value = torch::jit::toIValue(node->inputs()[i]);
        if (value && value->isInt() && value->toInt() == 5) {
          torch::jit::WithInsertPoint guard(node);
          node->replaceInput(i, graph->insertConstant(static_cast<int64_t>(6)));
        }
      }
    }
  }
  module.to(torch::kFloat);
}

double cosine(const torch::Tensor& a_row, const torch::Tensor& b_row) {
  const auto a = a_row.to(torch::kDouble).flatten();
  const auto b = b_row.to(torch::kDouble).flatten();
  const double na = a.norm().item<double>();
  const double nb = b.norm().item<double>();
  if (!(na > 0) || !(nb > 0)) return 0.0;
  return (a.dot(b) / (na * nb)).item<double>();
}

RgbImage verification_image() {
  RgbImage image(320, 240);
  for (int y = 0; y < image.height; ++y) {
    std::uint8_t* row = image.row(y);
    for (int x = 0; x < image.width; ++x) {
      const bool sun = (x - 220) * (x - 220) + (y - 70) * (y - 70) < 900;
      const bool sea = y > 150;
      row[3 * x] = static_cast<std::uint8_t>(sun ? 250 : sea ? 20 : 90 + y / 3);
      row[3 * x + 1] = static_cast<std::uint8_t>(sun ? 200 : sea ? 60 + (x % 7) * 4 : 140 + y / 4);
      row[3 * x + 2] = static_cast<std::uint8_t>(sun ? 60 : sea ? 130 : 220);
    }
  }
  return image;
}

constexpr char kVerificationText[] = "a photograph of the sun over the sea";

// One image and one text as model inputs.
struct Probe {
  torch::Tensor image;  // [1, 3, R, R], normalised
  torch::Tensor ids;    // [1, context]
  torch::Tensor eot;    // [1]
};

Probe make_probe(const TextTokenizer& tokenizer, const clip::PreprocessOptions& pre, int context) {
  std::vector<float> pixels;
  clip::preprocess_image(verification_image(), pre, pixels);
  Probe p;
  p.image = torch::from_blob(pixels.data(), {1, 3, pre.image_size, pre.image_size}, torch::kFloat).clone();
  const TokenizedText row = tokenizer.tokenize(kVerificationText, context);
  p.ids = torch::tensor(row.ids, torch::kLong).reshape({1, context});
  p.eot = torch::tensor({static_cast<int64_t>(row.eot)}, torch::kLong);
  return p;
}

struct Reference {
  torch::Tensor image, text;  // [embed]
  std::string description;
};

// The checkpoint's own TorchScript methods on the probe; nullopt (and a warning) when they
// cannot run.
std::optional<Reference> torchscript_reference(const fs::path& weights, const Probe& probe,
                                               int full_context, std::vector<std::string>& warnings) {
  try {
    torch::NoGradGuard no_grad;
    auto module = torch::jit::load(weights.string(), torch::kCPU);
    module.eval();
    patch_to_float(module);
    Reference r;
    r.image = module.get_method("encode_image")({probe.image}).toTensor()[0].to(torch::kFloat);
    auto ids = probe.ids;
    if (ids.size(1) < full_context) {  // the checkpoint's text code takes full context rows
      ids = torch::zeros({1, full_context}, torch::kLong);
      ids.slice(1, 0, probe.ids.size(1)).copy_(probe.ids);
    }
    r.text = module.get_method("encode_text")({ids}).toTensor()[0].to(torch::kFloat);
    r.description = "the checkpoint's own TorchScript encode_image / encode_text (run in float32)";
    return r;
  } catch (const std::exception& e) {
    warnings.push_back(weights.string() + ": its TorchScript methods could not run (" +
                       error_first_line(e) + "): verified against the loaded weights instead");
    return std::nullopt;
  }
}

void set_heads(clip::Transformer& transformer, int heads) {
  for (const auto& block : *transformer->resblocks) block->as<clip::ResidualBlock>()->attn->heads = heads;
}

torch::Tensor direct_image(clip::ClipModelImpl& model, const Probe& p) {
  torch::NoGradGuard no_grad;
  return model.encode_image(p.image)[0];
}
torch::Tensor direct_text(clip::ClipModelImpl& model, const Probe& p) {
  torch::NoGradGuard no_grad;
  return model.encode_text(p.ids, p.eot)[0];
}

// Head counts are not in the weights. When the checkpoint's own code disagrees with the assumed
// width / 64, the divisors of the width are tried against it; returns the count that matches,
// or 0.
int find_heads(clip::ClipModelImpl& model, clip::Transformer& transformer, int width,
               const std::function<torch::Tensor()>& run, const torch::Tensor& reference) {
  for (int heads = 1; heads <= width; ++heads) {
    if (width % heads != 0) continue;
    set_heads(transformer, heads);
    if (cosine(run(), reference) >= kVerificationCosine) return heads;
  }
  (void)model;
  return 0;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string triple_string(const std::array<float, 3>& v) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "[%.8g, %.8g, %.8g]", v[0], v[1], v[2]);
  return buffer;
}

std::string format_name(const Source& source, const std::string& loaded_format) {
  if (source.folder) return "open_clip-folder";
  if (loaded_format == "torchscript") return "openai-torchscript";
  if (loaded_format == "state_dict") return "state-dict";
  return loaded_format;
}

}  // namespace

std::string default_model_name(const fs::path& source) {
  fs::path p = source.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = fs::is_directory(source) ? p.filename().string() : p.stem().string();
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '-';
  }
  while (!name.empty() && (name[0] == '.' || name[0] == '-')) name.erase(0, 1);
  if (name.size() > 64) name.resize(64);
  return name.empty() ? "model" : name;
}

ImportedModel import_model(const fs::path& catalog_path, const fs::path& source_path,
                           const ImportOptions& options) {
  if (!options.precision.empty() && options.precision != "auto" && !parse_precision(options.precision)) {
    throw ModelStoreError("unknown precision '" + options.precision +
                          "' (expected auto, fp32, bf16 or int8)");
  }
  if (!options.activation.empty() && options.activation != "gelu" && options.activation != "quick_gelu") {
    throw ModelStoreError("unknown activation '" + options.activation + "' (expected gelu or quick_gelu)");
  }
  const Source source = inspect_source(source_path);
  ImportedModel out;
  out.name = options.name.empty() ? default_model_name(source_path) : options.name;
  validate_model_name(out.name);
  if (out.name == kEmbeddedModelName) {
    throw ModelStoreError(std::string(kEmbeddedModelName) + " is the embedded model's name; "
                          "choose another with --name");
  }
  const fs::path store = model_store_folder(catalog_path);
  const fs::path final_dir = store / out.name;
  std::error_code ec;
  if (fs::exists(final_dir, ec) && !options.replace) {
    throw ModelStoreError("a model named '" + out.name + "' is already in the store (" +
                          final_dir.string() + "): choose another --name, or --force to replace it");
  }

  Settings settings;
  if (source.open_clip_config) settings = read_open_clip_config(*source.open_clip_config, source.config_path);
  out.warnings = settings.warnings;
  bool quick_gelu = true;
  if (!options.activation.empty()) {
    quick_gelu = options.activation == "quick_gelu";
  } else if (settings.quick_gelu) {
    quick_gelu = *settings.quick_gelu;
  }

  say(options, "reading " + source.weights.string() + "...");
  const int vision_heads = options.vision_heads > 0 ? options.vision_heads : settings.vision_heads;
  const int text_heads = options.text_heads > 0 ? options.text_heads : settings.text_heads;
  const std::pair<bool, bool> heads_given{vision_heads > 0, text_heads > 0};
  clip::LoadedClip loaded =
      clip::load_clip_checkpoint(source.weights, vision_heads, text_heads, quick_gelu);
  out.source_format = format_name(source, loaded.format);
  out.config = loaded.config;
  out.weights_dtype = loaded.weights_dtype.empty() ? "F32" : loaded.weights_dtype;
  if (source.open_clip_config) check_against_weights(settings, loaded.config, source.config_path);
  if (!source.open_clip_config && options.activation.empty() && loaded.format != "torchscript") {
    out.warnings.push_back(source.weights.string() + " records no activation: assuming OpenAI's "
                           "QuickGELU; pass --activation gelu for open_clip models trained with "
                           "exact GELU (most LAION / DataComp ones, whose names lack '-quickgelu')");
  }
  const Tokenizer tokenizer = choose_tokenizer(source, settings, options);
  out.tokenizer = tokenizer.kind;
  if (tokenizer.kind == "clip_bpe" && loaded.config.vocab_size < ClipBpeTokenizer::kVocabSize) {
    throw ClipModelError(source.weights, "the weights embed " + std::to_string(loaded.config.vocab_size) +
                                             " tokens, fewer than the CLIP BPE vocabulary's " +
                                             std::to_string(ClipBpeTokenizer::kVocabSize) +
                                             ": pass the model's own --tokenizer");
  }
  say(options, "hashing the source...");
  out.source_sha256 = sha256_file(source.weights);

  // Written beside its final place, renamed when whole.
  fs::create_directories(store, ec);
  if (ec) throw ModelStoreError("cannot create the model store " + store.string() + ": " + ec.message());
  const fs::path dir = store / (".import-" + out.name);
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) throw ModelStoreError("cannot create " + dir.string() + ": " + ec.message());
  struct Cleanup {
    fs::path dir;
    bool armed = true;
    ~Cleanup() {
      std::error_code ignored;
      if (armed) fs::remove_all(dir, ignored);
    }
  } cleanup{dir};

  write_tokenizer(tokenizer, dir);
  const std::array<float, 3> mean = settings.mean.value_or(clip::kOpenAiMean);
  const std::array<float, 3> std_ = settings.std.value_or(clip::kOpenAiStd);
  const int context = settings.context_length.value_or(loaded.config.context_length);

  // The reference embeddings of one probe image and text: the checkpoint's own code where it has
  // any, else the source weights as loaded.
  Probe probe;
  {
    const auto text_tokenizer =
        make_text_tokenizer(tokenizer.kind, dir / tokenizer.out_name, dir / "model.json");
    clip::PreprocessOptions pre;
    pre.image_size = loaded.config.image_resolution;
    pre.mean = mean;
    pre.std = std_;
    probe = make_probe(*text_tokenizer, pre, context);
  }
  std::optional<Reference> reference;
  if (loaded.format == "torchscript") {
    say(options, "running the checkpoint's own TorchScript code for reference...");
    reference = torchscript_reference(source.weights, probe, loaded.config.context_length, out.warnings);
  }
  if (reference) {
    auto& model = *loaded.model;
    if (cosine(direct_image(model, probe), reference->image) < kVerificationCosine && !heads_given.first) {
      const int heads = find_heads(model, model.visual->transformer, loaded.config.vision_width,
                                   [&] { return direct_image(model, probe); }, reference->image);
      if (heads > 0 && heads != loaded.config.vision_heads) {
        out.warnings.push_back("the vision tower has " + std::to_string(heads) + " attention heads, "
                               "not width/64 = " + std::to_string(loaded.config.vision_heads) +
                               " (found by running the checkpoint's own code)");
        loaded.config.vision_heads = heads;
      } else {
        set_heads(model.visual->transformer, loaded.config.vision_heads);
      }
    }
    if (cosine(direct_text(model, probe), reference->text) < kVerificationCosine && !heads_given.second) {
      const int heads = find_heads(model, model.transformer, loaded.config.text_width,
                                   [&] { return direct_text(model, probe); }, reference->text);
      if (heads > 0 && heads != loaded.config.text_heads) {
        out.warnings.push_back("the text tower has " + std::to_string(heads) + " attention heads, "
                               "not width/64 = " + std::to_string(loaded.config.text_heads) +
                               " (found by running the checkpoint's own code)");
        loaded.config.text_heads = heads;
      } else {
        set_heads(model.transformer, loaded.config.text_heads);
      }
    }
  } else {
    reference = Reference{direct_image(*loaded.model, probe), direct_text(*loaded.model, probe),
                          "the source weights loaded directly (a round trip of the conversion: a " +
                              out.source_format + " file carries no reference code)"};
  }
  out.config = loaded.config;

  say(options, "writing " + (final_dir / "model.safetensors").string() + "...");
  write_weights(*loaded.model, loaded.tensor_dtypes, dir / "model.safetensors");
  out.weights_sha256 = sha256_file(dir / "model.safetensors");
  out.weights_bytes = fs::file_size(dir / "model.safetensors");

  const std::string precision = options.precision.empty() ? "auto" : options.precision;
  json model = {{"name", out.name},
                {"weights", "model.safetensors"},
                {"weights_sha256", out.weights_sha256},
                {"weights_bytes", out.weights_bytes},
                {"tokenizer", {{"kind", tokenizer.kind}, {"file", tokenizer.out_name}}},
                {"image_size", loaded.config.image_resolution},
                {"context_length", context},
                {"mean", mean},
                {"std", std_},
                {"vision_heads", loaded.config.vision_heads},
                {"text_heads", loaded.config.text_heads},
                {"activation", quick_gelu ? "quick_gelu" : "gelu"},
                {"precision", "fp32"},
                {"architecture", loaded.config.describe()},
                {"embed_dim", loaded.config.embed_dim},
                {"source",
                 {{"path", fs::absolute(source_path, ec).string()},
                  {"format", out.source_format},
                  {"sha256", out.source_sha256},
                  {"weights_sha256", out.weights_sha256},
                  {"url", options.source_url},
                  {"licence", options.licence.empty() ? source.licence : options.licence}}}};
  if (tokenizer.kind == "sentencepiece") {
    model["tokenizer"]["add_bos"] = false;
    model["tokenizer"]["add_eos"] = true;
  }
  {
    std::ofstream f(dir / "model.json");
    f << model.dump(2) << "\n";
    if (!f) throw ModelStoreError("cannot write " + (dir / "model.json").string());
  }

  // The written folder, loaded as every command will load it, against the reference.
  say(options, "verifying the written folder: one text and one image...");
  {
    ClipLoadOptions load;
    load.precision = "fp32";
    auto encoder = ClipEncoder::load(dir, load);
    std::vector<float> pixels(probe.image.data_ptr<float>(),
                              probe.image.data_ptr<float>() + probe.image.numel());
    const auto image = encoder->encode_preprocessed_images(pixels, 1)[0];
    const auto text = encoder->encode_texts({kVerificationText})[0];
    for (float v : image) {
      if (!std::isfinite(v)) throw ClipModelError(source.weights, "the image embedding is not finite");
    }
    for (float v : text) {
      if (!std::isfinite(v)) throw ClipModelError(source.weights, "the text embedding is not finite");
    }
    const auto as_tensor = [](const std::vector<float>& v) {
      return torch::tensor(v, torch::kFloat);
    };
    const double image_cos = cosine(as_tensor(image), reference->image);
    const double text_cos = cosine(as_tensor(text), reference->text);
    out.parity_cosine = std::min(image_cos, text_cos);
    out.parity_reference = reference->description;
    if (out.parity_cosine < kVerificationCosine) {
      throw ClipModelError(source.weights,
                           "verification failed: the imported model's embeddings differ from " +
                               reference->description + " (image cosine " + std::to_string(image_cos) +
                               ", text cosine " + std::to_string(text_cos) +
                               "; expected >= 0.99999): an architecture variant this CLIP does not "
                               "compute, or a wrong --activation?");
    }
  }
  loaded = {};  // free the source model before measuring precisions

  say(options, "measuring precisions on this machine (fp32, bf16, int8)...");
  out.measured = measure_auto_precision(dir, precision_support());
  out.precision = precision;
  if (precision != "auto") {
    const Precision p = *parse_precision(precision);
    if (!precision_support().supports(p)) {
      out.warnings.push_back(precision + " is not supported on this machine (" +
                             precision_support().problem(p) + "): it runs as fp32 here");
    }
  }
  update_model_json(dir, "precision", precision);
  update_model_json(dir, "precision_auto", out.measured.to_json());
  update_model_json(dir, "parity", {{"min_cosine", out.parity_cosine}, {"reference", out.parity_reference}});

  ModelCardInput card;
  card.model = &out;
  card.source = fs::absolute(source_path, ec).string();
  card.source_url = options.source_url;
  card.licence = options.licence.empty() ? source.licence : options.licence;
  card.activation = quick_gelu ? "quick_gelu" : "gelu";
  card.mean = triple_string(mean);
  card.std = triple_string(std_);
  card.imported_at = utc_now();
  {
    std::ofstream f(dir / "MODEL_CARD.md");
    f << render_model_card(card);
    if (!f) throw ModelStoreError("cannot write " + (dir / "MODEL_CARD.md").string());
  }

  if (fs::exists(final_dir, ec)) {
    fs::remove_all(final_dir, ec);
    if (ec) throw ModelStoreError("cannot replace " + final_dir.string() + ": " + ec.message());
  }
  fs::rename(dir, final_dir, ec);
  if (ec) throw ModelStoreError("cannot move the model into " + final_dir.string() + ": " + ec.message());
  cleanup.armed = false;
  out.dir = final_dir;
  return out;
}

}  // namespace palimpsest

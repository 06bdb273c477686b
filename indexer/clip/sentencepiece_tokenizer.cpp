#include "indexer/clip/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <system_error>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/sentencepiece_plugin_api.h"

#ifndef PALIMPSEST_SENTENCEPIECE_PLUGIN_BUILD_PATH
#define PALIMPSEST_SENTENCEPIECE_PLUGIN_BUILD_PATH ""
#endif

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

constexpr size_t kErrCap = 1024;

struct Plugin {
  fs::path path;
  decltype(&pspm_api_version) api_version = nullptr;
  decltype(&pspm_load) load = nullptr;
  decltype(&pspm_release) release = nullptr;
  decltype(&pspm_encode) encode = nullptr;
  decltype(&pspm_decode) decode = nullptr;
  decltype(&pspm_id_to_piece) id_to_piece = nullptr;
  decltype(&pspm_piece_size) piece_size = nullptr;
  decltype(&pspm_special_ids) special_ids = nullptr;
  decltype(&pspm_train) train = nullptr;
};

template <typename F>
void resolve(void* handle, const fs::path& path, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  if (out == nullptr) {
    throw ClipError("sentencepiece plugin " + path.string() + ": missing symbol " + name);
  }
}

// Loaded once per process: dlmopen namespaces are a scarce resource (glibc allows 16).
const Plugin& plugin() {
  static std::mutex mutex;
  static const Plugin* loaded = nullptr;
  std::lock_guard lock(mutex);
  if (loaded != nullptr) return *loaded;

  const fs::path path = sentencepiece_plugin_path();
  dlerror();
  void* handle = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw ClipError("cannot load the sentencepiece plugin " + path.string() + ": " +
                    (why ? why : "unknown dlmopen error"));
  }
  auto p = std::make_unique<Plugin>();
  p->path = path;
  resolve(handle, path, "pspm_api_version", p->api_version);
  resolve(handle, path, "pspm_load", p->load);
  resolve(handle, path, "pspm_release", p->release);
  resolve(handle, path, "pspm_encode", p->encode);
  resolve(handle, path, "pspm_decode", p->decode);
  resolve(handle, path, "pspm_id_to_piece", p->id_to_piece);
  resolve(handle, path, "pspm_piece_size", p->piece_size);
  resolve(handle, path, "pspm_special_ids", p->special_ids);
  resolve(handle, path, "pspm_train", p->train);
  const int version = p->api_version();
  if (version != PALIMPSEST_SPM_API_VERSION) {
    throw ClipError("sentencepiece plugin " + path.string() + " has interface version " +
                    std::to_string(version) + ", expected " +
                    std::to_string(PALIMPSEST_SPM_API_VERSION) + " (rebuild it)");
  }
  loaded = p.release();  // Lives as long as the process, like the namespace.
  return *loaded;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string error_text(const char* err) { return err[0] ? std::string(err) : "unknown error"; }

}  // namespace

fs::path sentencepiece_plugin_path() {
  if (const char* env = std::getenv(kSentencePiecePluginEnv); env != nullptr && *env != '\0') {
    if (!is_file(env)) {
      throw ClipError(std::string("sentencepiece plugin not found: $") + kSentencePiecePluginEnv +
                      " names " + env + ", which is not a file");
    }
    return env;
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / kSentencePiecePluginFile);
  const std::string build_path = PALIMPSEST_SENTENCEPIECE_PLUGIN_BUILD_PATH;
  if (!build_path.empty()) candidates.emplace_back(build_path);
  for (const auto& c : candidates) {
    if (is_file(c)) return c;
  }
  std::string searched;
  for (const auto& c : candidates) searched += (searched.empty() ? "" : ", ") + c.string();
  throw ClipError(std::string("sentencepiece plugin ") + kSentencePiecePluginFile +
                  " not found (searched " + searched + "; set $" + kSentencePiecePluginEnv +
                  " to its path)");
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const fs::path& model_file) {
  if (!is_file(model_file)) {
    throw TokenizerError(model_file, "sentencepiece model file not found");
  }
  const Plugin& p = plugin();
  char err[kErrCap] = {0};
  pspm_processor* processor = p.load(model_file.c_str(), err, sizeof err);
  if (processor == nullptr) {
    throw TokenizerError(model_file, "not a usable sentencepiece model: " + error_text(err));
  }
  std::unique_ptr<SentencePieceTokenizer> tok(new SentencePieceTokenizer);
  tok->file_ = model_file;
  tok->processor_ = processor;
  tok->piece_size_ = p.piece_size(processor);
  int32_t unk = -1, bos = -1, eos = -1, pad = -1;
  p.special_ids(processor, &unk, &bos, &eos, &pad);
  tok->unk_id_ = unk;
  tok->bos_id_ = bos;
  tok->eos_id_ = eos;
  tok->pad_id_ = pad;
  return tok;
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (processor_ != nullptr) plugin().release(processor_);
}

std::vector<int> SentencePieceTokenizer::encode(std::string_view text) const {
  const Plugin& p = plugin();
  std::vector<int32_t> ids(text.size() + 8);
  char err[kErrCap] = {0};
  long n = p.encode(processor_, text.data(), text.size(), ids.data(), ids.size(), err, sizeof err);
  if (n > static_cast<long>(ids.size())) {
    ids.resize(static_cast<size_t>(n));
    n = p.encode(processor_, text.data(), text.size(), ids.data(), ids.size(), err, sizeof err);
  }
  if (n < 0) throw TokenizerError(file_, "sentencepiece encode failed: " + error_text(err));
  return std::vector<int>(ids.begin(), ids.begin() + n);
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids) const {
  const Plugin& p = plugin();
  std::vector<int32_t> in(ids.begin(), ids.end());
  std::string out(ids.size() * 8 + 16, '\0');
  char err[kErrCap] = {0};
  long n = p.decode(processor_, in.data(), in.size(), out.data(), out.size(), err, sizeof err);
  if (n > static_cast<long>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = p.decode(processor_, in.data(), in.size(), out.data(), out.size(), err, sizeof err);
  }
  if (n < 0) throw TokenizerError(file_, "sentencepiece decode failed: " + error_text(err));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string SentencePieceTokenizer::id_to_piece(int id) const {
  const Plugin& p = plugin();
  std::string out(64, '\0');
  long n = p.id_to_piece(processor_, id, out.data(), out.size());
  if (n > static_cast<long>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = p.id_to_piece(processor_, id, out.data(), out.size());
  }
  if (n < 0) {
    throw TokenizerError(file_, "id " + std::to_string(id) + " is outside the vocabulary of " +
                                    std::to_string(piece_size_) + " pieces");
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

fs::path train_sentencepiece(const SentencePieceTrainOptions& options) {
  if (options.inputs.empty()) throw TokenizerError("sentencepiece training: no input files");
  std::string inputs;
  for (const auto& in : options.inputs) {
    if (!is_file(in)) throw TokenizerError(in, "sentencepiece training input not found");
    inputs += (inputs.empty() ? "" : ",") + in.string();
  }
  if (options.model_prefix.empty()) {
    throw TokenizerError("sentencepiece training: no model prefix");
  }
  std::vector<std::pair<std::string, std::string>> flags = {
      {"input", inputs},
      {"model_prefix", options.model_prefix.string()},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"model_type", options.model_type},
      {"character_coverage", std::to_string(options.character_coverage)},
  };
  if (options.quiet) flags.emplace_back("minloglevel", "2");
  for (const auto& kv : options.extra) flags.push_back(kv);
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : flags) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  const Plugin& p = plugin();
  char err[kErrCap] = {0};
  if (p.train(keys.data(), values.data(), keys.size(), err, sizeof err) != 0) {
    throw TokenizerError(options.model_prefix,
                         "sentencepiece training failed: " + error_text(err));
  }
  fs::path model = options.model_prefix;
  model += ".model";
  if (!is_file(model)) throw TokenizerError(model, "sentencepiece training wrote no model");
  return model;
}

}  // namespace palimpsest

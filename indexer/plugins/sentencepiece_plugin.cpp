// The sentencepiece plugin: a shared library with a C interface (indexer/clip/
// sentencepiece_plugin_api.h), loaded with dlmopen() into its own link namespace so that
// sentencepiece's bundled protobuf never meets the protobuf libtorch uses.

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include "indexer/clip/sentencepiece_plugin_api.h"

struct pspm_processor {
  sentencepiece::SentencePieceProcessor sp;
};

namespace {

void set_error(char* err, size_t err_cap, const std::string& message) {
  if (err == nullptr || err_cap == 0) return;
  const size_t n = std::min(message.size(), err_cap - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

long copy_out(const std::string& bytes, char* out, size_t cap) {
  if (out != nullptr) std::memcpy(out, bytes.data(), std::min(cap, bytes.size()));
  return static_cast<long>(bytes.size());
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pspm_api_version(void) {
  return PALIMPSEST_SPM_API_VERSION;
}

__attribute__((visibility("default"))) pspm_processor* pspm_load(const char* model_path, char* err,
                                                                  size_t err_cap) {
  try {
    auto* processor = new pspm_processor;
    const auto status = processor->sp.Load(model_path);
    if (!status.ok()) {
      set_error(err, err_cap, status.ToString());
      delete processor;
      return nullptr;
    }
    return processor;
  } catch (const std::exception& e) {
    set_error(err, err_cap, e.what());
  } catch (...) {
    set_error(err, err_cap, "unknown error");
  }
  return nullptr;
}

__attribute__((visibility("default"))) void pspm_release(pspm_processor* processor) {
  delete processor;
}

__attribute__((visibility("default"))) long pspm_encode(const pspm_processor* processor,
                                                         const char* text, size_t text_len,
                                                         int32_t* ids, size_t cap, char* err,
                                                         size_t err_cap) {
  try {
    std::vector<int> out;
    const auto status = processor->sp.Encode(std::string(text, text_len), &out);
    if (!status.ok()) {
      set_error(err, err_cap, status.ToString());
      return -1;
    }
    if (ids != nullptr) {
      const size_t n = std::min(cap, out.size());
      for (size_t i = 0; i < n; ++i) ids[i] = out[i];
    }
    return static_cast<long>(out.size());
  } catch (const std::exception& e) {
    set_error(err, err_cap, e.what());
  } catch (...) {
    set_error(err, err_cap, "unknown error");
  }
  return -1;
}

__attribute__((visibility("default"))) long pspm_decode(const pspm_processor* processor,
                                                         const int32_t* ids, size_t count,
                                                         char* out, size_t cap, char* err,
                                                         size_t err_cap) {
  try {
    const int pieces = processor->sp.GetPieceSize();
    std::vector<int> in(ids, ids + count);
    for (int id : in) {
      if (id < 0 || id >= pieces) {
        set_error(err, err_cap, "id " + std::to_string(id) + " out of range [0, " +
                                    std::to_string(pieces) + ")");
        return -1;
      }
    }
    std::string text;
    const auto status = processor->sp.Decode(in, &text);
    if (!status.ok()) {
      set_error(err, err_cap, status.ToString());
      return -1;
    }
    return copy_out(text, out, cap);
  } catch (const std::exception& e) {
    set_error(err, err_cap, e.what());
  } catch (...) {
    set_error(err, err_cap, "unknown error");
  }
  return -1;
}

__attribute__((visibility("default"))) long pspm_id_to_piece(const pspm_processor* processor,
                                                              int32_t id, char* out, size_t cap) {
  try {
    if (id < 0 || id >= processor->sp.GetPieceSize()) return -1;
    return copy_out(processor->sp.IdToPiece(id), out, cap);
  } catch (...) {
    return -1;
  }
}

__attribute__((visibility("default"))) int pspm_piece_size(const pspm_processor* processor) {
  try {
    return processor->sp.GetPieceSize();
  } catch (...) {
    return -1;
  }
}

__attribute__((visibility("default"))) void pspm_special_ids(const pspm_processor* processor,
                                                              int32_t* unk, int32_t* bos,
                                                              int32_t* eos, int32_t* pad) {
  try {
    if (unk) *unk = processor->sp.unk_id();
    if (bos) *bos = processor->sp.bos_id();
    if (eos) *eos = processor->sp.eos_id();
    if (pad) *pad = processor->sp.pad_id();
  } catch (...) {
  }
}

__attribute__((visibility("default"))) int pspm_train(const char* const* keys,
                                                       const char* const* values, size_t count,
                                                       char* err, size_t err_cap) {
  try {
    std::unordered_map<std::string, std::string> kwargs;
    for (size_t i = 0; i < count; ++i) kwargs[keys[i]] = values[i];
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs);
    if (!status.ok()) {
      set_error(err, err_cap, status.ToString());
      return -1;
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_cap, e.what());
  } catch (...) {
    set_error(err, err_cap, "unknown error");
  }
  return -1;
}

}  // extern "C"

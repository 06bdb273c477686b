#pragma once
// CLIP text and image embeddings. No torch in this header: the model lives behind a pimpl.
//
// A model folder holds model.json:
//   {"name": "palimpsest-tiny",
//    "weights": "model.safetensors",            // or an OpenAI TorchScript .pt
//    "tokenizer": {"kind": "clip_bpe", "file": "bpe_simple_vocab_16e6.txt.gz"},
//                 // or {"kind": "sentencepiece", "file": "spm.model",
//                 //     "add_bos": false, "add_eos": true}
//    "image_size": 224, "context_length": 77,    // optional; must agree with the weights
//    "mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711],
//    "vision_heads": 12, "text_heads": 8,        // optional; default width / 64
//    "activation": "quick_gelu",                // optional; "gelu" for many open_clip models
//    "precision": "auto"}                       // optional; "fp32" (default), "bf16", "int8"
//                                               // or "auto" (see clip_precision.h)
// Paths are relative to the folder unless absolute. `palimpsest model import` also writes
// "architecture", "embed_dim", "source", "parity" and "precision_auto"; they are descriptive.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "indexer/clip/clip_error.h"
#include "indexer/media/rgb_image.h"

namespace palimpsest {

class TextTokenizer;
namespace clip {
class ClipModelImpl;
struct PreprocessOptions;
}  // namespace clip

struct ClipModelInfo {
  std::string name;
  int embed_dim = 0;
  int image_size = 0;
  int context_length = 0;
  std::string weights_sha256;
  std::string device;        // "cpu", "cuda", "cuda:1"
  std::string architecture;  // e.g. "ViT-p32 224px w768 l12 h12, text w512 l12 h8 ctx77 ..."
  std::string tokenizer;     // "clip_bpe" | "sentencepiece"
  std::string precision;     // what runs: "fp32", "bf16", "int8" (CPU) or "fp16" (CUDA)
  // Things a user should hear about the load, one line each: a precision that fell back to fp32
  // (unsupported here) and why, an "auto" measured now because model.json had none for this
  // machine. Empty when nothing happened worth saying.
  std::vector<std::string> notes;
};

struct ClipLoadOptions {
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N" (fp16 on CUDA)
  // "" = model.json's "precision" (fp32 when absent); "fp32", "bf16", "int8" or "auto". A
  // precision this machine does not run falls back to fp32 with a note.
  std::string precision;
  // "auto" without a measurement for this machine in model.json: measure now (a few seconds to
  // a minute, by model size) and record it in model.json when the folder is writable; false:
  // use fp32 with a note.
  bool measure_auto = true;
};

// Thread-compatible: one thread at a time per encoder (use one encoder per thread otherwise).
class ClipEncoder {
 public:
  // Loads model.json, the weights and the tokenizer. device: "cpu", "cuda" or "cuda:N" (fp16 on
  // CUDA). Throws ClipModelError / TokenizerError naming the file and the problem, and ClipError
  // when CUDA is asked for but unavailable.
  static std::unique_ptr<ClipEncoder> load(const std::filesystem::path& model_dir,
                                           const std::string& device = "cpu");
  // The same with a precision choice. Throws ClipModelError for an unknown precision name.
  static std::unique_ptr<ClipEncoder> load(const std::filesystem::path& model_dir,
                                           const ClipLoadOptions& options);
  ~ClipEncoder();
  ClipEncoder(const ClipEncoder&) = delete;
  ClipEncoder& operator=(const ClipEncoder&) = delete;

  const ClipModelInfo& info() const;

  // L2-normalised embeddings, one row of embed_dim floats per input, batched internally.
  std::vector<std::vector<float>> encode_texts(const std::vector<std::string>& texts);
  std::vector<std::vector<float>> encode_images(const std::vector<RgbImage>& images);
  // Images already preprocessed: count x 3 x image_size x image_size floats (CHW, normalised).
  std::vector<std::vector<float>> encode_preprocessed_images(const std::vector<float>& nchw,
                                                             int count);
  // Token rows (at most context_length ids each, equal lengths); features are taken at each
  // row's largest id, OpenAI's end-of-text rule (right for clip_bpe rows).
  std::vector<std::vector<float>> encode_token_ids(
      const std::vector<std::vector<std::int64_t>>& ids);

  // exp(logit_scale): the factor CLIP applies to cosine similarities to get logits.
  float logit_scale() const;
  const TextTokenizer& tokenizer() const;
  // The torch module and image normalisation behind the encoder, for code that needs gradients
  // through the image tower (synth/clip_guidance.h). Same thread rule as the encoder.
  clip::ClipModelImpl& module();
  const clip::PreprocessOptions& preprocess_options() const;

  int batch_size() const { return batch_size_; }
  void set_batch_size(int n) { batch_size_ = n > 0 ? n : 1; }

 private:
  struct Impl;
  explicit ClipEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int batch_size_ = 32;
};

}  // namespace palimpsest

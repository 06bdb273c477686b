#pragma once
// `palimpsest model import`: turns a CLIP checkpoint into a model folder in the model store
// (model_store.h) and checks it.
//
// Sources, told apart by content (the extension is only a hint):
// - an OpenAI TorchScript checkpoint (ViT-B-32.pt, ...: torch::jit::load);
// - an open_clip safetensors file (open_clip_model.safetensors, OpenAI key names);
// - a torch.save'd state dict (open_clip_pytorch_model.bin, training checkpoints with a
//   "state_dict"; read by TorchStateDictReader, never unpickled with code);
// - a Hugging Face open_clip folder: open_clip_config.json + open_clip_model.safetensors or
//   open_clip_pytorch_model.bin (+ merges.txt, the CLIP BPE merges in Hugging Face's layout).
//
// The architecture comes from the weight shapes (infer_clip_config); open_clip_config.json adds
// what the weights do not show: the activation (model_cfg.quick_gelu; open_clip's default is
// exact GELU), mean/std, image size, context length, head counts (vision width / head_width,
// text_cfg.heads). A bare file has no config: OpenAI's conventions are assumed (QuickGELU,
// OpenAI's mean/std, width/64 heads) and a warning says so for non-OpenAI files (--activation).
// Configurations this CLIP does not compute (timm or Hugging Face towers, attentional pooling,
// layer scale, non-"tok" pooling, ...) are refused with the option named.
//
// Head counts are not in the weights either: the config's, else width / 64 (OpenAI's rule);
// for a TorchScript checkpoint, a guess its own code disagrees with is corrected by trying the
// width's divisors against it (and said so).
//
// The folder (written as `.import-<name>/`, renamed when whole) holds:
//   model.safetensors  the weights, OpenAI names, in the checkpoint's float type (fp16 stays fp16)
//   model.json         what ClipEncoder reads, plus architecture, embed_dim, source, parity,
//                      weights_sha256/weights_bytes and the precision choice
//   <tokenizer file>   bpe_simple_vocab_16e6.txt.gz (or the sentencepiece model given)
//   MODEL_CARD.md      from the template in model_card.h
// Then it is verified: loaded back through ClipEncoder, one text and one image embedded and
// compared (cosine) with the checkpoint's own code where it has any (the TorchScript methods
// encode_text / encode_image of an OpenAI checkpoint), else with the source weights loaded
// directly (a round trip of the conversion). The precision measurement (clip_precision.h) runs
// on the written folder.
//
// Every problem is one ClipError line naming the file: an unknown format, a missing or
// inconsistent tensor, an unsupported option, a name already in the store (--force replaces).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "indexer/clip/clip_config.h"
#include "indexer/clip/clip_precision.h"

namespace palimpsest {

struct ImportOptions {
  std::string name;                 // "" = from the source's file or folder name
  std::filesystem::path tokenizer;  // CLIP BPE merges (.txt.gz, or merges.txt) or sentencepiece .model
  std::string precision = "auto";   // auto | fp32 | bf16 | int8: stored in model.json
  std::string activation;           // "" = from the config / OpenAI's QuickGELU; "gelu" | "quick_gelu"
  int vision_heads = 0;             // 0 = from the config, else width / 64 (a TorchScript
  int text_heads = 0;               //     checkpoint's own code corrects a wrong guess)
  std::string source_url;           // recorded in the card (fetch)
  std::string licence;              // recorded in the card; "" = from the folder's README or unknown
  bool replace = false;             // replace a store model of the same name
  // The CLIP BPE vocabulary when the weights come without a tokenizer and none is given
  // (model fetch: downloaded and verified). Unset: such an import fails with a line saying to
  // pass --tokenizer.
  std::function<std::filesystem::path()> clip_vocabulary;
  // One line per step ("reading ...", "verifying ...") for the caller to print.
  std::function<void(const std::string&)> progress;
};

struct ImportedModel {
  std::string name;
  std::filesystem::path dir;
  std::string source_format;   // "openai-torchscript", "safetensors", "state-dict", "open_clip-folder"
  std::string source_sha256;   // of the checkpoint file
  std::string weights_sha256;  // of the written model.safetensors (the catalog's model identity)
  std::string weights_dtype;   // "F32", "F16", "BF16"
  std::uint64_t weights_bytes = 0;
  ClipConfig config;
  std::string tokenizer;       // "clip_bpe" | "sentencepiece"
  std::string precision;       // what model.json asks for
  AutoPrecision measured;      // precisions measured on this machine
  double parity_cosine = 0;    // worst cosine of the verification embeddings to the reference
  std::string parity_reference;
  std::vector<std::string> warnings;  // one line each: assumptions, fallbacks
};

ImportedModel import_model(const std::filesystem::path& catalog_path,
                           const std::filesystem::path& source, const ImportOptions& options);

// The name `import` gives a source when --name is not given: the file's stem or the folder's
// name, with characters outside [A-Za-z0-9._-] replaced by '-'.
std::string default_model_name(const std::filesystem::path& source);

}  // namespace palimpsest

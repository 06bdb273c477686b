#pragma once
// Trains a small CLIP from scratch on procedural demo scenes and their captions (what
// `palimpsest train` runs to make the embedded default model, palimpsest-tiny). No torch in this
// header: the model and optimiser live behind a pimpl.
//
// The recipe is CLIP's: the OpenAI-named ClipModel modules (so the result loads through
// ClipEncoder::load like any checkpoint), a symmetric InfoNCE loss over each batch with a learned
// temperature (logit scale clamped at ln 100), AdamW with linear warm-up and cosine decay. The
// text side uses a sentencepiece BPE model trained on the training captions, and the features are
// taken at the end-of-text token that the tokenizer row marks, exactly as ClipEncoder does at
// inference. Everything is reproducible from the seeds (same thread count).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "indexer/training/clip_train_data.h"
#include "indexer/media/rgb_image.h"

namespace palimpsest {

struct ClipTrainConfig {
  std::string name = "palimpsest-tiny";
  // Architecture.
  int image_size = 32;
  int patch_size = 8;
  int vision_width = 128;
  int vision_layers = 4;
  int vision_heads = 4;
  int text_width = 128;
  int text_layers = 3;
  int text_heads = 4;
  int context_length = 32;
  int embed_dim = 96;
  // sentencepiece BPE pieces. Enough for every caption word to become one piece (about 60
  // words; the rest are characters and fragments that spell unknown words); trained with
  // hard_vocab_limit=false, so it may come out smaller when the captions hold fewer.
  int vocab_size = 256;
  // Data.
  int train_pairs = 20000;       // rendered once, then sampled into batches
  int eval_pairs = 500;          // each evaluation gallery (held-out and seen)
  int render_size = 0;           // training renders' size before preprocessing; 0: image_size
  double held_out_fraction = 0.1;
  std::uint64_t split_seed = 7;  // which combinations are held out
  // Optimisation.
  int steps = 600;
  int batch_size = 128;
  int warmup_steps = 60;
  double learning_rate = 1e-3;
  double weight_decay = 0.1;
  int eval_every = 0;            // retrieval on the galleries every N steps (0: never mid-run)
  std::uint64_t seed = 1;        // data, initialisation and batch order
};

// One optimisation step, for progress output.
struct ClipTrainStep {
  int step = 0;  // 1-based
  int steps = 0;
  double loss = 0;
  double logit_scale = 0;  // exp(logit_scale) after the step; the temperature is its inverse
  double learning_rate = 0;
  double elapsed_s = 0;    // training time so far
  double pairs_per_s = 0;
  double eta_s = 0;
};

// Retrieval measured during training (eval_every) on the held-out gallery.
struct ClipTrainCheckpoint {
  int step = 0;
  double loss = 0;  // mean training loss over the steps since the previous checkpoint
  clip::RetrievalScores held_out;
  clip::RetrievalScores seen;
};

struct ClipTrainReport {
  ClipTrainConfig config;
  std::string architecture;  // ClipConfig::describe()
  std::int64_t parameters = 0;
  int vocab_size = 0;        // pieces in the trained tokenizer
  int max_caption_tokens = 0;
  int truncated_captions = 0;
  std::vector<clip::Combination> held_out_combinations;
  int steps_done = 0;
  std::vector<double> losses;  // one per step
  double final_loss = 0;       // mean of the last 5% of steps (at least one)
  double final_logit_scale = 0;
  std::vector<ClipTrainCheckpoint> curve;
  double tokenizer_seconds = 0;
  double data_seconds = 0;
  double train_seconds = 0;
  double eval_seconds = 0;
  int threads = 0;
  std::string blas;  // blas_library(): the BLAS behind the matrix products
  // Final retrieval: unseen combinations, seen-combination validation (fresh scenes), and the
  // unseen combinations rendered at 128 px (the demo archive's still size), downscaled by the
  // preprocessing as at inference.
  clip::RetrievalScores held_out;
  clip::RetrievalScores seen;
  clip::RetrievalScores held_out_128px;
};

// training_report.json's content.
std::string training_report_json(const ClipTrainReport& report);

class ClipTrainer {
 public:
  using Log = std::function<void(const std::string&)>;

  // Trains the tokenizer on the training captions (into `work_dir`, which must exist), renders
  // the training pool and the evaluation galleries, and initialises the model. `log` receives a
  // line per phase. Throws std::invalid_argument for an unusable configuration.
  ClipTrainer(const ClipTrainConfig& config, const std::filesystem::path& work_dir,
              const Log& log = {});
  ~ClipTrainer();
  ClipTrainer(const ClipTrainer&) = delete;
  ClipTrainer& operator=(const ClipTrainer&) = delete;

  // Runs the configured number of steps, calling `progress` after each one.
  void train(const std::function<void(const ClipTrainStep&)>& progress = {});
  // Fills the report's final retrieval scores with the current weights.
  void evaluate();
  const ClipTrainReport& report() const;

  // Writes model.safetensors, model.json, the tokenizer model and training_report.json into
  // `dir` (created if needed), a folder ClipEncoder::load reads.
  void save(const std::filesystem::path& dir) const;

  // L2-normalised embeddings from the in-memory model, through the same tokenizer rows and
  // preprocessing as ClipEncoder.
  std::vector<std::vector<float>> encode_texts(const std::vector<std::string>& texts);
  std::vector<std::vector<float>> encode_images(const std::vector<RgbImage>& images);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest

// The torch side of `palimpsest train`: data as tensors, CLIP's initialisation, the contrastive
// step, evaluation and saving. Scene generation and the held-out split are torch-free
// (clip_train_data.cpp), as is the report's JSON (clip_train_report.cpp).
#include "indexer/training/clip_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <numbers>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_model.h"
#include "indexer/clip/clip_preprocess.h"
#include "indexer/clip/clip_tokenizer.h"
#include "indexer/clip/safetensors.h"
#include "indexer/clip/sentencepiece_tokenizer.h"
#include "indexer/runtime/runtime_info.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTokenizerFile = "tokenizer.model";
constexpr int kDemoStillSize = 128;         // DemoArchiveOptions' default still size
const double kMaxLogitScale = std::log(100.0);  // CLIP clamps exp(logit_scale) at 100
constexpr int kEncodeBatch = 256;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_config(const ClipTrainConfig& c) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("train: " + what);
  };
  require(c.image_size > 0 && c.patch_size > 0 && c.image_size % c.patch_size == 0,
          "image size must be a positive multiple of the patch size");
  require(c.vision_width > 0 && c.vision_heads > 0 && c.vision_width % c.vision_heads == 0,
          "vision width must be a positive multiple of the vision heads");
  require(c.text_width > 0 && c.text_heads > 0 && c.text_width % c.text_heads == 0,
          "text width must be a positive multiple of the text heads");
  require(c.vision_layers > 0 && c.text_layers > 0 && c.embed_dim > 0, "sizes must be positive");
  require(c.context_length >= 2, "context length must be at least 2");
  require(c.vocab_size >= 16, "vocabulary size must be at least 16");
  require(c.batch_size >= 2, "batch size must be at least 2");
  require(c.train_pairs >= c.batch_size, "--pairs must be at least the batch size");
  require(c.eval_pairs >= 2, "evaluation galleries need at least 2 pairs");
  require(c.steps >= 0 && c.warmup_steps >= 0, "steps must not be negative");
  require(c.learning_rate > 0 && c.weight_decay >= 0, "bad learning rate or weight decay");
  require(c.held_out_fraction > 0 && c.held_out_fraction < 0.5,
          "the held-out fraction must be in (0, 0.5)");
  require(c.render_size >= 0, "render size must not be negative");
}

ClipConfig architecture(const ClipTrainConfig& c, int vocab_size) {
  ClipConfig a;
  a.embed_dim = c.embed_dim;
  a.image_resolution = c.image_size;
  a.vision_layers = c.vision_layers;
  a.vision_width = c.vision_width;
  a.vision_heads = c.vision_heads;
  a.vision_patch_size = c.patch_size;
  a.vision_mlp_width = 4 * c.vision_width;
  a.context_length = c.context_length;
  a.vocab_size = vocab_size;
  a.text_width = c.text_width;
  a.text_heads = c.text_heads;
  a.text_layers = c.text_layers;
  a.text_mlp_width = 4 * c.text_width;
  a.quick_gelu = true;
  return a;
}

// OpenAI's CLIP.initialize_parameters, applied to both towers: small normal embeddings,
// attention and MLP weights scaled by width and depth so the residual stream starts calm, zero
// biases, unit LayerNorms, logit scale ln(1 / 0.07).
void initialize_clip(clip::ClipModelImpl& model) {
  torch::NoGradGuard no_grad;
  const ClipConfig& c = model.config();
  auto init_tower = [](clip::TransformerImpl& tower, int64_t width, int64_t layers) {
    const double attn_std = std::pow(static_cast<double>(width), -0.5);
    const double proj_std = attn_std * std::pow(2.0 * static_cast<double>(layers), -0.5);
    const double fc_std = std::pow(2.0 * static_cast<double>(width), -0.5);
    for (const auto& module : *tower.resblocks) {
      auto block = module->as<clip::ResidualBlock>();
      block->attn->in_proj_weight.normal_(0, attn_std);
      block->attn->in_proj_bias.zero_();
      block->attn->out_proj->weight.normal_(0, proj_std);
      block->attn->out_proj->bias.zero_();
      block->mlp->c_fc->weight.normal_(0, fc_std);
      block->mlp->c_fc->bias.zero_();
      block->mlp->c_proj->weight.normal_(0, proj_std);
      block->mlp->c_proj->bias.zero_();
    }
  };
  model.token_embedding->weight.normal_(0, 0.02);
  model.positional_embedding.normal_(0, 0.01);
  init_tower(*model.transformer, c.text_width, c.text_layers);
  model.text_projection.normal_(0, std::pow(static_cast<double>(c.text_width), -0.5));

  auto& visual = *model.visual;
  const double scale = std::pow(static_cast<double>(c.vision_width), -0.5);
  const double patch_fan_in = 3.0 * c.vision_patch_size * c.vision_patch_size;
  visual.conv1->weight.normal_(0, std::pow(patch_fan_in, -0.5));
  visual.class_embedding.normal_(0, scale);
  visual.positional_embedding.normal_(0, scale);
  visual.proj.normal_(0, scale);
  init_tower(*visual.transformer, c.vision_width, c.vision_layers);
  model.logit_scale.fill_(std::log(1.0 / 0.07));
}

// Tokenizer rows of many texts: ids [N, context] and end-of-text positions [N].
struct TokenRows {
  torch::Tensor ids, eot;
};

TokenRows tokenize_all(const TextTokenizer& tokenizer, const std::vector<std::string>& texts,
                       int context_length) {
  const auto n = static_cast<int64_t>(texts.size());
  TokenRows rows{torch::empty({n, context_length}, torch::kLong), torch::empty({n}, torch::kLong)};
  auto ids = rows.ids.accessor<int64_t, 2>();
  auto eot = rows.eot.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    const TokenizedText row = tokenizer.tokenize(texts[static_cast<std::size_t>(i)], context_length);
    for (int k = 0; k < context_length; ++k) ids[i][k] = row.ids[static_cast<std::size_t>(k)];
    eot[i] = row.eot;
  }
  return rows;
}

// Keeps the ids up to the batch's last end-of-text: the causal mask means later positions cannot
// change the features, so the shorter rows give the same result for less work.
torch::Tensor trim_to_eot(const torch::Tensor& ids, const torch::Tensor& eot) {
  return ids.slice(1, 0, eot.max().item<int64_t>() + 1);
}

torch::Tensor normalized(const torch::Tensor& x) { return x / x.norm(2, -1, true).clamp_min(1e-12); }

std::vector<std::vector<float>> to_rows(const torch::Tensor& features) {
  auto f = normalized(features.to(torch::kFloat)).contiguous();
  std::vector<std::vector<float>> rows(static_cast<std::size_t>(f.size(0)));
  const float* data = f.data_ptr<float>();
  const auto dim = f.size(1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].assign(data + i * dim, data + (i + 1) * dim);
  }
  return rows;
}

// An evaluation set: images preprocessed to the model resolution, captions and their rows.
struct Gallery {
  torch::Tensor images;
  std::vector<std::string> captions;
  TokenRows tokens;
};

torch::Tensor images_tensor(std::vector<float> pixels, int64_t count, int64_t size) {
  auto t = torch::from_blob(pixels.data(), {count, 3, size, size}, torch::kFloat).clone();
  return t;
}

std::vector<std::string> captions_of(const std::vector<clip::CaptionedScene>& scenes) {
  std::vector<std::string> out;
  out.reserve(scenes.size());
  for (const auto& s : scenes) out.push_back(s.caption);
  return out;
}

// Fisher-Yates on the engine's raw output, as the data split does.
void shuffle_raw(std::vector<int64_t>& values, std::mt19937_64& rng) {
  for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng() % i]);
}

}  // namespace

struct ClipTrainer::Impl {
  ClipTrainConfig config;
  fs::path tokenizer_file;
  Log log;
  ClipTrainReport report;
  std::unique_ptr<SentencePieceTextTokenizer> tokenizer;
  clip::PreprocessOptions preprocess;

  torch::Tensor train_images;  // [N, 3, S, S]
  TokenRows train_tokens;
  Gallery held_out, seen, held_out_128px;

  clip::ClipModel model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::mt19937_64 batch_rng;
  std::vector<int64_t> order;
  std::size_t cursor = 0;

  void say(const std::string& line) const {
    if (log) log(line);
  }

  torch::Tensor next_batch() {
    const auto batch = static_cast<std::size_t>(config.batch_size);
    if (cursor + batch > order.size()) {
      shuffle_raw(order, batch_rng);
      cursor = 0;
    }
    auto idx = torch::from_blob(order.data() + cursor, {config.batch_size}, torch::kLong).clone();
    cursor += batch;
    return idx;
  }

  double learning_rate(int step) const {  // step is 0-based
    const double base = config.learning_rate;
    if (step < config.warmup_steps) return base * (step + 1) / config.warmup_steps;
    const int decay_steps = std::max(1, config.steps - config.warmup_steps);
    const double progress = static_cast<double>(step - config.warmup_steps) / decay_steps;
    return base * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(progress, 1.0)));
  }

  torch::Tensor encode_images(const torch::Tensor& images) {
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < images.size(0); start += kEncodeBatch) {
      const int64_t end = std::min<int64_t>(images.size(0), start + kEncodeBatch);
      parts.push_back(model->encode_image(images.slice(0, start, end)));
    }
    return torch::cat(parts);
  }

  torch::Tensor encode_texts(const TokenRows& rows) {
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < rows.ids.size(0); start += kEncodeBatch) {
      const int64_t end = std::min<int64_t>(rows.ids.size(0), start + kEncodeBatch);
      const auto eot = rows.eot.slice(0, start, end);
      parts.push_back(model->encode_text(rows.ids.slice(0, start, end), eot));
    }
    return torch::cat(parts);
  }

  clip::RetrievalScores score(const Gallery& gallery) {
    c10::InferenceMode guard;
    model->eval();
    const auto text = to_rows(encode_texts(gallery.tokens));
    const auto image = to_rows(encode_images(gallery.images));
    return clip::retrieval_scores(text, image, gallery.captions);
  }

  Gallery make_gallery(const clip::HeldOutSplit& split, clip::SceneKind kind, int render_size,
                       std::mt19937_64& rng) {
    const auto scenes = clip::make_scenes(split, kind, config.eval_pairs, rng);
    Gallery g;
    g.captions = captions_of(scenes);
    g.images = images_tensor(
        clip::render_preprocessed(scenes, render_size, preprocess, report.threads),
        config.eval_pairs, config.image_size);
    g.tokens = tokenize_all(*tokenizer, g.captions, config.context_length);
    return g;
  }
};

ClipTrainer::ClipTrainer(const ClipTrainConfig& config, const fs::path& work_dir, const Log& log)
    : impl_(std::make_unique<Impl>()) {
  check_config(config);
  configure_torch_threads();
  Impl& m = *impl_;
  m.config = config;
  m.log = log;
  ClipTrainReport& r = m.report;
  r.config = config;
  r.threads = torch::get_num_threads();
  r.blas = blas_library();
  m.preprocess.image_size = config.image_size;  // OpenAI's mean and std, as model.json says

  const clip::HeldOutSplit split(config.split_seed, config.held_out_fraction);
  r.held_out_combinations = split.held_out();
  std::mt19937_64 data_rng(config.seed);
  const auto train_scenes =
      clip::make_scenes(split, clip::SceneKind::Training, config.train_pairs, data_rng);
  const auto train_captions = captions_of(train_scenes);

  // The tokenizer learns its pieces from the training captions only.
  auto start = Clock::now();
  m.say("training the sentencepiece tokenizer on " + std::to_string(train_captions.size()) +
        " captions");
  const fs::path corpus = work_dir / "tokenizer_corpus.txt";
  {
    std::ofstream out(corpus);
    for (const auto& c : train_captions) out << c << "\n";
    if (!out) throw std::runtime_error("train: cannot write " + corpus.string());
  }
  SentencePieceTrainOptions spm;
  spm.inputs = {corpus};
  spm.model_prefix = work_dir / fs::path(kTokenizerFile).stem();
  spm.vocab_size = config.vocab_size;
  // BPE, not unigram: on this small, repetitive corpus unigram's pruning keeps word fragments
  // ("▁l ar g e") and a caption becomes 40-65 pieces, past the context; BPE merges every caption
  // word into one piece. hard_vocab_limit=false lets it stop short of vocab_size instead of
  // failing. Case folding so "Red Circle" reads as the captions' "red circle".
  spm.model_type = "bpe";
  spm.extra = {{"hard_vocab_limit", "false"},
               {"normalization_rule_name", "nmt_nfkc_cf"},
               {"num_threads", "1"}};  // one thread: the same pieces on every run
  m.tokenizer_file = train_sentencepiece(spm);
  std::error_code ec;
  fs::remove(corpus, ec);
  fs::path vocab_file = spm.model_prefix;
  vocab_file += ".vocab";
  fs::remove(vocab_file, ec);
  m.tokenizer = std::make_unique<SentencePieceTextTokenizer>(m.tokenizer_file, /*add_bos=*/false,
                                                             /*add_eos=*/true);
  r.vocab_size = m.tokenizer->vocab_size();
  r.tokenizer_seconds = seconds_since(start);

  start = Clock::now();
  const int render_size = config.render_size > 0 ? config.render_size : config.image_size;
  m.say("rendering " + std::to_string(config.train_pairs) + " training pairs at " +
        std::to_string(render_size) + " px");
  m.train_images = images_tensor(
      clip::render_preprocessed(train_scenes, render_size, m.preprocess, r.threads),
      config.train_pairs, config.image_size);
  m.train_tokens = tokenize_all(*m.tokenizer, train_captions, config.context_length);
  // Captions longer than the context lose their middle (the end token is kept): count them.
  for (const auto& caption : train_captions) {
    const int tokens = m.tokenizer->tokenize(caption, 4 * config.context_length).eot + 1;
    r.max_caption_tokens = std::max(r.max_caption_tokens, tokens);
    if (tokens > config.context_length) ++r.truncated_captions;
  }
  if (r.truncated_captions > 0) {
    m.say("warning: " + std::to_string(r.truncated_captions) + " training captions are longer than the " +
          std::to_string(config.context_length) + "-token context (up to " +
          std::to_string(r.max_caption_tokens) + " tokens) and lose words");
  }
  m.say("rendering " + std::to_string(config.eval_pairs) + " held-out and " +
        std::to_string(config.eval_pairs) + " seen validation pairs");
  std::mt19937_64 eval_rng(config.seed ^ 0x9e3779b97f4a7c15ULL);
  m.held_out = m.make_gallery(split, clip::SceneKind::HeldOut, render_size, eval_rng);
  m.seen = m.make_gallery(split, clip::SceneKind::Training, render_size, eval_rng);
  m.held_out_128px = m.make_gallery(split, clip::SceneKind::HeldOut, kDemoStillSize, eval_rng);
  r.data_seconds = seconds_since(start);

  torch::manual_seed(config.seed);
  const ClipConfig arch = architecture(config, r.vocab_size);
  m.model = clip::ClipModel(arch);
  initialize_clip(*m.model);
  r.architecture = arch.describe();
  for (const auto& p : m.model->parameters()) r.parameters += p.numel();

  // Decay on weight matrices only: not on gains, biases or the temperature (as open_clip).
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : m.model->named_parameters()) {
    const std::string& name = item.key();
    const bool exempt = item.value().dim() < 2 || name.find("ln_") != std::string::npos ||
                        name.find("bias") != std::string::npos || name == "logit_scale";
    (exempt ? no_decay : decay).push_back(item.value());
  }
  const auto options = torch::optim::AdamWOptions(config.learning_rate)
                           .betas({0.9, 0.98})
                           .eps(1e-6)
                           .weight_decay(config.weight_decay);
  auto no_decay_options = options;
  no_decay_options.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_options));
  m.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), options);

  m.batch_rng.seed(config.seed + 1);
  m.order.resize(static_cast<std::size_t>(config.train_pairs));
  for (std::size_t i = 0; i < m.order.size(); ++i) m.order[i] = static_cast<int64_t>(i);
  m.cursor = m.order.size();  // shuffle before the first batch
}

ClipTrainer::~ClipTrainer() = default;

const ClipTrainReport& ClipTrainer::report() const { return impl_->report; }

void ClipTrainer::train(const std::function<void(const ClipTrainStep&)>& progress) {
  Impl& m = *impl_;
  ClipTrainReport& r = m.report;
  const ClipTrainConfig& c = m.config;
  const auto start = Clock::now();
  const double eval_before = r.eval_seconds;
  const int first_step = r.steps_done;
  const auto labels = torch::arange(c.batch_size, torch::kLong);
  double since_checkpoint = 0;
  int checkpoint_steps = 0;
  for (int step = r.steps_done; step < c.steps; ++step) {
    const double lr = m.learning_rate(step);
    for (auto& group : m.optimizer->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    m.model->train();
    const auto idx = m.next_batch();
    const auto images = m.train_images.index_select(0, idx);
    const auto eot = m.train_tokens.eot.index_select(0, idx);
    const auto ids = trim_to_eot(m.train_tokens.ids.index_select(0, idx), eot);

    const auto image_features = normalized(m.model->encode_image(images));
    const auto text_features = normalized(m.model->encode_text(ids, eot));
    const auto logits = m.model->logit_scale.exp() * image_features.matmul(text_features.t());
    // Symmetric InfoNCE: each image must pick its caption among the batch's, and each caption
    // its image.
    const auto loss = (torch::nn::functional::cross_entropy(logits, labels) +
                       torch::nn::functional::cross_entropy(logits.t(), labels)) /
                      2;
    m.optimizer->zero_grad();
    loss.backward();
    m.optimizer->step();
    {
      torch::NoGradGuard no_grad;
      m.model->logit_scale.clamp_(0, kMaxLogitScale);
    }

    const double loss_value = loss.item<double>();
    r.losses.push_back(loss_value);
    r.steps_done = step + 1;
    since_checkpoint += loss_value;
    ++checkpoint_steps;
    const double elapsed = seconds_since(start);
    if (c.eval_every > 0 && (step + 1) % c.eval_every == 0 && step + 1 < c.steps) {
      const auto eval_start = Clock::now();
      ClipTrainCheckpoint point;
      point.step = step + 1;
      point.loss = since_checkpoint / checkpoint_steps;
      point.held_out = m.score(m.held_out);
      point.seen = m.score(m.seen);
      r.curve.push_back(point);
      r.eval_seconds += seconds_since(eval_start);
      since_checkpoint = 0;
      checkpoint_steps = 0;
    }
    if (progress) {
      ClipTrainStep s;
      s.step = step + 1;
      s.steps = c.steps;
      s.loss = loss_value;
      s.logit_scale = std::exp(m.model->logit_scale.item<double>());
      s.learning_rate = lr;
      s.elapsed_s = elapsed;
      const int done = step + 1 - first_step;
      s.pairs_per_s = elapsed > 0 ? done * static_cast<double>(c.batch_size) / elapsed : 0;
      s.eta_s = elapsed / done * (c.steps - step - 1);
      progress(s);
    }
  }
  r.train_seconds += seconds_since(start) - (r.eval_seconds - eval_before);
  r.final_logit_scale = std::exp(m.model->logit_scale.item<double>());
  if (!r.losses.empty()) {
    const std::size_t tail = std::max<std::size_t>(1, r.losses.size() / 20);
    double sum = 0;
    for (std::size_t i = r.losses.size() - tail; i < r.losses.size(); ++i) sum += r.losses[i];
    r.final_loss = sum / static_cast<double>(tail);
  }
  // The last checkpoint is the final evaluation.
  if (checkpoint_steps > 0 && c.eval_every > 0) {
    ClipTrainCheckpoint point;
    point.step = r.steps_done;
    point.loss = since_checkpoint / checkpoint_steps;
    r.curve.push_back(point);
  }
}

void ClipTrainer::evaluate() {
  Impl& m = *impl_;
  ClipTrainReport& r = m.report;
  m.say("evaluating retrieval on " + std::to_string(m.config.eval_pairs) + "-pair galleries");
  const auto start = Clock::now();
  r.held_out = m.score(m.held_out);
  r.seen = m.score(m.seen);
  r.held_out_128px = m.score(m.held_out_128px);
  if (!r.curve.empty() && r.curve.back().step == r.steps_done) {
    r.curve.back().held_out = r.held_out;
    r.curve.back().seen = r.seen;
  }
  r.eval_seconds += seconds_since(start);
}

std::vector<std::vector<float>> ClipTrainer::encode_texts(const std::vector<std::string>& texts) {
  Impl& m = *impl_;
  c10::InferenceMode guard;
  m.model->eval();
  return to_rows(m.encode_texts(tokenize_all(*m.tokenizer, texts, m.config.context_length)));
}

std::vector<std::vector<float>> ClipTrainer::encode_images(const std::vector<RgbImage>& images) {
  Impl& m = *impl_;
  std::vector<float> pixels;
  for (const auto& image : images) clip::preprocess_image(image, m.preprocess, pixels);
  c10::InferenceMode guard;
  m.model->eval();
  return to_rows(m.encode_images(images_tensor(std::move(pixels),
                                               static_cast<int64_t>(images.size()),
                                               m.config.image_size)));
}

void ClipTrainer::save(const fs::path& dir) const {
  Impl& m = *impl_;  // clip_state_tensors reads parameters through a non-const module
  const ClipTrainConfig& c = m.config;
  fs::create_directories(dir);
  save_safetensors(dir / "model.safetensors", clip::clip_state_tensors(*m.model),
                   {{"name", c.name}, {"trained_by", "palimpsest train"}});
  const fs::path tokenizer_dest = dir / kTokenizerFile;
  std::error_code ec;
  if (!fs::equivalent(m.tokenizer_file, tokenizer_dest, ec)) {
    fs::copy_file(m.tokenizer_file, tokenizer_dest, fs::copy_options::overwrite_existing);
  }
  const nlohmann::json model_json = {
      {"name", c.name},
      {"weights", "model.safetensors"},
      {"tokenizer",
       {{"kind", "sentencepiece"}, {"file", kTokenizerFile}, {"add_bos", false}, {"add_eos", true}}},
      {"image_size", c.image_size},
      {"context_length", c.context_length},
      {"mean", clip::kOpenAiMean},
      {"std", clip::kOpenAiStd},
      {"vision_heads", c.vision_heads},
      {"text_heads", c.text_heads},
      {"activation", "quick_gelu"}};
  auto write = [](const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text << "\n";
    if (!out) throw std::runtime_error("train: cannot write " + path.string());
  };
  write(dir / "model.json", model_json.dump(2));
  write(dir / "training_report.json", training_report_json(m.report));
}

}  // namespace palimpsest

// training_report.json: what `palimpsest train` did and how well the result retrieves.
#include <cmath>

#include <nlohmann/json.hpp>

#include "indexer/training/clip_trainer.h"

namespace palimpsest {
namespace {

// Rounded to `digits` decimals (dividing by a power of ten, so 0.71 prints as 0.71).
double rounded(double v, int digits = 4) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

nlohmann::json scores_json(const clip::RetrievalScores& s) {
  return {{"gallery", s.pairs},
          {"text_to_image", {{"recall@1", rounded(s.text_to_image.at1)},
                             {"recall@5", rounded(s.text_to_image.at5)}}},
          {"image_to_text", {{"recall@1", rounded(s.image_to_text.at1)},
                             {"recall@5", rounded(s.image_to_text.at5)}}}};
}

nlohmann::json config_json(const ClipTrainConfig& c) {
  return {{"name", c.name},
          {"image_size", c.image_size},
          {"patch_size", c.patch_size},
          {"vision_width", c.vision_width},
          {"vision_layers", c.vision_layers},
          {"vision_heads", c.vision_heads},
          {"text_width", c.text_width},
          {"text_layers", c.text_layers},
          {"text_heads", c.text_heads},
          {"context_length", c.context_length},
          {"embed_dim", c.embed_dim},
          {"vocab_size_target", c.vocab_size},
          {"train_pairs", c.train_pairs},
          {"eval_pairs", c.eval_pairs},
          {"render_size", c.render_size > 0 ? c.render_size : c.image_size},
          {"held_out_fraction", c.held_out_fraction},
          {"split_seed", c.split_seed},
          {"steps", c.steps},
          {"batch_size", c.batch_size},
          {"warmup_steps", c.warmup_steps},
          {"learning_rate", c.learning_rate},
          {"weight_decay", c.weight_decay},
          {"optimizer", "AdamW betas (0.9, 0.98) eps 1e-6, linear warm-up then cosine to 0"},
          {"loss", "symmetric InfoNCE, learned logit scale clamped at 100"},
          {"seed", c.seed}};
}

}  // namespace

std::string training_report_json(const ClipTrainReport& r) {
  nlohmann::json held_out = nlohmann::json::array();
  for (const auto& c : r.held_out_combinations) {
    held_out.push_back({{"colour", demo::word(c.colour)},
                        {"shape", demo::word(c.shape)},
                        {"background", demo::word(c.background)}});
  }
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& point : r.curve) {
    curve.push_back({{"step", point.step},
                     {"mean_loss", rounded(point.loss)},
                     {"held_out", scores_json(point.held_out)},
                     {"seen", scores_json(point.seen)}});
  }
  // The loss curve in twenty slices: the mean loss over each.
  nlohmann::json loss_curve = nlohmann::json::array();
  const std::size_t n = r.losses.size();
  const std::size_t slices = std::min<std::size_t>(20, n);
  for (std::size_t s = 0; s < slices; ++s) {
    const std::size_t begin = s * n / slices, end = (s + 1) * n / slices;
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i) sum += r.losses[i];
    loss_curve.push_back({{"steps", {begin + 1, end}}, {"mean_loss", rounded(sum / (end - begin))}});
  }
  const nlohmann::json j = {
      {"model", r.config.name},
      {"architecture", r.architecture},
      {"parameters", r.parameters},
      {"config", config_json(r.config)},
      {"tokenizer",
       {{"kind", "sentencepiece BPE, trained on the training captions"},
        {"vocab_size", r.vocab_size},
        {"max_caption_tokens", r.max_caption_tokens},
        {"truncated_captions", r.truncated_captions}}},
      {"held_out_combinations", held_out},
      {"steps", r.steps_done},
      {"final_loss", rounded(r.final_loss)},
      {"final_logit_scale", rounded(r.final_logit_scale, 3)},
      {"loss_curve", loss_curve},
      {"retrieval_curve", curve},
      {"seconds",
       {{"tokenizer", rounded(r.tokenizer_seconds, 2)},
        {"data", rounded(r.data_seconds, 2)},
        {"training", rounded(r.train_seconds, 2)},
        {"evaluation", rounded(r.eval_seconds, 2)},
        {"total", rounded(r.tokenizer_seconds + r.data_seconds + r.train_seconds +
                              r.eval_seconds, 2)}}},
      {"threads", r.threads},
      {"blas", r.blas},
      {"retrieval",
       {{"held_out_unseen_combinations", scores_json(r.held_out)},
        {"seen_combinations_validation", scores_json(r.seen)},
        {"held_out_rendered_128px", scores_json(r.held_out_128px)}}}};
  return j.dump(2);
}

}  // namespace palimpsest

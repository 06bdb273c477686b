#pragma once
// Record-level language guidance: a shot's words in CLIP's space, and how well each record of a
// frame matches them (no libtorch).
//
// A shot's target is its weighted prompt terms (`(red circle:1.3)`; an unweighted prompt is one
// term, its whole text; a shot without terms uses its text) and its negative prompt, each encoded
// with the film's CLIP model. A record's language score is
//     score_i = sum_t w_t cos(v_i, t) - cos(v_i, n),      w_t = weight_t / sum_t weight_t,
// with v_i the record's vector from the catalog (the same model), t the terms and n the negative
// (the term is left out without one). The denoiser adds
//     ratio x logit_scale x score_i
// to every logit of record i (its whole-record logit, or each of its patches'), ratio being the
// frame's `guidance` times its `guidance_curve` at the step: the records' posterior becomes
// p(i | x_t) p(text | i)^ratio with CLIP's p(text | i) proportional to exp(logit_scale x cos),
// classifier guidance over a discrete set. Weights stay a softmax, so frames stay convex
// combinations of record pixels and their provenance exact. A record without a vector scores 0
// (said in a warning).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retrieval/timeline/timeline.h"
#include "synth/frame_plan.h"

namespace palimpsest {

// Unit vectors of texts (one per text, in order), from the film's CLIP model.
using TextEncoder = std::function<std::vector<std::vector<float>>(const std::vector<std::string>& texts)>;
// A record's unit vector for the film's model, nullopt when it has none.
using RecordVectors = std::function<std::optional<std::vector<float>>(std::int64_t record_id)>;

double cosine(const std::vector<float>& a, const std::vector<float>& b);
// sum_t w_t cos(v, t): how well v matches the target's positive terms (the CLIP score).
double positive_similarity(const LanguageTarget& target, const std::vector<float>& v);
// positive_similarity minus the similarity to the negative (0 without one).
double language_score(const LanguageTarget& target, const std::vector<float>& v);

class RecordGuidance {
 public:
  // `logit_scale`: CLIP's factor from cosine to logits (ClipEncoder::logit_scale()).
  RecordGuidance(TextEncoder encode, RecordVectors vectors, double logit_scale);

  // Every shot's target, encoded in one batch (cached: a second call with the same texts encodes
  // nothing). A shot with no text at all has none.
  void prepare(const Timeline& timeline);
  std::shared_ptr<const LanguageTarget> target(const Shot& shot);

  // Sets plan.language and each record's language score on every plan inside a shot of
  // `timeline` (plans in gaps get none). Returns the warnings (records without vectors), one line
  // each.
  std::vector<std::string> attach(const Timeline& timeline, std::vector<FramePlan>& plans);

 private:
  static std::vector<std::string> texts_of(const Shot& shot, std::vector<double>& weights);
  const std::optional<std::vector<float>>& vector_of(std::int64_t record_id);

  TextEncoder encode_;
  RecordVectors vectors_;
  double logit_scale_;
  std::map<std::string, std::vector<float>> text_vectors_;
  std::map<std::int64_t, std::optional<std::vector<float>>> record_vectors_;
};

}  // namespace palimpsest

#include "synth/record_guidance.h"

#include <cmath>
#include <set>
#include <stdexcept>

namespace palimpsest {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("cosine: vectors of different sizes");
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

double positive_similarity(const LanguageTarget& target, const std::vector<float>& v) {
  double s = 0;
  for (std::size_t t = 0; t < target.positive.size(); ++t) s += target.weights[t] * cosine(v, target.positive[t]);
  return s;
}

double language_score(const LanguageTarget& target, const std::vector<float>& v) {
  return positive_similarity(target, v) - (target.negative.empty() ? 0.0 : cosine(v, target.negative));
}

RecordGuidance::RecordGuidance(TextEncoder encode, RecordVectors vectors, double logit_scale)
    : encode_(std::move(encode)), vectors_(std::move(vectors)), logit_scale_(logit_scale) {
  if (!encode_ || !vectors_) throw std::invalid_argument("RecordGuidance: needs a text encoder and record vectors");
}

std::vector<std::string> RecordGuidance::texts_of(const Shot& shot, std::vector<double>& weights) {
  std::vector<std::string> texts;
  weights.clear();
  for (const PromptTerm& term : shot.terms) {
    if (term.text.empty() || !(term.weight > 0)) continue;
    texts.push_back(term.text);
    weights.push_back(term.weight);
  }
  if (texts.empty() && !shot.text.empty()) {
    texts.push_back(shot.text);
    weights.push_back(1.0);
  }
  return texts;
}

void RecordGuidance::prepare(const Timeline& timeline) {
  std::vector<std::string> missing;
  std::set<std::string> queued;
  auto want = [&](const std::string& text) {
    if (!text.empty() && !text_vectors_.count(text) && queued.insert(text).second) missing.push_back(text);
  };
  std::vector<double> weights;
  for (const Shot& shot : timeline.shots) {
    for (const std::string& text : texts_of(shot, weights)) want(text);
    want(shot.negative);
  }
  if (missing.empty()) return;
  std::vector<std::vector<float>> vectors = encode_(missing);
  if (vectors.size() != missing.size()) throw std::runtime_error("RecordGuidance: the text encoder lost texts");
  for (std::size_t i = 0; i < missing.size(); ++i) text_vectors_[missing[i]] = std::move(vectors[i]);
}

std::shared_ptr<const LanguageTarget> RecordGuidance::target(const Shot& shot) {
  std::vector<double> weights;
  const std::vector<std::string> texts = texts_of(shot, weights);
  if (texts.empty()) return nullptr;
  auto target = std::make_shared<LanguageTarget>();
  double total = 0;
  for (double w : weights) total += w;
  for (std::size_t t = 0; t < texts.size(); ++t) {
    const auto found = text_vectors_.find(texts[t]);
    if (found == text_vectors_.end()) throw std::logic_error("RecordGuidance: target() before prepare()");
    target->positive.push_back(found->second);
    target->weights.push_back(weights[t] / total);
  }
  if (!shot.negative.empty()) target->negative = text_vectors_.at(shot.negative);
  target->logit_scale = logit_scale_;
  return target;
}

const std::optional<std::vector<float>>& RecordGuidance::vector_of(std::int64_t record_id) {
  auto found = record_vectors_.find(record_id);
  if (found == record_vectors_.end()) found = record_vectors_.emplace(record_id, vectors_(record_id)).first;
  return found->second;
}

std::vector<std::string> RecordGuidance::attach(const Timeline& timeline, std::vector<FramePlan>& plans) {
  prepare(timeline);
  std::map<int, std::shared_ptr<const LanguageTarget>> targets;
  std::set<std::int64_t> without;
  for (FramePlan& plan : plans) {
    const Shot* shot = timeline.shot_at(plan.frame);
    if (!shot) continue;
    auto found = targets.find(shot->index);
    if (found == targets.end()) found = targets.emplace(shot->index, target(*shot)).first;
    plan.language = found->second;
    if (!plan.language) continue;
    for (RecordPrior& r : plan.records) {
      const auto& v = vector_of(r.record_id);
      if (v) {
        r.language = language_score(*plan.language, *v);
      } else {
        r.language = 0.0;
        without.insert(r.record_id);
      }
    }
  }
  std::vector<std::string> warnings;
  if (!without.empty()) {
    std::string ids;
    int listed = 0;
    for (std::int64_t id : without) {
      if (listed++ == 10) {
        ids += ", ...";
        break;
      }
      ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    }
    warnings.push_back(std::to_string(without.size()) + " record(s) have no CLIP vector for the film's model (" + ids +
                       "): language guidance cannot tell them apart (run ingest to embed them)");
  }
  return warnings;
}

}  // namespace palimpsest

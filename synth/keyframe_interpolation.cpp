#include "synth/keyframe_interpolation.h"

#include <algorithm>
#include <stdexcept>

namespace palimpsest {
namespace {

double prior_sum(const std::vector<RecordPrior>& records) {
  double sum = 0.0;
  for (const RecordPrior& r : records) sum += std::max(0.0, r.prior);
  return sum;
}

}  // namespace

std::vector<RecordPrior> blend_priors(const std::vector<RecordPrior>& a,
                                      const std::vector<RecordPrior>& b, double t) {
  if (!(t >= 0.0 && t <= 1.0)) throw std::invalid_argument("blend_priors: t must be in [0, 1]");
  const double sum_a = prior_sum(a), sum_b = prior_sum(b);
  std::vector<RecordPrior> out;
  auto add = [&](const RecordPrior& r, double share) {
    for (RecordPrior& existing : out) {
      if (existing.record_id == r.record_id) {
        existing.prior += share;
        existing.keyframe = existing.keyframe || r.keyframe;
        return;
      }
    }
    out.push_back({r.record_id, share, r.keyframe});
  };
  for (const RecordPrior& r : a) {
    add(r, sum_a > 0 ? (1.0 - t) * std::max(0.0, r.prior) / sum_a : 0.0);
  }
  for (const RecordPrior& r : b) add(r, sum_b > 0 ? t * std::max(0.0, r.prior) / sum_b : 0.0);
  return out;
}

std::int64_t representative_record(const std::vector<RecordPrior>& records) {
  if (records.empty()) throw std::invalid_argument("representative_record: empty record set");
  const RecordPrior* best = nullptr;
  for (const RecordPrior& r : records) {
    if (!r.keyframe) continue;
    if (!best || r.prior > best->prior) best = &r;
  }
  if (!best) {
    for (const RecordPrior& r : records) {
      if (!best || r.prior > best->prior) best = &r;
    }
  }
  return best->record_id;
}

std::vector<FramePlan> interpolate_keyframes(const Keyframe& a, const Keyframe& b,
                                             const FrameParams& params, bool invert,
                                             bool include_b, bool restart_at_a) {
  if (a.frame >= b.frame) throw std::invalid_argument("interpolate_keyframes: A must precede B");
  const std::int64_t rep_a = representative_record(a.records);
  const std::int64_t rep_b = representative_record(b.records);
  const int last = include_b ? b.frame : b.frame - 1;
  std::vector<FramePlan> plans;
  for (int f = a.frame; f <= last; ++f) {
    const double t = static_cast<double>(f - a.frame) / (b.frame - a.frame);
    FramePlan plan;
    plan.frame = f;
    plan.records = blend_priors(a.records, b.records, t);
    plan.params = params;
    plan.params.seed = a.seed;
    plan.restart = restart_at_a && f == a.frame;
    plan.blend = KeyframeBlend{a.seed, b.seed, t, invert, rep_a, rep_b};
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace palimpsest

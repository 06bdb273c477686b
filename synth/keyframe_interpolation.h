#pragma once
// Keyframe interpolation plans: the prior slides from keyframe A's records to B's, and the
// initial noise is slerped between A's and B's seeds (no libtorch).

#include <cstdint>
#include <vector>

#include "synth/frame_plan.h"

namespace palimpsest {

struct Keyframe {
  int frame = 0;
  std::vector<RecordPrior> records;  // priors of the keyframe's record set
  std::uint64_t seed = 0;
};

// The prior a fraction t in [0, 1] of the way from A to B over the union of both record sets:
// pi = (1 - t) pi_A / sum(pi_A) + t pi_B / sum(pi_B); a record in both sets gets both shares, and
// is a keyframe if it is one in either. Records keep A's order, then B's new ones. Records whose
// prior is 0 stay in the set (so one denoiser serves the whole interpolation).
std::vector<RecordPrior> blend_priors(const std::vector<RecordPrior>& a,
                                      const std::vector<RecordPrior>& b, double t);

// The record of a set that stands for it as an image: its highest-prior keyframe record, else its
// highest-prior record. Throws std::invalid_argument for an empty set.
std::int64_t representative_record(const std::vector<RecordPrior>& records);

// Plans for frames a.frame .. b.frame - 1 (and b.frame itself when include_b): frame f gets
// t = (f - a.frame) / (b.frame - a.frame), blend_priors(a, b, t), `params` with seed a.seed, and
// a KeyframeBlend {a.seed, b.seed, t, invert, representative records}. The first plan restarts
// when `restart_at_a`. Throws std::invalid_argument unless a.frame < b.frame.
std::vector<FramePlan> interpolate_keyframes(const Keyframe& a, const Keyframe& b,
                                             const FrameParams& params, bool invert,
                                             bool include_b, bool restart_at_a);

}  // namespace palimpsest

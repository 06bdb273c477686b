#pragma once
// A planned Timeline turned into one FramePlan per frame: which records each frame draws on and
// how strongly (the prior), its guidance, and its evaluated parameters.
//
// - Each shot is a sequence (a cut): its first frame restarts from the frame's init.
// - Keyframe interpolation: between two keyframes of a shot, anchored at frames a < b, the prior
//   slides from A's record to B's: pi_A = (1 - t) + floor, pi_B = t + floor with
//   t = (f - a) / (b - a); before the first anchor and after the last one the nearest keyframe
//   holds. The initial noise is slerped between the seeds of the anchor frames (KeyframeBlend).
// - Image records among the shot's guidance join the prior with kGuidancePrior x their weight;
//   text and subtitle guidance is carried to the provenance (role guidance).
// - Records near the shot's negative prompt are left out of its prior.
// - Frames of a shot without picture keyframes, and frames in gaps between shots, borrow a
//   neighbour's pictures within the timeline's borrowing limit and then fall back to their init,
//   as retrieval/timeline/shot_pictures.h rules (frame_pictures). A borrowed keyframe is held (the
//   lender's last keyframe after it, its first before it) and marked `borrowed` (the `borrowed`
//   role in the provenance, not `keyframe`). A frame past the limit has no records: the renderer
//   draws its init (black, noise, or the init record) and nothing else.
// - A sequence restarts at every shot and gap, wherever a frame's pictures change source (own,
//   borrowed from a shot, none), and at every frame without pictures.
// - Parameters: the timeline's strength is Deforum's (how much of the previous frame survives);
//   the renderer's is img2img's, so strength = 1 - timeline strength, at least kMinStrength.

#include <functional>
#include <optional>
#include <vector>

#include "retrieval/timeline/timeline.h"
#include "schema/catalog_rows.h"
#include "synth/frame_plan.h"

namespace palimpsest {

inline constexpr double kPriorFloor = 0.05;
inline constexpr double kGuidancePrior = 0.3;
inline constexpr double kMinStrength = 0.05;

// Whether a record can lend pixels (an image or a video frame); nullopt when it is unknown.
using RecordKindLookup = std::function<std::optional<RecordKind>(std::int64_t record_id)>;

// Throws std::invalid_argument when the timeline is not planned, has no frames, or no shot has an
// image record to draw (nothing to borrow either: the planner's warnings say why).
std::vector<FramePlan> frame_plans(const Timeline& timeline, const RecordKindLookup& kind_of);

}  // namespace palimpsest

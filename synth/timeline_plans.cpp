#include "synth/timeline_plans.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

#include "retrieval/timeline/shot_pictures.h"

namespace palimpsest {
namespace {

bool is_picture(std::optional<RecordKind> kind) {
  return kind == RecordKind::image || kind == RecordKind::frame;
}

// What a shot contributes to each of its frames, independent of the frame.
struct ShotRecords {
  std::vector<ShotKeyframe> keyframes;              // picture keyframes, by anchor frame
  std::vector<RecordPrior> extra;                   // picture guidance records
  std::vector<GuidanceWeight> guidance;             // text and subtitle guidance
};

ShotRecords shot_records(const Shot& shot, const RecordKindLookup& kind_of) {
  std::set<std::int64_t> negative;
  for (const auto& n : shot.negatives) negative.insert(n.record_id);
  ShotRecords r;
  for (const auto& k : shot.keyframes)
    if (!negative.count(k.record_id) && is_picture(kind_of(k.record_id))) r.keyframes.push_back(k);
  std::sort(r.keyframes.begin(), r.keyframes.end(),
            [](const ShotKeyframe& a, const ShotKeyframe& b) { return a.frame < b.frame; });
  std::set<std::int64_t> keys;
  for (const auto& k : r.keyframes) keys.insert(k.record_id);
  for (const auto& g : shot.guidance) {
    if (negative.count(g.record_id) || keys.count(g.record_id)) continue;
    if (is_picture(kind_of(g.record_id)))
      r.extra.push_back({g.record_id, kGuidancePrior * std::max(g.weight, 0.0), false});
    else
      r.guidance.push_back({g.record_id, g.weight});
  }
  return r;
}

// The plan's records and noise blend for `frame` from a shot's keyframes.
void place_keyframes(const ShotRecords& r, std::int64_t frame, const Timeline& timeline,
                     FramePlan& plan) {
  const auto& k = r.keyframes;
  std::size_t b = 0;
  while (b < k.size() && k[b].frame <= frame) ++b;  // first anchor after the frame
  if (b == 0 || b == k.size()) {                     // before the first / after the last: hold
    const ShotKeyframe& held = b == 0 ? k.front() : k.back();
    plan.records.push_back({held.record_id, 1.0, true});
  } else {
    const ShotKeyframe& A = k[b - 1];
    const ShotKeyframe& B = k[b];
    const double t = static_cast<double>(frame - A.frame) / static_cast<double>(B.frame - A.frame);
    plan.records.push_back({A.record_id, (1.0 - t) + kPriorFloor, true});
    if (B.record_id != A.record_id) plan.records.push_back({B.record_id, t + kPriorFloor, true});
    KeyframeBlend blend;
    blend.seed_a = static_cast<std::uint64_t>(timeline.evaluate(A.frame).seed);
    blend.seed_b = static_cast<std::uint64_t>(timeline.evaluate(B.frame).seed);
    blend.mix = t;
    blend.keyframe_a = A.record_id;
    blend.keyframe_b = B.record_id;
    plan.blend = blend;
  }
  for (const auto& e : r.extra)
    if (e.prior > 0) plan.records.push_back(e);
}

FrameParams frame_params(const FrameParameters& p) {
  FrameParams f;
  f.strength = std::clamp(1.0 - p.strength, kMinStrength, 1.0);
  f.noise = p.noise;
  f.steps = p.steps;
  f.seed = static_cast<std::uint64_t>(std::max<std::int64_t>(p.seed, 0));
  f.camera.zoom = p.zoom;
  f.camera.angle = p.angle;
  f.camera.translation_x = p.translation_x;
  f.camera.translation_y = p.translation_y;
  f.camera.translation_z = p.translation_z;
  f.camera.rotation_3d_x = p.rotation_3d_x;
  f.camera.rotation_3d_y = p.rotation_3d_y;
  f.camera.rotation_3d_z = p.rotation_3d_z;
  f.camera.fov = p.fov;
  f.cadence = p.cadence;
  f.init = p.init.mode;
  f.init_record_id = p.init.record_id.value_or(0);
  f.guidance_mode = p.guidance_mode;
  f.guidance_curve = p.guidance_curve;
  f.abstraction = p.abstraction;
  return f;
}

}  // namespace

std::vector<FramePlan> frame_plans(const Timeline& timeline, const RecordKindLookup& kind_of) {
  if (!timeline.planned)
    throw std::invalid_argument("the timeline is not planned: run palimpsest plan first");
  if (timeline.frame_count <= 0) throw std::invalid_argument("the timeline has no frames");

  std::vector<ShotRecords> records;
  records.reserve(timeline.shots.size());
  for (const Shot& s : timeline.shots) records.push_back(shot_records(s, kind_of));
  // Where each frame's pictures come from (shot_pictures.h): a shot's own keyframes that are
  // pictures, borrowed from a neighbour within the timeline's borrowing limit, or none.
  const std::vector<FramePicture> pictures = frame_pictures(timeline, [&](const Shot& shot) {
    const auto i = static_cast<std::size_t>(&shot - timeline.shots.data());  // called on timeline.shots
    return !records[i].keyframes.empty();
  });
  if (std::none_of(records.begin(), records.end(), [](const ShotRecords& r) { return !r.keyframes.empty(); }))
    throw std::invalid_argument(
        "no shot of the timeline has an image or video-frame record to draw (the archive matched "
        "only texts?)");

  std::vector<FramePlan> plans;
  plans.reserve(static_cast<std::size_t>(timeline.frame_count));
  int shot_index = 0;  // last shot starting at or before the frame
  // A sequence is a run of frames of one shot (or gap) drawing from one place.
  std::tuple<int, FramePictures, int> previous_sequence{-2, FramePictures::none, -2};
  for (std::int64_t f = 0; f < timeline.frame_count; ++f) {
    while (shot_index + 1 < static_cast<int>(timeline.shots.size()) &&
           timeline.shots[shot_index + 1].start_frame <= f)
      ++shot_index;
    const Shot& shot = timeline.shots[shot_index];
    const bool inside = f >= shot.start_frame && f < shot.end_frame;
    const int current = inside ? shot_index : -1;
    const FramePicture& picture = pictures[static_cast<std::size_t>(f)];

    FramePlan plan;
    plan.frame = static_cast<int>(f);
    const FrameParameters parameters = timeline.evaluate(f);
    plan.params = frame_params(parameters);
    const std::tuple<int, FramePictures, int> sequence{current, picture.source, picture.from_shot};
    // Each shot (and each gap) is a sequence, and so is every frame without pictures (its init).
    plan.restart = sequence != previous_sequence || picture.source == FramePictures::none;
    previous_sequence = sequence;

    if (picture.source != FramePictures::none) {
      const ShotRecords& from = records[static_cast<std::size_t>(picture.from_shot)];
      const bool own = picture.source == FramePictures::own;
      // A borrowed picture holds the lender's nearest keyframe: its last after it, its first before.
      const std::int64_t at = own ? f : f < timeline.shots[static_cast<std::size_t>(picture.from_shot)].start_frame
                                            ? from.keyframes.front().frame - 1
                                            : from.keyframes.back().frame;
      place_keyframes(from, at, timeline, plan);
      if (!own)
        for (RecordPrior& r : plan.records) {
          r.borrowed = r.keyframe;
          r.keyframe = false;
        }
    }
    if (inside) {
      plan.guidance = records[shot_index].guidance;
      plan.prompt = shot.text;
      plan.negative_prompt = shot.negative;
    }
    plan.guidance_scale = parameters.guidance;
    if (plan.params.init == InitMode::record && plan.params.init_record_id != 0 &&
        !is_picture(kind_of(plan.params.init_record_id)))
      throw std::invalid_argument("frame " + std::to_string(f) + ": init record " +
                                  std::to_string(plan.params.init_record_id) +
                                  " is not an image or video frame");
    plans.push_back(std::move(plan));
  }
  validate_plans(plans);
  return plans;
}

}  // namespace palimpsest

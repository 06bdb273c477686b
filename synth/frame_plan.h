#pragma once
// What the renderer is asked to draw: one FramePlan per output frame, filled by the timeline code.
// Plain data only (no libtorch), so the server and CLI stages can build plans freely.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retrieval/timeline/parameters.h"  // InitMode, GuidanceMode, Schedule
#include "schema/catalog_rows.h"            // kLanguageRecord, ProvenanceRole

namespace palimpsest {

// An image record the denoiser may draw on in a frame, with its prior weight pi_i (any scale;
// the renderer normalises them to sum to 1). `keyframe` marks the shot's keyframe records, which
// get the `keyframe` role in the provenance instead of `denoiser`; `borrowed` marks another shot's
// keyframes lent to a shot that found no picture, which get the `borrowed` role.
// `language` is the record's language score for the frame's shot (synth/record_guidance.h): its
// CLIP similarity to the shot's weighted terms minus its similarity to the shot's negative.
struct RecordPrior {
  std::int64_t record_id = 0;
  double prior = 1.0;
  bool keyframe = false;
  bool borrowed = false;
  double language = 0.0;
};

// The provenance role of the pixels drawn from `r`: borrowed, else keyframe, else denoiser.
inline ProvenanceRole pixel_role(const RecordPrior& r) {
  return r.borrowed ? ProvenanceRole::borrowed : r.keyframe ? ProvenanceRole::keyframe : ProvenanceRole::denoiser;
}

// A text or subtitle record that guided the choice of the frame's records. The archive backend
// draws no pixels from it; it is carried into the provenance with the `guidance` role.
struct GuidanceWeight {
  std::int64_t record_id = 0;
  double weight = 0.0;
};

// Camera motion from the previous frame to this one, in Deforum's units:
// 2D: `zoom` scale per frame (1.02 = 2 % zoom in, content grows; < 1 zooms out, content shrinks),
//     `angle` degrees per frame (counter-clockwise on screen), `translation_x/y` pixels per frame
//     (content moves right / down).
// 3D: `rotation_3d_x/y/z` degrees per frame, `translation_z` (positive moves the camera forward,
//     content grows; 1 unit = 1/200 of the distance to the scene plane, as Deforum's
//     TRANSLATION_SCALE), projected through a pinhole camera with horizontal field of view `fov`
//     degrees onto a plane facing the camera (a homography: no depth model).
struct CameraMotion {
  double zoom = 1.0;
  double angle = 0.0;
  double translation_x = 0.0;
  double translation_y = 0.0;
  double translation_z = 0.0;
  double rotation_3d_x = 0.0;
  double rotation_3d_y = 0.0;
  double rotation_3d_z = 0.0;
  double fov = 40.0;

  bool is_identity() const {
    return zoom == 1.0 && angle == 0.0 && translation_x == 0.0 && translation_y == 0.0 &&
           translation_z == 0.0 && rotation_3d_x == 0.0 && rotation_3d_y == 0.0 &&
           rotation_3d_z == 0.0;
  }
};

// Where the first frame of a sequence (frame 0 or a plan with `restart`) starts from: InitMode
// (retrieval/parameters.h) noise (pure Gaussian noise; strength is taken as 1), black (a black
// image noised to the level set by strength) or record (a record's image: init_record_id, else
// the frame's highest-prior keyframe, noised).

struct FrameParams {
  // Denoising strength in (0, 1], as in img2img: the sampler starts at the noise level reached
  // after `strength` of the schedule, from the init image noised to that level. 1 starts from
  // pure noise (the init is forgotten); lower values keep more of the init (the warped previous
  // frame). Deforum's "strength" is the complement: deforum_strength = 1 - strength.
  double strength = 1.0;
  // Extra Gaussian noise (standard deviation, in [-1, 1] pixel units) added to the init image
  // before it is noised to the start level (Deforum's noise schedule).
  double noise = 0.0;
  int steps = 20;  // DDIM steps over the full schedule (a fraction `strength` of them run)
  std::uint64_t seed = 0;
  CameraMotion camera;
  // Diffuse every `cadence`-th frame of a sequence; the frames between are blends of the two
  // neighbouring diffused frames warped along the camera path. Read from the plan that starts a
  // cadence block.
  int cadence = 1;
  InitMode init = InitMode::noise;
  std::int64_t init_record_id = 0;  // for InitMode::record; 0 picks the frame's keyframe
  // Language guidance (archive backend; the ratio is FramePlan::guidance_scale): the mode and the
  // ratio's curve over the frame's sampling steps (keys in percent of the steps run).
  GuidanceMode guidance_mode = GuidanceMode::records;
  Schedule guidance_curve = Schedule::constant(1.0);
  // Documental (0) <-> abstractive (1); unset: the render settings decide (synth/abstraction.h).
  std::optional<double> abstraction;
};

// What the shot's words are in CLIP's space (the film's model): the weighted positive terms and
// the negative prompt, as unit vectors. Shared by the frames of a shot.
struct LanguageTarget {
  std::vector<std::vector<float>> positive;  // one unit vector per term
  std::vector<double> weights;               // per term; they sum to 1
  std::vector<float> negative;               // empty when the shot has no negative prompt
  double logit_scale = 1.0;                  // the model's factor from cosine to logits
};

// Keyframe interpolation between keyframes A and B: the frame's initial noise is
// slerp(noise(seed_a), noise(seed_b), mix); with `invert`, the start latents are instead the DDIM
// inversions of the keyframe images (records keyframe_a and keyframe_b) slerped by `mix`, so that
// the path starts and ends on the records themselves.
struct KeyframeBlend {
  std::uint64_t seed_a = 0;
  std::uint64_t seed_b = 0;
  double mix = 0.0;  // 0 = at A, 1 = at B
  bool invert = false;
  std::int64_t keyframe_a = 0;
  std::int64_t keyframe_b = 0;
};

struct FramePlan {
  int frame = 0;
  // At least one record with a positive prior, or none: a frame without pictures, which is its
  // init itself (black, the seed's noise, or the init record's image), not denoised.
  std::vector<RecordPrior> records;
  std::vector<GuidanceWeight> guidance;
  FrameParams params;
  // Starts a new sequence (a cut): the frame begins from params.init instead of the previous
  // frame. The first plan always starts a sequence.
  bool restart = false;
  // Without it the initial noise comes from params.seed alone.
  std::optional<KeyframeBlend> blend;
  // Text conditioning: the shot's line, its negative prompt and the guidance ratio (the
  // torchscript backend's classifier-free scale; the archive backend's language ratio).
  std::string prompt;
  std::string negative_prompt;
  double guidance_scale = 7.0;
  // The shot's words for the archive backend's language guidance; null: no guidance (no shot,
  // or no CLIP vectors). Records' scores are in records[i].language.
  std::shared_ptr<const LanguageTarget> language;
};

// Throws std::invalid_argument naming the frame for a plan list the renderer cannot draw: frame
// numbers not consecutive, records but no positive prior, no records on a frame that does not
// start a sequence, a negative or non-finite prior,
// steps outside [1, 1000], strength outside (0, 1], cadence < 1, noise < 0, blend mix outside
// [0, 1], a negative guidance ratio, abstraction outside [0, 1], a non-finite language score, or a
// record id 0 (kLanguageRecord stands for language).
void validate_plans(const std::vector<FramePlan>& plans);

}  // namespace palimpsest

#pragma once
// Where each frame of a planned timeline gets its pictures, and the per-shot account of it that
// `plan`, `make`, the API and synthesis share.
//
// Rules (frames are film frames; limit = round(borrow_seconds * fps) frames):
//  - a frame of a shot with pictures of its own (keyframes) draws its own: `own`;
//  - any other frame (a shot that found no picture above the planner's threshold, or a gap
//    between shots) borrows the pictures of the nearest earlier shot that has some, while it lies
//    less than `limit` frames after that shot's end: `borrowed`;
//  - frames before the first shot with pictures borrow that shot's, while they lie at most
//    `limit` frames before its start;
//  - past that, the frame has no picture: `none`. Synthesis draws it from the frame's `init`
//    (black, noise, or the init record when one is named) and says so.
// So borrowing is bounded: one picture never fills more than borrow_seconds of shots that did not
// find it. A shot is `own` when it has pictures, `borrowed` when some of its frames borrow, else
// `empty`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "retrieval/timeline/timeline.h"

namespace palimpsest {

enum class FramePictures { own, borrowed, none };

struct FramePicture {
  FramePictures source = FramePictures::none;
  int from_shot = -1;  // the shot whose keyframes the frame draws (own or borrowed), -1 for none
};

enum class ShotPictureStatus { own, borrowed, empty };
std::string_view to_string(ShotPictureStatus status);

struct ShotPictures {
  int shot = 0;
  ShotPictureStatus status = ShotPictureStatus::empty;
  int from_shot = -1;              // the lending shot (borrowed), -1 otherwise
  std::int64_t borrowed_frames = 0;  // frames of the shot that borrow
  std::int64_t empty_frames = 0;     // frames of the shot with no picture
  std::int64_t first_empty_frame = -1;
  // {"status", "from_shot" (null unless borrowed), "borrowed_frames", "empty_frames"}: how the
  // API's shots and the OTIO clips' metadata give it.
  nlohmann::json to_json() const;
};

struct PictureSummary {
  int own = 0;
  int borrowed = 0;
  int empty = 0;
  nlohmann::json to_json() const;
  std::string to_string() const;  // "5 shots: 3 with their own pictures, 1 borrowed, 1 empty"
};

// Whether a shot has pictures of its own; the default is "it has keyframes". Synthesis passes a
// stricter test (keyframes that are pictures and not negatives).
using ShotHasPictures = std::function<bool(const Shot&)>;

// One entry per frame of the timeline.
std::vector<FramePicture> frame_pictures(const Timeline& timeline, const ShotHasPictures& has_pictures = {});
// One entry per shot, from frame_pictures().
std::vector<ShotPictures> shot_pictures(const Timeline& timeline, const ShotHasPictures& has_pictures = {});
PictureSummary summarize(const std::vector<ShotPictures>& shots);

// The warning for a shot without pictures of its own: names the shot, its manuscript line and
// text, what it borrows for how long, and what the rest falls back to. `why` says why it has
// none (e.g. "no picture above the threshold z 1.5 (best: record 17 at z 0.8)").
std::string shot_pictures_warning(const Timeline& timeline, const ShotPictures& shot, const std::string& why);

}  // namespace palimpsest

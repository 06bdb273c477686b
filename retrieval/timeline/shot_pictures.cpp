#include "retrieval/timeline/shot_pictures.h"

#include <cmath>
#include <cstdio>

namespace palimpsest {

std::string_view to_string(ShotPictureStatus status) {
  switch (status) {
    case ShotPictureStatus::own:
      return "own";
    case ShotPictureStatus::borrowed:
      return "borrowed";
    case ShotPictureStatus::empty:
      break;
  }
  return "empty";
}

std::vector<FramePicture> frame_pictures(const Timeline& timeline, const ShotHasPictures& has_pictures) {
  const auto count = static_cast<std::size_t>(std::max<std::int64_t>(0, timeline.frame_count));
  std::vector<FramePicture> out(count);
  std::vector<bool> has;
  int first_donor = -1;
  for (const Shot& shot : timeline.shots) {
    has.push_back(has_pictures ? has_pictures(shot) : !shot.keyframes.empty());
    if (has.back() && first_donor < 0) first_donor = static_cast<int>(has.size()) - 1;
  }
  const auto limit = static_cast<std::int64_t>(std::llround(std::max(0.0, timeline.borrow_seconds) * timeline.fps));

  std::size_t shot = 0;
  int donor = -1;  // the last shot with pictures that ended at or before the frame
  for (std::size_t f = 0; f < count; ++f) {
    const auto frame = static_cast<std::int64_t>(f);
    while (shot < timeline.shots.size() && timeline.shots[shot].end_frame <= frame) {
      if (has[shot]) donor = static_cast<int>(shot);
      ++shot;
    }
    const bool inside = shot < timeline.shots.size() && timeline.shots[shot].start_frame <= frame;
    if (inside && has[shot]) {
      out[f] = {FramePictures::own, static_cast<int>(shot)};
    } else if (donor >= 0) {
      if (frame - timeline.shots[static_cast<std::size_t>(donor)].end_frame < limit) out[f] = {FramePictures::borrowed, donor};
    } else if (first_donor >= 0) {
      if (timeline.shots[static_cast<std::size_t>(first_donor)].start_frame - frame <= limit)
        out[f] = {FramePictures::borrowed, first_donor};
    }
  }
  return out;
}

std::vector<ShotPictures> shot_pictures(const Timeline& timeline, const ShotHasPictures& has_pictures) {
  const std::vector<FramePicture> frames = frame_pictures(timeline, has_pictures);
  std::vector<ShotPictures> out;
  for (const Shot& shot : timeline.shots) {
    ShotPictures s;
    s.shot = shot.index;
    for (std::int64_t f = std::max<std::int64_t>(0, shot.start_frame);
         f < shot.end_frame && f < static_cast<std::int64_t>(frames.size()); ++f) {
      const FramePicture& p = frames[static_cast<std::size_t>(f)];
      if (p.source == FramePictures::own) {
        s.status = ShotPictureStatus::own;
      } else if (p.source == FramePictures::borrowed) {
        ++s.borrowed_frames;
        s.from_shot = p.from_shot;
      } else {
        ++s.empty_frames;
        if (s.first_empty_frame < 0) s.first_empty_frame = f;
      }
    }
    if (s.status != ShotPictureStatus::own) s.status = s.borrowed_frames > 0 ? ShotPictureStatus::borrowed : ShotPictureStatus::empty;
    out.push_back(s);
  }
  return out;
}

nlohmann::json ShotPictures::to_json() const {
  return {{"status", std::string(palimpsest::to_string(status))},
          {"from_shot", from_shot >= 0 ? nlohmann::json(from_shot) : nlohmann::json()},
          {"borrowed_frames", borrowed_frames},
          {"empty_frames", empty_frames}};
}

PictureSummary summarize(const std::vector<ShotPictures>& shots) {
  PictureSummary s;
  for (const ShotPictures& shot : shots) {
    if (shot.status == ShotPictureStatus::own) ++s.own;
    else if (shot.status == ShotPictureStatus::borrowed) ++s.borrowed;
    else ++s.empty;
  }
  return s;
}

nlohmann::json PictureSummary::to_json() const {
  return {{"shots", own + borrowed + empty}, {"own", own}, {"borrowed", borrowed}, {"empty", empty}};
}

std::string PictureSummary::to_string() const {
  return std::to_string(own + borrowed + empty) + " shots: " + std::to_string(own) + " with their own pictures, " +
         std::to_string(borrowed) + " borrowed, " + std::to_string(empty) + " empty";
}

std::string shot_pictures_warning(const Timeline& timeline, const ShotPictures& shot, const std::string& why) {
  const Shot& s = timeline.shots.at(static_cast<std::size_t>(shot.shot));
  std::string text = s.text.size() > 60 ? s.text.substr(0, 57) + "..." : s.text;
  for (char& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  std::string out = "shot " + std::to_string(s.index) + (s.source_line > 0 ? " (line " + std::to_string(s.source_line) + ")" : "") +
                    " \"" + text + "\": " + why;
  auto seconds = [&](std::int64_t frames) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(frames) / timeline.fps);
    return std::string(buffer);
  };
  if (shot.borrowed_frames > 0)
    out += "; borrows shot " + std::to_string(shot.from_shot) + "'s pictures for " + seconds(shot.borrowed_frames);
  if (shot.empty_frames > 0) {
    const InitSpec init = timeline.evaluate(shot.first_empty_frame).init;
    std::string fallback = init.mode == InitMode::record && init.record_id ? "record " + std::to_string(*init.record_id)
                           : init.mode == InitMode::noise                  ? "noise"
                                                                           : "black";
    out += std::string(shot.borrowed_frames > 0 ? ", then " : "; ") + fallback + " for " + seconds(shot.empty_frames) +
           " (init " + palimpsest::to_string(init) + ", borrowing is limited to " + seconds(std::llround(timeline.borrow_seconds * timeline.fps)) + ")";
  }
  return out;
}

}  // namespace palimpsest

// Where a planned timeline's frames get their pictures: own, borrowed within the limit, none;
// the per-shot account, its summary and the warning that names a shot without pictures.
#include "retrieval/timeline/shot_pictures.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

// Shots of 12 frames (1 s at 12 fps); `with` says which have a keyframe.
Timeline timeline(const std::vector<bool>& with, double borrow_seconds) {
  Timeline t;
  t.fps = 12;
  t.planned = true;
  t.borrow_seconds = borrow_seconds;
  for (std::size_t i = 0; i < with.size(); ++i) {
    Shot s;
    s.index = static_cast<int>(i);
    s.text = "line " + std::to_string(i);
    s.source_line = static_cast<int>(i) * 2 + 1;
    s.start_frame = static_cast<std::int64_t>(i) * 12;
    s.end_frame = s.start_frame + 12;
    if (with[i]) s.keyframes.push_back({static_cast<std::int64_t>(i) + 1, s.start_frame});
    t.shots.push_back(s);
  }
  t.frame_count = static_cast<std::int64_t>(with.size()) * 12;
  return t;
}

TEST(ShotPictures, OwnBorrowedWithinTheLimitThenNone) {
  const Timeline t = timeline({true, false, false, true}, 1.5);  // 18 frames of borrowing
  const std::vector<FramePicture> frames = frame_pictures(t);
  ASSERT_EQ(frames.size(), 48u);
  EXPECT_EQ(frames[0].source, FramePictures::own);
  EXPECT_EQ(frames[12].source, FramePictures::borrowed);
  EXPECT_EQ(frames[12].from_shot, 0);
  EXPECT_EQ(frames[29].source, FramePictures::borrowed);  // 18th frame after shot 0's end
  EXPECT_EQ(frames[30].source, FramePictures::none);
  EXPECT_EQ(frames[36].source, FramePictures::own);
  EXPECT_EQ(frames[36].from_shot, 3);

  const std::vector<ShotPictures> shots = shot_pictures(t);
  EXPECT_EQ(shots[0].status, ShotPictureStatus::own);
  EXPECT_EQ(shots[1].status, ShotPictureStatus::borrowed);
  EXPECT_EQ(shots[1].borrowed_frames, 12);
  EXPECT_EQ(shots[2].status, ShotPictureStatus::borrowed);
  EXPECT_EQ(shots[2].borrowed_frames, 6);
  EXPECT_EQ(shots[2].empty_frames, 6);
  EXPECT_EQ(shots[2].first_empty_frame, 30);
  const PictureSummary summary = summarize(shots);
  EXPECT_EQ(summary.to_string(), "4 shots: 2 with their own pictures, 2 borrowed, 0 empty");
  EXPECT_EQ(summary.to_json()["borrowed"], 2);

  // No borrowing: shots without pictures are empty.
  const std::vector<ShotPictures> strict = shot_pictures(timeline({true, false, true}, 0));
  EXPECT_EQ(strict[1].status, ShotPictureStatus::empty);
  EXPECT_EQ(strict[1].empty_frames, 12);
}

TEST(ShotPictures, FramesBeforeTheFirstPicturesBorrowForward) {
  const Timeline t = timeline({false, false, true}, 1.0);  // 12 frames
  const std::vector<FramePicture> frames = frame_pictures(t);
  EXPECT_EQ(frames[11].source, FramePictures::none);  // 13 frames before shot 2
  EXPECT_EQ(frames[12].source, FramePictures::borrowed);
  EXPECT_EQ(frames[12].from_shot, 2);
  // A stricter test of "has pictures" (synthesis: keyframes that are pictures) is honoured.
  const auto none = shot_pictures(t, [](const Shot&) { return false; });
  for (const ShotPictures& s : none) EXPECT_EQ(s.status, ShotPictureStatus::empty);
}

TEST(ShotPictures, TheWarningNamesTheShotItsLineWhatItBorrowsAndWhatFollows) {
  Timeline t = timeline({true, false, false}, 1.5);
  set_parameter(t.parameters, "init", "noise");
  const std::vector<ShotPictures> shots = shot_pictures(t);
  const std::string borrowing = shot_pictures_warning(t, shots[1], "no picture above the threshold 1");
  EXPECT_EQ(borrowing, "shot 1 (line 3) \"line 1\": no picture above the threshold 1; borrows shot 0's pictures for 1.0 s");
  const std::string falling = shot_pictures_warning(t, shots[2], "no picture found");
  EXPECT_EQ(falling,
            "shot 2 (line 5) \"line 2\": no picture found; borrows shot 0's pictures for 0.5 s, then noise for 0.5 s "
            "(init noise, borrowing is limited to 1.5 s)");
}

TEST(ShotPictures, TimelineJsonCarriesThemAndBorrowSecondsRoundTrips) {
  Timeline t = timeline({true, false}, 0.5);
  const nlohmann::json doc = t.to_json(false);
  EXPECT_EQ(doc["shots"][1]["pictures"]["status"], "borrowed");
  EXPECT_EQ(doc["shots"][1]["pictures"]["from_shot"], 0);
  EXPECT_EQ(doc["shots"][1]["pictures"]["empty_frames"], 6);
  EXPECT_EQ(doc["pictures"]["own"], 1);
  EXPECT_DOUBLE_EQ(Timeline::from_json(doc).borrow_seconds, 0.5);
  nlohmann::json bad = doc;
  bad["borrow_seconds"] = -1;
  EXPECT_THROW(Timeline::from_json(bad), TimelineError);
}

}  // namespace
}  // namespace palimpsest

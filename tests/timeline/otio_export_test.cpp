#include "retrieval/timeline/otio_export.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "retrieval/timeline/manuscript.h"
#include "retrieval/planning/planner.h"
#include "tests/planning/fake_archive.h"

namespace palimpsest {
namespace {

using nlohmann::json;
using testing::FakeArchive;

struct Planned {
  FakeArchive archive = FakeArchive::demo();
  Timeline timeline;
  json otio;

  Planned() {
    timeline = plan_shots(std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "data/demo.fountain");
    Planner(archive).plan(timeline);
    otio = to_otio(timeline, [this](std::int64_t id) { return archive.row(id); });
  }
};

void expect_rational_time(const json& t, double rate) {
  EXPECT_EQ(t.at("OTIO_SCHEMA"), "RationalTime.1");
  EXPECT_DOUBLE_EQ(t.at("rate").get<double>(), rate);
  EXPECT_TRUE(t.at("value").is_number());
}

void expect_time_range(const json& r, double rate) {
  EXPECT_EQ(r.at("OTIO_SCHEMA"), "TimeRange.1");
  expect_rational_time(r.at("start_time"), rate);
  expect_rational_time(r.at("duration"), rate);
}

TEST(OtioExport, SchemaNamesAndStructure) {
  const Planned p;
  const json& otio = p.otio;
  // Valid JSON that reads back identically.
  EXPECT_EQ(json::parse(otio.dump(2)), otio);
  EXPECT_EQ(otio.at("OTIO_SCHEMA"), "Timeline.1");
  EXPECT_EQ(otio.at("name"), "The Red Circle");
  expect_rational_time(otio.at("global_start_time"), 12);
  const json& stack = otio.at("tracks");
  EXPECT_EQ(stack.at("OTIO_SCHEMA"), "Stack.1");
  ASSERT_EQ(stack.at("children").size(), 1u);
  const json& track = stack.at("children")[0];
  EXPECT_EQ(track.at("OTIO_SCHEMA"), "Track.1");
  EXPECT_EQ(track.at("kind"), "Video");
  const json& clips = track.at("children");
  ASSERT_EQ(clips.size(), p.timeline.shots.size());
  for (const json& clip : clips) {
    EXPECT_EQ(clip.at("OTIO_SCHEMA"), "Clip.1");
    expect_time_range(clip.at("source_range"), 12);
    EXPECT_EQ(clip.at("media_reference").at("OTIO_SCHEMA"), "ExternalReference.1");
    EXPECT_TRUE(clip.at("effects").is_array());
    EXPECT_TRUE(clip.at("markers").is_array());
    EXPECT_TRUE(clip.at("enabled").get<bool>());
  }
}

TEST(OtioExport, RangesAreConsistent) {
  const Planned p;
  const json& clips = p.otio["tracks"]["children"][0]["children"];
  double total = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const Shot& shot = p.timeline.shots[i];
    const json& clip = clips[i];
    const double duration = clip["source_range"]["duration"]["value"].get<double>();
    EXPECT_DOUBLE_EQ(duration, static_cast<double>(shot.frame_count()));
    total += duration;

    const RecordRow record = *p.archive.row(shot.keyframes.at(0).record_id);
    const json& reference = clip["media_reference"];
    EXPECT_EQ(reference["target_url"], "file://" + record.uri);
    const double start = clip["source_range"]["start_time"]["value"].get<double>();
    EXPECT_DOUBLE_EQ(start, static_cast<double>(record.ts_ms) * 12 / 1000.0);
    if (record.dur_ms) {
      expect_time_range(reference["available_range"], 12);
      EXPECT_DOUBLE_EQ(reference["available_range"]["start_time"]["value"].get<double>(), start);
      EXPECT_DOUBLE_EQ(reference["available_range"]["duration"]["value"].get<double>(), *record.dur_ms * 12 / 1000.0);
    } else {
      EXPECT_TRUE(reference["available_range"].is_null());  // a still has no extent
    }
    EXPECT_EQ(reference["metadata"]["palimpsest"]["record"], record.id);
  }
  EXPECT_DOUBLE_EQ(total, static_cast<double>(p.timeline.frame_count));
}

TEST(OtioExport, ClipMetadataNamesTheRecords) {
  const Planned p;
  const json& clips = p.otio["tracks"]["children"][0]["children"];
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const Shot& shot = p.timeline.shots[i];
    const json& meta = clips[i]["metadata"]["palimpsest"];
    EXPECT_EQ(meta["shot"], shot.index);
    EXPECT_EQ(meta["text"], shot.text);
    EXPECT_EQ(meta["raw_text"], shot.raw_text);
    EXPECT_EQ(meta["character"], shot.character);
    EXPECT_EQ(meta["start_frame"], shot.start_frame);
    EXPECT_EQ(meta["end_frame"], shot.end_frame);
    ASSERT_EQ(meta["keyframes"].size(), shot.keyframes.size());
    for (std::size_t k = 0; k < shot.keyframes.size(); ++k)
      EXPECT_EQ(meta["keyframes"][k]["record"], shot.keyframes[k].record_id);
    ASSERT_EQ(meta["guidance"].size(), shot.guidance.size());
    double sum = 0;
    for (std::size_t g = 0; g < shot.guidance.size(); ++g) {
      EXPECT_EQ(meta["guidance"][g]["record"], shot.guidance[g].record_id);
      sum += meta["guidance"][g]["weight"].get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    ASSERT_EQ(meta["negatives"].size(), shot.negatives.size());
    EXPECT_EQ(meta["provenance"]["status"], "pending");
  }
  EXPECT_EQ(clips[3]["metadata"]["palimpsest"]["character"], "MAYA");
  EXPECT_FALSE(clips[1]["metadata"]["palimpsest"]["negatives"].empty());  // the shot with --neg
  EXPECT_EQ(p.otio["metadata"]["palimpsest"]["frame_count"], p.timeline.frame_count);
}

TEST(OtioExport, GapsAndMissingRecords) {
  Timeline t;
  t.title = "Gaps";
  t.fps = 24;
  t.frame_count = 100;
  Shot a;
  a.index = 0;
  a.text = "a";
  a.start_frame = 10;
  a.end_frame = 40;
  a.keyframes = {{77, 10, false, 0.5}};  // unknown to the lookup
  Shot b;
  b.index = 1;
  b.text = "b";
  b.start_frame = 40;
  b.end_frame = 90;  // no keyframes
  t.shots = {a, b};
  const json otio = to_otio(t, [](std::int64_t) { return std::nullopt; });
  const json& children = otio["tracks"]["children"][0]["children"];
  ASSERT_EQ(children.size(), 4u);
  EXPECT_EQ(children[0]["OTIO_SCHEMA"], "Gap.1");
  EXPECT_EQ(children[0]["source_range"]["duration"]["value"], 10.0);
  EXPECT_EQ(children[1]["media_reference"]["OTIO_SCHEMA"], "MissingReference.1");
  EXPECT_EQ(children[2]["media_reference"]["OTIO_SCHEMA"], "MissingReference.1");
  EXPECT_EQ(children[3]["OTIO_SCHEMA"], "Gap.1");
  double total = 0;
  for (const json& child : children) total += child["source_range"]["duration"]["value"].get<double>();
  EXPECT_DOUBLE_EQ(total, 100.0);
}

TEST(OtioExport, ABorrowedPictureIsLabelledBorrowedAndAnEmptyShotSaysWhy) {
  FakeArchive archive = FakeArchive::demo();
  Timeline t;
  t.title = "Borrowing";
  t.fps = 12;
  t.frame_count = 72;
  t.planned = true;
  t.borrow_seconds = 1;
  for (int i = 0; i < 3; ++i) {
    Shot s;
    s.index = i;
    s.text = "shot " + std::to_string(i);
    s.start_frame = i * 24;
    s.end_frame = i * 24 + 24;
    t.shots.push_back(s);
  }
  t.shots[0].keyframes = {{5, 0, false, 0.5}};
  const json otio = to_otio(t, [&](std::int64_t id) { return archive.row(id); });
  const json& clips = otio["tracks"]["children"][0]["children"];
  ASSERT_EQ(clips.size(), 3u);
  EXPECT_EQ(clips[0]["media_reference"]["metadata"]["palimpsest"]["role"], "keyframe");
  EXPECT_EQ(clips[0]["metadata"]["palimpsest"]["pictures"]["status"], "own");
  // Shot 1 borrows shot 0's record for 12 frames (1 s), then is empty.
  const json& borrowed = clips[1]["media_reference"];
  EXPECT_EQ(borrowed["OTIO_SCHEMA"], "ExternalReference.1");
  EXPECT_EQ(borrowed["metadata"]["palimpsest"]["record"], 5);
  EXPECT_EQ(borrowed["metadata"]["palimpsest"]["role"], "borrowed");
  EXPECT_EQ(borrowed["metadata"]["palimpsest"]["from_shot"], 0);
  EXPECT_EQ(clips[1]["metadata"]["palimpsest"]["pictures"]["status"], "borrowed");
  EXPECT_EQ(clips[1]["metadata"]["palimpsest"]["pictures"]["borrowed_frames"], 12);
  // Shot 2 is past the limit: nothing to show, and the reason.
  EXPECT_EQ(clips[2]["media_reference"]["OTIO_SCHEMA"], "MissingReference.1");
  EXPECT_NE(clips[2]["media_reference"]["metadata"]["palimpsest"]["reason"].get<std::string>().find("no picture"),
            std::string::npos);
  EXPECT_EQ(clips[2]["metadata"]["palimpsest"]["pictures"]["status"], "empty");
}

TEST(OtioExport, FileUris) {
  EXPECT_EQ(file_uri("/archive/footage/harbour.mp4"), "file:///archive/footage/harbour.mp4");
  EXPECT_EQ(file_uri("/a b/c#d%e.mp4"), "file:///a%20b/c%23d%25e.mp4");
  EXPECT_EQ(file_uri("/été.png"), "file:///%C3%A9t%C3%A9.png");
  EXPECT_EQ(file_uri("https://example.org/x.mp4"), "https://example.org/x.mp4");
  EXPECT_TRUE(file_uri("relative/x.png").starts_with("file:///"));
}

}  // namespace
}  // namespace palimpsest

// Films within the limits table (issue 15.2) and errors that quote a manuscript in one line
// (issue 15.10). The reproducers planned 1,036,800 frames, used 4.8 GB or grew to 24 GB: here each
// is refused while its shots are laid out, naming the limit, the flag and the shot.
#include <gtest/gtest.h>

#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/timeline_limits.h"

namespace palimpsest {
namespace {

Timeline plan_text(const std::string& text, const TimelineOptions& options = {}) {
  return plan_shots(text, ManuscriptFormat::text, options, "long.txt");
}

std::string limit_error(const std::string& text, const TimelineOptions& options = {}) {
  try {
    plan_text(text, options);
  } catch (const LimitError& e) {
    return e.what();
  }
  return "(no LimitError)";
}

TEST(TimelineLimits, TheReproducersAreRefusedNamingTheLimitAndTheShot) {
  for (const std::string duration : {"5000000s", "1e7s", "96000000f", "400000s", "86400s"}) {
    const std::string message =
        limit_error("A calm sea.\n\nA red circle over the sea. [[duration: " + duration + "]]\n");
    EXPECT_NE(message.find("the film length limit is 86400 frames (--max-frames raises it)"), std::string::npos)
        << duration << ": " << message;
    EXPECT_NE(message.find("shot 2 at long.txt:3"), std::string::npos) << duration << ": " << message;
  }
  // 86400 s at 12 fps: the exact count is named.
  EXPECT_NE(limit_error("A red circle. [[duration: 86400s]]").find("1036800 frames at 12 fps"), std::string::npos);
}

TEST(TimelineLimits, TheLimitIsInclusiveAndCanBeRaised) {
  EXPECT_EQ(plan_text("A red circle. [[duration: 86400f]]").frame_count, 86'400);
  EXPECT_NE(limit_error("A red circle. [[duration: 86401f]]"), "(no LimitError)");
  TimelineOptions more;
  more.limits.max_frames = 200'000;
  EXPECT_EQ(plan_text("A red circle. [[duration: 100000f]]", more).frame_count, 100'000);
  TimelineOptions fewer;
  fewer.limits.max_frames = 10;
  EXPECT_NE(limit_error("A red circle. [[duration: 2s]]", fewer).find("limit is 10 frames"), std::string::npos);
}

TEST(TimelineLimits, ServedFilmsAreBoundBySizeRateAndStepsToo) {
  TimelineOptions served;
  served.limits = FilmLimits::served();
  const std::string steps = limit_error("A red circle. [[steps: 0:(20), 12:(500)]]", served);
  EXPECT_NE(steps.find("shot 1 asks for 500 sampler steps at frame 12; this server's sampler steps limit is 200"),
            std::string::npos)
      << steps;
  served.width = 2048;
  EXPECT_NE(limit_error("A red circle.", served).find("film size limit is 1024"), std::string::npos);
  served.width = 320;
  served.fps = 100;
  EXPECT_NE(limit_error("A red circle.", served).find("frame rate limit is 60 fps"), std::string::npos);
  // The same manuscript is fine for a local command.
  EXPECT_NO_THROW(plan_text("A red circle. [[steps: 0:(20), 12:(500)]]"));
}

TEST(TimelineLimits, ATimelineFromElsewhereIsCheckedToo) {
  Timeline t = plan_text("A red circle.");
  t.shots[0].end_frame = t.frame_count = 10'000'000;  // a hand-edited document
  EXPECT_THROW(check_film_limits(t, FilmLimits::local()), LimitError);
  t.shots[0].end_frame = t.frame_count = 100;
  EXPECT_NO_THROW(check_film_limits(t, FilmLimits::local()));
}

// Error messages that quote a manuscript are one line of bounded length, however much the
// manuscript put where a value belongs (one ran to 2,887 lines).
TEST(TimelineLimits, ErrorsQuotingTheManuscriptAreCappedAndElided) {
  std::string keys;
  for (int i = 0; i < 3000; ++i) keys += std::to_string(i) + ":(0.5),\n";
  for (const std::string& note : {"[[strength: " + keys + "oops]]", "[[duration: " + keys + "]]",
                                  "[[seed_mode: " + keys + "]]", "[[zoom: (1.0 " + keys + "]]"}) {
    try {
      plan_text("A red circle. " + note);
      ADD_FAILURE() << "accepted " << note.substr(0, 40);
    } catch (const ManuscriptError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << note.substr(0, 40);
      EXPECT_LT(message.size(), 700u) << message;
      EXPECT_NE(message.find("…"), std::string::npos) << message;
      EXPECT_EQ(message.rfind("long.txt:1:", 0), 0u) << message;
    }
  }
  // The position of a schedule error stays in view.
  try {
    plan_text("A red circle. [[strength: " + keys + "9999:(0.5) 4]]");
    ADD_FAILURE();
  } catch (const ManuscriptError& e) {
    EXPECT_NE(std::string(e.what()).find("9999:(0.5) 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace palimpsest

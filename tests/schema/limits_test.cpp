// The limits table (issue 15.2): one source for the CLI, the API and the render jobs, and errors
// that name the limit and how to raise it.
#include "schema/limits.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

TEST(Limits, ServedLimitsNeverExceedLocalOnes) {
  for (const LimitEntry& e : kLimits) {
    EXPECT_GE(e.local, 0) << e.name;
    EXPECT_GE(e.served, 0) << e.name;
    EXPECT_TRUE(e.local > 0 || e.served > 0) << e.name << " applies nowhere";
    if (e.local > 0 && e.served > 0) EXPECT_LE(e.served, e.local) << e.name;
    if (!e.local_flag.empty()) EXPECT_GT(e.local, 0) << e.name;
    if (!e.served_flag.empty()) EXPECT_GT(e.served, 0) << e.name;
  }
  const FilmLimits local = FilmLimits::local(), served = FilmLimits::served();
  EXPECT_EQ(local.max_frames, 86'400);
  EXPECT_EQ(served.max_frames, 7'200);
  EXPECT_EQ(served.scope, LimitScope::served);
  EXPECT_LT(served.max_side, local.max_side);
}

TEST(Limits, ErrorsNameTheLimitAndTheFlagThatRaisesIt) {
  const LimitError local(Limit::film_frames, LimitScope::local, "the film would have 1036800 frames", 86'400);
  EXPECT_STREQ(local.what(),
               "the film would have 1036800 frames; the film length limit is 86400 frames (--max-frames raises it)");
  EXPECT_EQ(local.exit_code(), 1);
  EXPECT_EQ(local.http_status(), 422);
  EXPECT_EQ(local.code(), "too_long");
  const LimitError served(Limit::film_frames, LimitScope::served, "the film would have 9000 frames", 7'200);
  EXPECT_NE(std::string(served.what()).find("this server's film length limit is 7200 frames "
                                            "(palimpsest serve --max-film-frames raises it)"),
            std::string::npos)
      << served.what();
  const LimitError no_flag(Limit::steps, LimitScope::served, "shot 2 asks for 500 sampler steps", 200);
  EXPECT_STREQ(no_flag.what(), "shot 2 asks for 500 sampler steps; this server's sampler steps limit is 200 steps");
  EXPECT_EQ(no_flag.code(), "too_large");
}

}  // namespace
}  // namespace palimpsest

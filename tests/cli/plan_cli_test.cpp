// `palimpsest plan` and `palimpsest export`: a manuscript becomes a saved timeline and an OTIO file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/catalog.h"
#include "tests/common/test_support.h"
#include "schema/film_store.h"

namespace palimpsest {
namespace {

TEST(PlanCli, PlansTheDemoManuscriptAndExportsOtio) {
  testing::TempDir dir;
  testing::write_file(dir / "a" / "notes.md",
                      "A large white circle over the sea at night.\n\nOrange triangles over the desert.\n\n"
                      "A green ring in the forest.\n");
  const auto db = (dir / "c.db").string();
  ASSERT_EQ(testing::run_palimpsest({"--db", db, "ingest", (dir / "a").string(), "--no-embed"}).exit_code, 0);
  const std::string manuscript = std::string(PALIMPSEST_SOURCE_DIR) + "/data/demo.fountain";
  auto plan = testing::run_palimpsest({"--db", db, "plan", manuscript, "--json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  auto timeline = nlohmann::json::parse(plan.out);
  EXPECT_EQ(timeline["version"], 1);
  ASSERT_GE(timeline["shots"].size(), 5u);
  // The sea line found the sea paragraph as guidance (lexical planning without a model).
  const auto& guidance = timeline["shots"][0]["guidance"];
  ASSERT_FALSE(guidance.empty()) << timeline["shots"][0].dump();
  EXPECT_EQ(guidance[0]["record"], 1) << guidance.dump();
  double total = 0;
  for (const auto& g : guidance) total += g["weight"].get<double>();
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_GT(guidance[0]["weight"].get<double>(), guidance[guidance.size() - 1]["weight"].get<double>());
  {
    Catalog catalog(dir / "c.db");
    auto film = catalog.films().get(1);
    ASSERT_TRUE(film);
    EXPECT_EQ(film->status, FilmStatus::planned);
    EXPECT_EQ(film->timeline["shots"].size(), timeline["shots"].size());
  }
  auto exported = testing::run_palimpsest({"--db", db, "export", "1", "--otio", (dir / "film.otio").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto otio = nlohmann::json::parse(testing::read_file(dir / "film.otio"));
  EXPECT_EQ(otio["OTIO_SCHEMA"], "Timeline.1");
  EXPECT_EQ(otio["tracks"]["OTIO_SCHEMA"], "Stack.1");
  EXPECT_EQ(otio["tracks"]["children"][0]["OTIO_SCHEMA"], "Track.1");

  EXPECT_EQ(testing::run_palimpsest({"--db", db, "export", "42", "--otio", (dir / "x.otio").string()}).exit_code, 1);
  auto missing = testing::run_palimpsest({"--db", db, "plan", (dir / "nope.fountain").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.fountain"), std::string::npos) << missing.err;
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", manuscript, "--size", "17x9"}).exit_code, 2);
}

}  // namespace
}  // namespace palimpsest

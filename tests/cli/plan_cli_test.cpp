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
  auto plan = testing::run_palimpsest({"--db", db, "plan", manuscript, "--json", "--save"});
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

TEST(PlanCli, DryRunsSaveNothingAndTheSamePlanReusesItsFilm) {
  testing::TempDir dir;
  testing::write_file(dir / "a" / "notes.md",
                      "A white circle over the sea.\n\nOrange triangles over the desert.\n\nA green ring in the forest.\n");
  testing::write_file(dir / "b" / "more.md", "The sea again, and the desert.\n");
  testing::write_file(dir / "script.txt", "The white circle over the sea.\n\nTriangles in the desert.\n");
  const auto db = (dir / "c.db").string();
  ASSERT_EQ(testing::run_palimpsest({"--db", db, "ingest", (dir / "a").string(), "--no-embed"}).exit_code, 0);
  ASSERT_EQ(testing::run_palimpsest({"--db", db, "ingest", (dir / "b").string(), "--archive", "b", "--no-embed"}).exit_code, 0);
  const std::string script = (dir / "script.txt").string();
  auto films = [&] {
    Catalog catalog(dir / "c.db");
    return catalog.films().list(0, 1000).size();
  };

  auto json_only = testing::run_palimpsest({"--db", db, "plan", script, "--json"});
  ASSERT_EQ(json_only.exit_code, 0) << json_only.err;
  EXPECT_TRUE(nlohmann::json::parse(json_only.out)["film_id"].is_null());
  auto dry = testing::run_palimpsest({"--db", db, "plan", script, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run (no film saved)"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("pictures: 2 shots: 0 with their own pictures, 0 borrowed, 2 empty"), std::string::npos) << dry.out;
  EXPECT_EQ(films(), 0u);
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--dry-run", "--save"}).exit_code, 2);

  auto first = testing::run_palimpsest({"--db", db, "plan", script, "--title", "Sea and sand"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("film 1 planned: \"Sea and sand\""), std::string::npos) << first.out;
  auto again = testing::run_palimpsest({"--db", db, "plan", script, "--title", "Sea and sand"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("film 1 (planned before, reused)"), std::string::npos) << again.out;
  EXPECT_EQ(films(), 1u);
  // Other settings are another film.
  auto other = testing::run_palimpsest({"--db", db, "plan", script, "--archive", "b"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out.find("film 2 planned"), std::string::npos) << other.out;

  // --archive, --kinds, --exclude and --pin reach the plan.
  auto only_b = nlohmann::json::parse(testing::run_palimpsest({"--db", db, "plan", script, "--json", "--archive", "b"}).out);
  for (const auto& shot : only_b["shots"])
    for (const auto& g : shot["guidance"]) EXPECT_EQ(g["record"], 4) << shot.dump();
  auto excluded = nlohmann::json::parse(
      testing::run_palimpsest({"--db", db, "plan", script, "--json", "--exclude", "1", "--exclude", "4"}).out);
  for (const auto& shot : excluded["shots"])
    for (const auto& g : shot["guidance"]) {
      EXPECT_NE(g["record"], 1);
      EXPECT_NE(g["record"], 4);
    }
  auto pinned = nlohmann::json::parse(testing::run_palimpsest({"--db", db, "plan", script, "--json", "--pin", "1=3"}).out);
  ASSERT_FALSE(pinned["shots"][1]["guidance"].empty());
  EXPECT_EQ(pinned["shots"][1]["guidance"][0]["record"], 3);
  EXPECT_TRUE(pinned["shots"][1]["guidance"][0]["pinned"].get<bool>());
  auto pictures_only = nlohmann::json::parse(testing::run_palimpsest({"--db", db, "plan", script, "--json", "--kinds", "image,frame"}).out);
  for (const auto& shot : pictures_only["shots"]) EXPECT_TRUE(shot["guidance"].empty()) << shot.dump();

  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--pin", "1:3"}).exit_code, 2);
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--pin", "1=999"}).exit_code, 1);
  auto bad_shot = testing::run_palimpsest({"--db", db, "plan", script, "--pin", "7=3"});
  EXPECT_EQ(bad_shot.exit_code, 1);
  EXPECT_NE(bad_shot.err.find("shot 7"), std::string::npos) << bad_shot.err;
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--pin", "1=3", "--exclude", "3"}).exit_code, 1);
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--kinds", "image,paintings"}).exit_code, 2);
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", script, "--archive", "nope"}).exit_code, 1);
}

TEST(PlanCli, ReadCommandsOnACatalogThatDoesNotExistSaySoAndCreateNone) {
  testing::TempDir dir;
  const auto db = (dir / "missing.db").string();
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"records"}, {"record", "1"}, {"search", "sea"}, {"provenance", "1", "--frame", "0"},
                                             {"export", "1", "--otio", (dir / "x.otio").string()}, {"serve", "--port", "0"}}) {
    std::vector<std::string> args = {"--db", db};
    args.insert(args.end(), command.begin(), command.end());
    const auto r = testing::run_palimpsest(args);
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find("no catalog at " + db), std::string::npos) << command[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(db)) << command[0];
  }
}

}  // namespace
}  // namespace palimpsest

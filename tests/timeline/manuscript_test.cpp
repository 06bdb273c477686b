#include "retrieval/timeline/manuscript.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

std::filesystem::path source_file(const std::string& relative) {
  return std::filesystem::path(PALIMPSEST_SOURCE_DIR) / relative;
}

Timeline fountain(const std::string& text, const TimelineOptions& options = {}) {
  return plan_shots(text, ManuscriptFormat::fountain, options, "script.fountain");
}

std::vector<ShotKind> kinds(const Timeline& t) {
  std::vector<ShotKind> out;
  for (const Shot& s : t.shots) out.push_back(s.kind);
  return out;
}

// Shots are back to back from frame 0, numbered in order, and cover the film.
void expect_contiguous(const Timeline& t) {
  ASSERT_FALSE(t.shots.empty());
  std::int64_t cursor = 0;
  for (std::size_t i = 0; i < t.shots.size(); ++i) {
    EXPECT_EQ(t.shots[i].index, static_cast<int>(i));
    EXPECT_EQ(t.shots[i].start_frame, cursor) << "shot " << i;
    EXPECT_GT(t.shots[i].end_frame, t.shots[i].start_frame) << "shot " << i;
    cursor = t.shots[i].end_frame;
  }
  EXPECT_EQ(t.frame_count, cursor);
}

void expect_manuscript_error(const std::function<void()>& make, const std::string& file, int line, int column,
                             const std::string& message_part) {
  try {
    make();
    FAIL() << "no error";
  } catch (const ManuscriptError& e) {
    EXPECT_EQ(e.file, file) << e.what();
    EXPECT_EQ(e.line, line) << e.what();
    EXPECT_EQ(e.column, column) << e.what();
    EXPECT_NE(e.message.find(message_part), std::string::npos) << e.what();
  }
}

// ---- the demo manuscript ---------------------------------------------------------------------------

TEST(Manuscript, DemoFountain) {
  const Timeline t = plan_shots(source_file("data/demo.fountain"));
  EXPECT_EQ(t.title, "The Red Circle");
  EXPECT_EQ(t.manuscript.format, "fountain");
  EXPECT_EQ(t.fps, 12);
  EXPECT_EQ(t.width, 320);
  EXPECT_EQ(t.height, 192);
  EXPECT_TRUE(t.warnings.empty()) << ::testing::PrintToString(t.warnings);
  ASSERT_GE(t.shots.size(), 5u);
  ASSERT_LE(t.shots.size(), 8u);
  expect_contiguous(t);
  using K = ShotKind;
  EXPECT_EQ(kinds(t), (std::vector<K>{K::action, K::action, K::action, K::dialogue, K::action, K::action, K::scene}));

  const Shot& moon = t.shots[0];
  EXPECT_EQ(moon.text, "A large white circle rises over the sea. sea, night");
  EXPECT_EQ(moon.scene, "sea, night");
  EXPECT_EQ(moon.frame_count(), 48);  // [[duration: 4s]] at 12 fps
  EXPECT_EQ(moon.duration_source, "explicit");
  EXPECT_DOUBLE_EQ(t.evaluate(moon.start_frame + 47).zoom, 1.04);  // the camera-move note

  EXPECT_EQ(t.shots[1].negative, "city, buildings");
  EXPECT_EQ(t.shots[1].text.find("--neg"), std::string::npos);

  const Shot& maya = t.shots[3];
  EXPECT_EQ(maya.character, "MAYA");
  EXPECT_EQ(maya.text, "MAYA: The red circle is following us. desert, sunset");
  ASSERT_EQ(maya.terms.size(), 3u);
  EXPECT_EQ(maya.terms[1], (PromptTerm{"red circle", 1.3}));
  // The scene heading's angle note applies to every shot of the desert scene.
  for (int i : {2, 3, 4}) {
    const Shot& s = t.shots[static_cast<std::size_t>(i)];
    EXPECT_DOUBLE_EQ(t.evaluate(s.start_frame + 24).angle, 3) << i;
  }
  EXPECT_DOUBLE_EQ(t.evaluate(t.shots[5].start_frame + 24).angle, 0);
  // A note on a line of its own applies to the next shot.
  EXPECT_TRUE(t.shots[4].parameters.schedules.contains(Parameter::strength));
  EXPECT_FALSE(t.shots[3].parameters.schedules.contains(Parameter::strength));
  EXPECT_EQ(t.shots[6].text, "snow");
}

// ---- a screenplay of several pages -----------------------------------------------------------------

class HarbourLights : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    timeline_ = new Timeline(plan_shots(source_file("tests/timeline/data/harbour_lights.fountain")));
  }
  static void TearDownTestSuite() { delete timeline_; }
  const Timeline& t() const { return *timeline_; }
  const Shot& shot_starting(const std::string& text) const {
    for (const Shot& s : t().shots)
      if (s.text.starts_with(text)) return s;
    throw std::runtime_error("no shot starts with " + text);
  }
  bool any_shot_contains(const std::string& text) const {
    for (const Shot& s : t().shots)
      if (s.text.find(text) != std::string::npos || s.raw_text.find(text) != std::string::npos) return true;
    return false;
  }
  static Timeline* timeline_;
};
Timeline* HarbourLights::timeline_ = nullptr;

TEST_F(HarbourLights, TitleShotsAndFrames) {
  EXPECT_EQ(t().title, "HARBOUR LIGHTS a short film in four scenes");
  EXPECT_EQ(t().shots.size(), 38u);
  expect_contiguous(t());
  EXPECT_GT(t().frame_count, 12 * 120);  // several minutes of film
  EXPECT_TRUE(t().warnings.empty()) << ::testing::PrintToString(t().warnings);
  // The title page's note sets the film's zoom.
  ASSERT_TRUE(t().parameters.schedules.contains(Parameter::zoom));
}

TEST_F(HarbourLights, WhatIsNotAShot) {
  EXPECT_FALSE(any_shot_contains("ACT ONE"));            // section
  EXPECT_FALSE(any_shot_contains("finds the keeper"));   // synopsis
  EXPECT_FALSE(any_shot_contains("CUT TO"));             // transition
  EXPECT_FALSE(any_shot_contains("DISSOLVE"));
  EXPECT_FALSE(any_shot_contains("FADE OUT"));
  EXPECT_FALSE(any_shot_contains("projector noise"));    // boneyard
  EXPECT_FALSE(any_shot_contains("(to herself)"));       // parenthetical
  EXPECT_FALSE(any_shot_contains("==="));                // page break
  for (const Shot& s : t().shots) EXPECT_NE(s.kind, ShotKind::scene);  // every scene has shots
}

TEST_F(HarbourLights, ElementsBecomeShots) {
  const Shot& first = t().shots.front();
  EXPECT_EQ(first.kind, ShotKind::action);
  EXPECT_EQ(first.source_line, 19);
  EXPECT_EQ(first.frame_count(), 60);  // [[duration: 5s]]
  EXPECT_EQ(first.scene, "harbour, night");

  const Shot& voice_over = shot_starting("ODA: Every night");
  EXPECT_EQ(voice_over.kind, ShotKind::dialogue);
  EXPECT_EQ(voice_over.character, "ODA");

  const Shot& canister = shot_starting("ODA, sixty");
  EXPECT_NE(canister.raw_text.find("*SNOW, 1961*"), std::string::npos);  // emphasis kept in raw text
  EXPECT_NE(canister.text.find("marked SNOW, 1961"), std::string::npos); // and stripped for search

  const Shot& projection = shot_starting("The wall fills with snow");
  ASSERT_EQ(projection.terms.size(), 5u);
  EXPECT_EQ(projection.terms[1], (PromptTerm{"white", 1.4}));
  EXPECT_EQ(projection.terms[3], (PromptTerm{"grey", 0.6}));

  const Shot& song = shot_starting("THE SQUARE: You did");
  EXPECT_EQ(song.kind, ShotKind::lyric);
  EXPECT_EQ(song.character, "THE SQUARE");

  const Shot& dual = shot_starting("ODA: I don't remember");
  EXPECT_EQ(dual.kind, ShotKind::dialogue);

  const Shot& card = shot_starting("REEL 119");
  EXPECT_EQ(card.kind, ShotKind::centered);
  EXPECT_EQ(card.scene, "archive insert, card 119");  // a forced scene heading

  EXPECT_EQ(shot_starting("THE RING TURNS").kind, ShotKind::action);  // forced action
  EXPECT_EQ(shot_starting("THE END").kind, ShotKind::centered);
}

TEST_F(HarbourLights, Directives) {
  EXPECT_EQ(shot_starting("A narrow room").pinned_records, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(shot_starting("The harbour in daylight").pinned_records, (std::vector<std::int64_t>{12, 15}));
  EXPECT_EQ(shot_starting("A line of small black triangles").negative, "city, cars, people");
  EXPECT_EQ(shot_starting("Oda labels").frame_count(), 96);  // [[duration: 96f]]
  EXPECT_EQ(shot_starting("Oda labels").duration_source, "explicit");

  // Notes on lines of their own before a shot belong to it, and to it alone.
  const Shot& square = shot_starting("The red square sits");
  EXPECT_EQ(square.parameters.seed_mode, SeedMode::fixed);
  EXPECT_DOUBLE_EQ(t().evaluate(square.start_frame + 12).strength, 0.45);
  const Shot& triangles = shot_starting("A line of small black triangles");
  EXPECT_DOUBLE_EQ(t().evaluate(triangles.start_frame + 12).strength, 0.65);

  // A note inside the paragraph before the action line (note-only line first) attaches to it.
  const Shot& beam = shot_starting("A lighthouse beam");
  EXPECT_DOUBLE_EQ(t().evaluate(beam.start_frame + 36).zoom, 1.06);
  // Film zoom everywhere else.
  EXPECT_DOUBLE_EQ(t().evaluate(0).zoom, 1.0);

  // The desert scene's angle note is on the first action, so it is that shot's alone.
  const Shot& desert = shot_starting("A desert at sunset");
  EXPECT_DOUBLE_EQ(t().evaluate(desert.start_frame + 48).angle, -4);
  EXPECT_EQ(desert.frame_count(), 72);
  EXPECT_DOUBLE_EQ(t().evaluate(shot_starting("The dunes").start_frame + 48).angle, 0);
}

TEST_F(HarbourLights, TimelineRoundTrips) {
  EXPECT_EQ(Timeline::from_json(t().to_json()), t());
}

// ---- durations -------------------------------------------------------------------------------------

TEST(ManuscriptDurations, FromWordsExplicitOrMinimum) {
  const Timeline t = fountain(
      "Sea.\n\n"                                                             // 1 word: the 2 s minimum
      "one two three four five six seven eight nine ten\n\n"                 // 10 words: 4 s
      "Sky. [[duration: 4.5s]]\n\n"
      "Sky. [[duration: 7f]]\n\n"
      "Sky. [[duration: 1500ms]]\n\n"
      "Sky. [[duration: 3]]\n\n"
      "Sky. [[Duration: 2 seconds]]\n");
  ASSERT_EQ(t.shots.size(), 7u);
  EXPECT_EQ(t.shots[0].frame_count(), 24);
  EXPECT_EQ(t.shots[0].duration_source, "words");
  EXPECT_EQ(t.shots[1].frame_count(), 48);
  EXPECT_EQ(t.shots[2].frame_count(), 54);
  EXPECT_EQ(t.shots[3].frame_count(), 7);
  EXPECT_EQ(t.shots[4].frame_count(), 18);
  EXPECT_EQ(t.shots[5].frame_count(), 36);
  EXPECT_EQ(t.shots[6].frame_count(), 24);
  expect_contiguous(t);

  TimelineOptions options;
  options.fps = 24;
  options.width = 512;
  options.height = 288;
  const Timeline at24 = fountain("Sea.\n\nSky. [[duration: 0.01s]]\n", options);
  EXPECT_EQ(at24.shots[0].frame_count(), 48);
  EXPECT_EQ(at24.shots[1].frame_count(), 1);  // at least one frame
  EXPECT_EQ(at24.width, 512);
}

// ---- errors name file, line and column -------------------------------------------------------------

TEST(ManuscriptErrors, NameFileLineAndColumn) {
  expect_manuscript_error([] { fountain("Sea.\n\nA wave. [[zoom: 0:(1), 24(1.1)]]\n"); }, "script.fountain", 3, 9,
                          "zoom: expected ':' at position 10");
  expect_manuscript_error([] { fountain("Sea.\n\n  A wave.\n  [[duration: soon]]\n"); }, "script.fountain", 4, 3,
                          "duration: expected a length");
  expect_manuscript_error([] { fountain("[[record: 12x]]\n\nA wave.\n"); }, "script.fountain", 1, 1,
                          "invalid record id");
  expect_manuscript_error([] { fountain("Sea.\n\nA (wave:1.x) rolls.\n"); }, "script.fountain", 3, 9, "invalid weight");
  expect_manuscript_error([] { fountain("A wave. [[strength: 2]]\n"); }, "script.fountain", 1, 9,
                          "strength: value 2 at frame 0 is outside 0 .. 1");
  expect_manuscript_error([] { fountain("A wave. [[seed_mode: random]]\n"); }, "script.fountain", 1, 9,
                          "expected fixed, iter or schedule");
  expect_manuscript_error([] { fountain("Title: Only a title\n"); }, "script.fountain", 0, 0, "no shots");
  expect_manuscript_error([] { fountain("A wave\xff\n"); }, "script.fountain", 1, 7, "invalid UTF-8");
  expect_manuscript_error([] { plan_shots(std::filesystem::path("/nonexistent/film.fountain")); },
                          "/nonexistent/film.fountain", 0, 0, "");
  EXPECT_THROW(fountain("Sea.", TimelineOptions{.fps = 0}), std::invalid_argument);
}

TEST(ManuscriptErrors, UnknownDirectivesAreCommentsOrWarnings) {
  const Timeline t = fountain("A wave. [[Note: check the light]] [[strenght: 0.5]] [[todo: rewrite]]\n");
  ASSERT_EQ(t.shots.size(), 1u);
  EXPECT_TRUE(t.shots[0].parameters.empty());
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("script.fountain:1:35: unknown directive \"strenght\""), std::string::npos) << t.warnings[0];
  EXPECT_NE(t.warnings[0].find("did you mean \"strength\""), std::string::npos);
}

TEST(ManuscriptOptions, FilmParametersFromOptionsWin) {
  TimelineOptions options;
  ASSERT_TRUE(set_parameter(options.parameters, "strength", "0.3"));
  const Timeline t = fountain("Title: T\n[[strength: 0.5]] [[fov: 60]]\n\nA wave.\n", options);
  EXPECT_DOUBLE_EQ(t.evaluate(0).strength, 0.3);
  EXPECT_DOUBLE_EQ(t.evaluate(0).fov, 60);
  // Every kind of parameter a command line gives reaches the film (`--schedule guidance_mode=clip`
  // was dropped on the way, so clip mode never ran from `make`).
  TimelineOptions all;
  ASSERT_TRUE(set_parameter(all.parameters, "guidance_mode", "clip"));
  ASSERT_TRUE(set_parameter(all.parameters, "guidance_curve", "0:(1), 100:(0.2)"));
  ASSERT_TRUE(set_parameter(all.parameters, "seed_mode", "fixed"));
  ASSERT_TRUE(set_parameter(all.parameters, "init", "black"));
  const Timeline given = fountain("Title: T\n\nA wave.\n", all);
  EXPECT_EQ(given.parameters.guidance_mode, GuidanceMode::clip);
  EXPECT_TRUE(given.parameters.guidance_curve.has_value());
  EXPECT_EQ(given.evaluate(0).guidance_mode, GuidanceMode::clip);
  EXPECT_EQ(given.parameters.seed_mode, SeedMode::fixed);
  EXPECT_TRUE(given.parameters.init.has_value());
  TimelineOptions titled;
  titled.title = "Given";
  EXPECT_EQ(fountain("Title: T\n\nA wave.\n", titled).title, "Given");
  EXPECT_EQ(plan_shots("A wave.", ManuscriptFormat::text, {}, "/films/waves.txt").title, "waves");
}

TEST(ManuscriptFountain, ScenesWithoutShotsAndTrailingNotes) {
  const Timeline t = fountain(
      "EXT. BEACH - DAY\n\n"
      "INT. HOUSE - NIGHT [[duration: 3s]]\n\n"
      "A lamp.\n\n"
      "[[zoom: 1.02]]\n");
  ASSERT_EQ(t.shots.size(), 2u);
  EXPECT_EQ(t.shots[0].kind, ShotKind::scene);
  EXPECT_EQ(t.shots[0].text, "beach, day");
  EXPECT_EQ(t.shots[1].text, "A lamp. house, night");
  EXPECT_EQ(t.shots[1].frame_count(), 36);  // the scene's duration note
  EXPECT_DOUBLE_EQ(t.evaluate(t.shots[1].start_frame).zoom, 1.02);  // a trailing note: the last shot
}

// ---- subtitles -------------------------------------------------------------------------------------

TEST(ManuscriptSubtitles, OneShotPerCueWithGapsFilled) {
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:02,000\nThe sea at night.\n\n"
      "2\n00:00:03,000 --> 00:00:04,500\nA (white:1.2) circle [[record: 5]] [[zoom: 0:(1), 6:(1.1)]]\n\n"
      "3\n00:00:04,000 --> 00:00:06,000\nThe <i>desert</i> at dawn. [[duration: 9s]]\n";
  const Timeline t = plan_shots(srt, ManuscriptFormat::srt, {}, "film.srt");
  ASSERT_EQ(t.shots.size(), 3u);
  EXPECT_EQ(t.manuscript.format, "srt");
  // Cue 1 starts at 1 s, but the film starts at 0; the gap after it extends it; cue 2 overlaps
  // cue 3, which cuts it.
  EXPECT_EQ(t.shots[0].start_frame, 0);
  EXPECT_EQ(t.shots[0].end_frame, 36);
  EXPECT_EQ(t.shots[1].start_frame, 36);
  EXPECT_EQ(t.shots[1].end_frame, 48);
  EXPECT_EQ(t.shots[2].start_frame, 48);
  EXPECT_EQ(t.shots[2].end_frame, 72);
  EXPECT_EQ(t.frame_count, 72);
  for (const Shot& s : t.shots) {
    EXPECT_EQ(s.kind, ShotKind::cue);
    EXPECT_EQ(s.duration_source, "subtitle");
  }
  EXPECT_EQ(t.shots[0].source_line, 2);
  EXPECT_EQ(t.shots[1].text, "A white circle");
  EXPECT_EQ(t.shots[1].pinned_records, (std::vector<std::int64_t>{5}));
  EXPECT_DOUBLE_EQ(t.evaluate(42).zoom, 1.1);
  EXPECT_EQ(t.shots[2].text, "The desert at dawn.");
  EXPECT_NE(t.shots[2].raw_text.find("<i>"), std::string::npos);
  ASSERT_EQ(t.warnings.size(), 1u);  // the duration note: times come from the file
  EXPECT_NE(t.warnings[0].find("film.srt:11:"), std::string::npos) << t.warnings[0];
}

TEST(ManuscriptSubtitles, WebVttVoicesAndSameFrameCues) {
  const std::string vtt =
      "WEBVTT\n\n"
      "00:00.000 --> 00:01.000\n<v Maya>Look at the sky.\n\n"
      "00:01.010 --> 00:01.020\nA flash.\n\n"
      "00:01.030 --> 00:03.000\n<v Oda>It is gone.\n";
  const Timeline t = plan_shots(vtt, ManuscriptFormat::webvtt, {}, "film.vtt");
  ASSERT_EQ(t.shots.size(), 3u);
  EXPECT_EQ(t.shots[0].character, "Maya");
  EXPECT_EQ(t.shots[0].text, "Maya: Look at the sky.");
  // Cues 2 and 3 start in the same frame: each keeps at least one.
  EXPECT_EQ(t.shots[1].start_frame, 12);
  EXPECT_EQ(t.shots[2].start_frame, 13);
  EXPECT_EQ(t.shots[2].end_frame, 36);
  expect_contiguous(t);
}

TEST(ManuscriptSubtitles, MalformedCuesAreWarningsBadTextIsAnError) {
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:02,000\nGood.\n\n"
      "2\n00:00:05,000 --> 00:00:03,000\nBackwards.\n\n"
      "3\n00:00:06,000 --> 00:00:07,000\nAlso good.\n";
  const Timeline t = plan_shots(srt, ManuscriptFormat::srt, {}, "film.srt");
  EXPECT_EQ(t.shots.size(), 2u);
  EXPECT_EQ(t.warnings.size(), 1u);
  expect_manuscript_error(
      [] { plan_shots("1\n00:00:01,000 --> 00:00:02,000\nBad \xc3\x28 byte\n", ManuscriptFormat::srt, {}, "bad.srt"); },
      "bad.srt", 3, 5, "invalid UTF-8");
  expect_manuscript_error([] { plan_shots("WEBVTT\n\n", ManuscriptFormat::webvtt, {}, "empty.vtt"); }, "empty.vtt", 0,
                          0, "no shots");
}

// ---- plain text ------------------------------------------------------------------------------------

TEST(ManuscriptPlainText, OneShotPerParagraph) {
  const std::string text =
      "A red circle over the sea.\n"
      "It rises slowly.\n"
      "\n"
      "[[zoom: 0:(1), 12:(1.2)]]\n"
      "\n"
      "    A (blue:1.5) square in the snow. --neg city\n"
      "\n"
      "The end. [[record: 9]] [[duration: 3s]]\n";
  const Timeline t = plan_shots(text, ManuscriptFormat::text, {}, "story.txt");
  ASSERT_EQ(t.shots.size(), 3u);
  EXPECT_EQ(t.shots[0].kind, ShotKind::paragraph);
  EXPECT_EQ(t.shots[0].text, "A red circle over the sea. It rises slowly.");
  EXPECT_EQ(t.shots[0].raw_text, "A red circle over the sea.\nIt rises slowly.");
  EXPECT_EQ(t.shots[1].source_line, 6);
  EXPECT_EQ(t.shots[1].text, "A blue square in the snow.");
  EXPECT_EQ(t.shots[1].negative, "city");
  EXPECT_DOUBLE_EQ(t.evaluate(t.shots[1].start_frame + 12).zoom, 1.2);  // the note paragraph before it
  EXPECT_DOUBLE_EQ(t.evaluate(t.shots[0].start_frame + 12).zoom, 1.0);
  EXPECT_EQ(t.shots[2].pinned_records, (std::vector<std::int64_t>{9}));
  EXPECT_EQ(t.shots[2].frame_count(), 36);
  expect_contiguous(t);

  // Columns count the indentation the paragraph reader trimmed.
  expect_manuscript_error([] { plan_shots("Sea.\n\n    A (wave:1x) rolls.\n", ManuscriptFormat::text, {}, "s.txt"); },
                          "s.txt", 3, 13, "invalid weight");
  expect_manuscript_error([] { plan_shots("Sea.\n\n    A wave.\n    [[zoom: 0:(1), 5]]\n", ManuscriptFormat::text, {}, "s.txt"); },
                          "s.txt", 4, 5, "zoom: expected ':'");
}

// ---- formats ---------------------------------------------------------------------------------------

TEST(ManuscriptFormatDetection, ByExtensionThenContent) {
  using F = ManuscriptFormat;
  EXPECT_EQ(detect_manuscript_format("a.fountain", "whatever"), F::fountain);
  EXPECT_EQ(detect_manuscript_format("a.SPMD", ""), F::fountain);
  EXPECT_EQ(detect_manuscript_format("a.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n"), F::srt);
  EXPECT_EQ(detect_manuscript_format("a.vtt", "WEBVTT\n\n"), F::webvtt);
  EXPECT_EQ(detect_manuscript_format("a.srt", ""), F::srt);  // empty: an error when parsed, not prose
  EXPECT_EQ(detect_manuscript_format("a.txt", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n"), F::webvtt);  // content wins
  EXPECT_EQ(detect_manuscript_format("a.txt", "EXT. SEA - NIGHT\n\nWaves.\n"), F::text);
  EXPECT_EQ(detect_manuscript_format("a.md", "Title: x\n"), F::text);
  EXPECT_EQ(detect_manuscript_format("script", "Title: Big Fish\n\nEXT. RIVER\n"), F::fountain);
  EXPECT_EQ(detect_manuscript_format("script.screenplay", "\nFADE IN:\n\nEXT. RIVER - DAY\n\nWater.\n"), F::fountain);
  EXPECT_EQ(detect_manuscript_format("notes", "Just some text.\n\nMore text.\n"), F::text);
  EXPECT_EQ(parse_manuscript_format("vtt"), F::webvtt);
  EXPECT_EQ(parse_manuscript_format("fountain"), F::fountain);
  EXPECT_EQ(parse_manuscript_format("docx"), std::nullopt);
}

TEST(ManuscriptFormatDetection, FilesOnDisk) {
  testing::TempDir dir;
  testing::write_file(dir / "film.srt", "1\n00:00:00,000 --> 00:00:02,000\nThe sea.\n");
  testing::write_file(dir / "story.md", "# Heading\n\nA paragraph.\n");
  testing::write_file(dir / "script", "Title: Short\n\nEXT. SEA - DAY\n\nWaves.\n");
  EXPECT_EQ(plan_shots(dir / "film.srt").manuscript.format, "srt");
  EXPECT_EQ(plan_shots(dir / "story.md").shots.size(), 2u);
  const Timeline script = plan_shots(dir / "script");
  EXPECT_EQ(script.manuscript.format, "fountain");
  EXPECT_EQ(script.title, "Short");
  EXPECT_EQ(script.manuscript.file, (dir / "script").string());
  testing::write_file(dir / "broken.srt", "");
  expect_manuscript_error([&] { plan_shots(dir / "broken.srt"); }, (dir / "broken.srt").string(), 0, 0, "no shots");
}

}  // namespace
}  // namespace palimpsest

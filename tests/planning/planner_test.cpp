#include "retrieval/planning/planner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "retrieval/timeline/manuscript.h"
#include "tests/planning/fake_archive.h"

namespace palimpsest {
namespace {

using testing::FakeArchive;

// A timeline of hand-made shots, `seconds` long each at 12 fps.
Timeline shots_timeline(const std::vector<std::string>& texts, double seconds = 2.0) {
  Timeline t;
  std::int64_t cursor = 0;
  const auto frames = static_cast<std::int64_t>(seconds * t.fps);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Shot s;
    s.index = static_cast<int>(i);
    s.text = texts[i];
    s.source_line = static_cast<int>(i) * 2 + 1;
    s.start_frame = cursor;
    s.end_frame = cursor + frames;
    cursor += frames;
    t.shots.push_back(s);
  }
  t.frame_count = cursor;
  return t;
}

std::vector<float> vec(std::initializer_list<std::pair<const char*, float>> parts, int extra_dim = -1, float extra = 0) {
  std::vector<float> v(FakeArchive::kDim, 0.0f);
  for (const auto& [word, value] : parts) v[static_cast<std::size_t>(FakeArchive::dimension(word))] = value;
  if (extra_dim >= 0) v[static_cast<std::size_t>(extra_dim)] = extra;
  return v;
}

// Dimensions no demo word uses, for making records differ from each other without matching queries.
constexpr int kSpareA = 40, kSpareB = 41, kSpareC = 42;

std::int64_t first_keyframe(const Shot& shot) { return shot.keyframes.at(0).record_id; }

std::set<std::string> words_of(const std::string& text) {
  const auto w = FakeArchive::words(text);
  return {w.begin(), w.end()};
}

std::size_t shared_words(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  const auto wb = words_of(b);
  for (const std::string& w : words_of(a)) n += wb.count(w);
  return n;
}

// Options that keep every picture, whatever its calibrated score: the hand-made archives below
// hold a handful of records, too few for the picture threshold to mean anything.
PlannerOptions every_picture() {
  PlannerOptions o;
  o.picture_threshold = -1e9;
  return o;
}

// ---- choosing records ----------------------------------------------------------------------------

TEST(Planner, DifferentLinesGetDifferentFittingKeyframes) {
  FakeArchive archive = FakeArchive::demo();
  Timeline t = plan_shots(
      "A white circle over the sea at night.\n\nA red square in the snow.\n\nA green ring in the forest.\n\n"
      "Orange triangles over the desert.\n",
      ManuscriptFormat::text);
  Planner(archive).plan(t);
  EXPECT_TRUE(t.planned);
  std::set<std::int64_t> firsts;
  for (const Shot& shot : t.shots) {
    ASSERT_FALSE(shot.keyframes.empty()) << shot.text;
    firsts.insert(first_keyframe(shot));
    const RecordRow row = *archive.row(first_keyframe(shot));
    EXPECT_GE(shared_words(row.text, shot.text), 3u) << shot.text << " -> " << row.text;
    for (const ShotKeyframe& k : shot.keyframes) {
      const RecordKind kind = archive.entry(k.record_id).row.kind;
      EXPECT_TRUE(kind == RecordKind::image || kind == RecordKind::frame);
      EXPECT_GE(k.frame, shot.start_frame);
      EXPECT_LT(k.frame, shot.end_frame);
    }
  }
  EXPECT_EQ(firsts.size(), t.shots.size());
}

TEST(Planner, KeyframesPerSecondsOfShot) {
  FakeArchive archive = FakeArchive::demo();
  for (const auto& [seconds, expected] : std::vector<std::pair<double, std::size_t>>{{1, 1}, {2, 1}, {4, 2}, {5, 3}, {6, 3}, {20, 4}}) {
    Timeline t = shots_timeline({"white circle over the sea at night"}, seconds);
    Planner(archive).plan(t);
    EXPECT_EQ(t.shots[0].keyframes.size(), expected) << seconds << " s";
    // Evenly spread, the first at the shot's start.
    EXPECT_EQ(t.shots[0].keyframes[0].frame, 0);
    for (std::size_t j = 1; j < t.shots[0].keyframes.size(); ++j)
      EXPECT_GT(t.shots[0].keyframes[j].frame, t.shots[0].keyframes[j - 1].frame);
  }
}

TEST(Planner, ContinuityPrefersTheSameSourceNearby) {
  FakeArchive archive;
  const auto v1 = archive.add_vector(RecordKind::frame, 1, 1000, vec({{"sea", 0.8f}, {"sky", 0.3f}}, kSpareA, 0.52f));
  const auto v2 = archive.add_vector(RecordKind::frame, 1, 1500, vec({{"sky", 0.8f}, {"sea", 0.3f}}, kSpareA, 0.52f));
  const auto i1 = archive.add_vector(RecordKind::image, 7, 0, vec({{"sea", 0.85f}}, kSpareB, 0.527f));
  const auto i2 = archive.add_vector(RecordKind::image, 8, 0, vec({{"sky", 0.85f}}, kSpareC, 0.527f));

  Timeline off = shots_timeline({"sea", "sky"});
  PlannerOptions no_continuity = every_picture();
  no_continuity.continuity_weight = 0;
  Planner(archive, no_continuity).plan(off);
  EXPECT_EQ(first_keyframe(off.shots[0]), i1);  // each shot's best
  EXPECT_EQ(first_keyframe(off.shots[1]), i2);

  Timeline on = shots_timeline({"sea", "sky"});
  Planner(archive, every_picture()).plan(on);
  EXPECT_EQ(first_keyframe(on.shots[0]), v1);  // consecutive frames of one source
  EXPECT_EQ(first_keyframe(on.shots[1]), v2);

  // Far apart in time, the same source is worth less than the better stills.
  FakeArchive distant;
  distant.add_vector(RecordKind::frame, 1, 1000, vec({{"sea", 0.8f}, {"sky", 0.3f}}, kSpareA, 0.52f));
  distant.add_vector(RecordKind::frame, 1, 600000, vec({{"sky", 0.8f}, {"sea", 0.3f}}, kSpareC, 0.52f));
  const auto d1 = distant.add_vector(RecordKind::image, 7, 0, vec({{"sea", 0.85f}}, kSpareB, 0.527f));
  const auto d2 = distant.add_vector(RecordKind::image, 8, 0, vec({{"sky", 0.85f}}, kSpareC, 0.527f));
  Timeline apart = shots_timeline({"sea", "sky"});
  Planner(distant, every_picture()).plan(apart);
  EXPECT_EQ(first_keyframe(apart.shots[0]), d1);
  EXPECT_EQ(first_keyframe(apart.shots[1]), d2);
}

TEST(Planner, RepeatsArePenalised) {
  FakeArchive archive = FakeArchive::demo();
  const std::vector<std::string> same(4, "yellow star in the sky");
  Timeline t = shots_timeline(same);
  Planner(archive).plan(t);
  std::set<std::int64_t> firsts;
  for (const Shot& s : t.shots) firsts.insert(first_keyframe(s));
  EXPECT_EQ(firsts.size(), 4u);

  PlannerOptions allow;
  allow.reuse_penalty = 0;
  allow.continuity_weight = 0;
  Timeline r = shots_timeline(same);
  Planner(archive, allow).plan(r);
  for (const Shot& s : r.shots) EXPECT_EQ(first_keyframe(s), first_keyframe(r.shots[0]));
}

TEST(Planner, MaximalMarginalRelevanceKeepsKeyframesApart) {
  FakeArchive archive;
  const auto x1 = archive.add_vector(RecordKind::image, 1, 0, vec({{"sea", 0.9f}}, kSpareA, 0.436f));
  const auto x2 = archive.add_vector(RecordKind::image, 2, 0, vec({{"sea", 0.899f}}, kSpareA, 0.437f));
  const auto y = archive.add_vector(RecordKind::image, 3, 0, vec({{"sea", 0.85f}, {"sky", 0.527f}}));
  archive.add_vector(RecordKind::image, 4, 0, vec({{"sea", 0.1f}}, kSpareB, 0.995f));

  PlannerOptions diverse = every_picture();
  diverse.mmr_lambda = 0.5;
  Timeline t = shots_timeline({"sea"}, 4.0);
  Planner(archive, diverse).plan(t);
  ASSERT_EQ(t.shots[0].keyframes.size(), 2u);
  EXPECT_EQ(t.shots[0].keyframes[0].record_id, x1);
  EXPECT_EQ(t.shots[0].keyframes[1].record_id, y);  // not the near duplicate x2

  PlannerOptions relevance_only = every_picture();
  relevance_only.mmr_lambda = 1.0;
  Timeline r = shots_timeline({"sea"}, 4.0);
  Planner(archive, relevance_only).plan(r);
  EXPECT_EQ(r.shots[0].keyframes[1].record_id, x2);
}

// The mixed ranking planning used before modalities were ranked apart: every record by raw
// similarity, the best k of all, of which the caller keeps its modality's.
class MixedRanking : public CandidateSource {
 public:
  explicit MixedRanking(FakeArchive& archive) : archive_(archive) {}
  std::vector<Candidate> candidates(const std::string& text, Modality modality, int k) override {
    std::vector<Candidate> all;
    for (Modality m : {Modality::picture, Modality::text})
      for (Candidate& c : archive_.candidates(text, m, 100000)) all.push_back(std::move(c));
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.similarity > b.similarity; });
    all.resize(std::min(all.size(), static_cast<std::size_t>(k)));
    std::erase_if(all, [&](const Candidate& c) { return modality_of(c.kind) != modality; });
    return all;
  }
  std::optional<Candidate> record(std::int64_t id) override { return archive_.record(id); }
  std::vector<float> embed_text(const std::string& text) override { return archive_.embed_text(text); }

 private:
  FakeArchive& archive_;
};

TEST(Planner, PicturesAreNotCrowdedOutByTextsThatOutnumberThem) {
  // Five pictures per line among a hundred others, and ten times as many texts, in the same
  // words, with CLIP's gap between text-to-text and text-to-picture similarities.
  const std::vector<std::string> lines = {"red circle over the sea", "yellow star in the sky", "green ring in the forest",
                                          "orange triangle in the desert", "purple square at sunset"};
  FakeArchive archive;
  for (int i = 0; i < 5; ++i)
    for (const std::string& line : lines) archive.add(RecordKind::image, 100 + i, "/p/" + line + std::to_string(i) + ".png", 0, std::nullopt, line);
  const std::vector<std::string> others = {"black cross in the city", "white ring at night", "blue square in the snow",
                                           "people in the city", "a car at night"};
  for (int i = 0; i < 20; ++i)
    for (const std::string& other : others) archive.add(RecordKind::image, 200 + i, "/p/o.png", 0, std::nullopt, other);
  for (int i = 0; i < 10; ++i)
    for (const std::string& line : lines)
      for (int j = 0; j < 5; ++j) archive.add(RecordKind::text, 50, "/t/notes.txt", 0, std::nullopt, "notes about the " + line);
  archive.modality_gap = 1.2;
  std::vector<std::string> script = lines;
  script.push_back("a violin in the library");  // no picture has any of its words

  MixedRanking mixed(archive);
  Timeline before = shots_timeline(script);
  Planner(mixed, every_picture()).plan(before);
  int with_pictures = 0;
  for (const Shot& shot : before.shots) with_pictures += !shot.keyframes.empty();
  EXPECT_EQ(with_pictures, 0) << "the texts fill every candidate list of one mixed ranking";

  // A line that matches nothing still has a best picture, a couple of standard deviations above
  // the typical one (the best of 125 draws of noise); true matches sit far above it.
  PlannerOptions strict;
  strict.picture_threshold = 3.0;
  Timeline after = shots_timeline(script);
  Planner(archive, strict).plan(after);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_FALSE(after.shots[i].keyframes.empty()) << lines[i];
    const auto& row = archive.entry(after.shots[i].keyframes[0].record_id).row;
    EXPECT_EQ(row.kind, RecordKind::image);
    EXPECT_EQ(row.text, lines[i]);
    EXPECT_FALSE(after.shots[i].guidance.empty());
  }
  EXPECT_TRUE(after.shots[5].keyframes.empty());
  ASSERT_EQ(after.warnings.size(), 1u) << ::testing::PrintToString(after.warnings);
  EXPECT_EQ(after.warnings[0].rfind("shot 5 (line 11) \"a violin in the library\": no picture above the threshold 3", 0), 0u)
      << after.warnings[0];
  EXPECT_NE(after.warnings[0].find("borrows shot 4's pictures for 2.0 s"), std::string::npos) << after.warnings[0];

  // Planning again replaces the warnings instead of adding to them.
  Planner(archive, strict).plan(after);
  EXPECT_EQ(after.warnings.size(), 1u);
}

// Two pictures for one line: one a little closer by embedding, the other matching the line's
// words in its own title (the lexical part search fused into its score).
class TitleMatch : public CandidateSource {
 public:
  std::vector<Candidate> candidates(const std::string&, Modality modality, int) override {
    if (modality != Modality::picture) return {};
    return {picture(1, 0.32, 0.0), picture(2, 0.30, lexical)};
  }
  std::optional<Candidate> record(std::int64_t id) override { return picture(id, 0, 0); }
  std::vector<float> embed_text(const std::string&) override { return {}; }
  double lexical = 0;

 private:
  static Candidate picture(std::int64_t id, double similarity, double lexical) {
    Candidate c;
    c.record_id = id;
    c.similarity = similarity;
    c.background_mean = 0.2;
    c.background_sd = 0.05;
    c.lexical = lexical;
    c.source_id = id;
    return c;
  }
};

TEST(Planner, APictureWhoseTitleMatchesTheLineIsNotBuriedByDenseNoise) {
  TitleMatch source;
  Timeline by_embedding = shots_timeline({"elephants"});
  Planner(source).plan(by_embedding);
  EXPECT_EQ(first_keyframe(by_embedding.shots[0]), 1);  // z 2.4 against 2.0
  source.lexical = 2.0;
  Timeline by_title = shots_timeline({"elephants"});
  Planner(source).plan(by_title);
  EXPECT_EQ(first_keyframe(by_title.shots[0]), 2);  // z 2.0 + 2.0
}

TEST(Planner, PinsAndExcludesFromTheOptions) {
  FakeArchive archive = FakeArchive::demo();
  const std::int64_t snow_frame = 15;
  Timeline t = shots_timeline({"white circle over the sea at night", "red square in the snow"}, 4.0);
  Planner(archive).plan(t);
  const std::int64_t best = first_keyframe(t.shots[0]);

  PlannerOptions options;
  options.pins[0] = {snow_frame};
  options.excluded = {best};
  Timeline u = shots_timeline({"white circle over the sea at night", "red square in the snow"}, 4.0);
  Planner(archive, options).plan(u);
  EXPECT_EQ(first_keyframe(u.shots[0]), snow_frame);
  EXPECT_TRUE(u.shots[0].keyframes[0].pinned);
  for (const Shot& shot : u.shots) {
    for (const ShotKeyframe& k : shot.keyframes) EXPECT_NE(k.record_id, best);
    for (const GuidanceRecord& g : shot.guidance) EXPECT_NE(g.record_id, best);
  }

  PlannerOptions contradictory;
  contradictory.pins[1] = {snow_frame};
  contradictory.excluded = {snow_frame};
  EXPECT_THROW(Planner(archive, contradictory).plan(u), PlanningError);
  PlannerOptions past_the_end;
  past_the_end.pins[2] = {snow_frame};
  EXPECT_THROW(Planner(archive, past_the_end).plan(u), PlanningError);
}

TEST(Planner, PinnedRecordsComeFirst) {
  FakeArchive archive = FakeArchive::demo();
  const std::int64_t snow_frame = 15;  // a frame of "red square in the snow", unrelated to the text
  const std::int64_t note = static_cast<std::int64_t>(archive.size()) - 12;  // a text record
  ASSERT_EQ(archive.entry(note).row.kind, RecordKind::text);
  Timeline t = shots_timeline({"white circle over the sea at night", "white circle over the sea at night"}, 4.0);
  t.shots[0].pinned_records = {snow_frame, note};
  Planner(archive).plan(t);
  const Shot& pinned = t.shots[0];
  ASSERT_EQ(pinned.keyframes.size(), 2u);
  EXPECT_EQ(pinned.keyframes[0].record_id, snow_frame);
  EXPECT_TRUE(pinned.keyframes[0].pinned);
  EXPECT_FALSE(pinned.keyframes[1].pinned);
  ASSERT_FALSE(pinned.guidance.empty());
  EXPECT_EQ(pinned.guidance[0].record_id, note);  // a pinned text record guides, at the top
  EXPECT_TRUE(pinned.guidance[0].pinned);
  for (const GuidanceRecord& g : pinned.guidance) EXPECT_NE(g.record_id, snow_frame);

  // More pins than slots: all of them, in order.
  Timeline many = shots_timeline({"sea"}, 2.0);
  many.shots[0].pinned_records = {3, 2, 1};
  Planner(archive).plan(many);
  ASSERT_EQ(many.shots[0].keyframes.size(), 3u);
  EXPECT_EQ(many.shots[0].keyframes[0].record_id, 3);
  EXPECT_EQ(many.shots[0].keyframes[2].record_id, 1);

  Timeline missing = shots_timeline({"sea", "sky"});
  missing.shots[1].pinned_records = {999};
  try {
    Planner(archive).plan(missing);
    FAIL();
  } catch (const PlanningError& e) {
    EXPECT_NE(std::string(e.what()).find("shot 1 (line 3): pinned record 999 does not exist"), std::string::npos) << e.what();
  }
}

TEST(Planner, NegativePromptDropsAndDownWeights) {
  FakeArchive archive;
  const auto a = archive.add_vector(RecordKind::image, 1, 0, vec({{"sea", 0.6f}, {"city", 0.8f}}));  // more city than sea
  const auto b = archive.add_vector(RecordKind::image, 2, 0, vec({{"sea", 0.7f}, {"city", 0.3f}}, kSpareA, 0.648f));
  const auto c = archive.add_vector(RecordKind::image, 3, 0, vec({{"sea", 0.5f}}, kSpareB, 0.866f));
  const auto d = archive.add_vector(RecordKind::image, 4, 0, vec({{"city", 1.0f}}));

  Timeline plain = shots_timeline({"sea"});
  Planner(archive, every_picture()).plan(plain);
  EXPECT_EQ(first_keyframe(plain.shots[0]), b);
  EXPECT_TRUE(plain.shots[0].negatives.empty());

  Timeline t = shots_timeline({"sea"});
  t.shots[0].negative = "city";
  Planner(archive, every_picture()).plan(t);
  const Shot& shot = t.shots[0];
  EXPECT_EQ(first_keyframe(shot), c);  // b lost 0.3 of its 0.7; c keeps its 0.5
  std::set<std::int64_t> negatives;
  for (const NegativeRecord& n : shot.negatives) negatives.insert(n.record_id);
  EXPECT_EQ(negatives, (std::set<std::int64_t>{a, d}));
  EXPECT_EQ(shot.negatives.front().record_id, d);  // most similar to "city" first
  EXPECT_NEAR(shot.negatives.front().similarity, 1.0, 1e-6);
  for (const GuidanceRecord& g : shot.guidance) {
    EXPECT_NE(g.record_id, a);
    EXPECT_NE(g.record_id, d);
    if (g.record_id == b) EXPECT_NEAR(g.similarity, 0.7 - 0.3, 1e-4);
  }
}

TEST(Planner, WeightedTermsPullTowardsTheirWords) {
  FakeArchive archive;
  const auto red = archive.add_vector(RecordKind::image, 1, 0, vec({{"circle", 0.6f}, {"red", 0.8f}}));
  const auto blue = archive.add_vector(RecordKind::image, 2, 0, vec({{"circle", 0.6f}, {"blue", 0.8f}}));
  Timeline t = plan_shots("(red:0.2) or (blue:1.8) circle", ManuscriptFormat::text);
  Planner(archive).plan(t);
  EXPECT_EQ(first_keyframe(t.shots[0]), blue);
  Timeline u = plan_shots("(red:1.8) or (blue:0.2) circle", ManuscriptFormat::text);
  Planner(archive).plan(u);
  EXPECT_EQ(first_keyframe(u.shots[0]), red);
}

TEST(Planner, GuidanceWeightsSumToOne) {
  FakeArchive archive = FakeArchive::demo();
  Timeline t = plan_shots(std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "data/demo.fountain");
  Planner(archive).plan(t);
  std::set<std::int64_t> keyframes;
  std::size_t keyframe_count = 0;
  for (const Shot& shot : t.shots) {
    for (const ShotKeyframe& k : shot.keyframes) keyframes.insert(k.record_id);
    keyframe_count += shot.keyframes.size();
  }
  EXPECT_EQ(keyframes.size(), keyframe_count);  // no record is a keyframe twice
  for (const Shot& shot : t.shots) {
    ASSERT_FALSE(shot.guidance.empty()) << shot.text;
    EXPECT_LE(shot.guidance.size(), 12u);
    double sum = 0;
    bool has_text = false;
    for (std::size_t i = 0; i < shot.guidance.size(); ++i) {
      const GuidanceRecord& g = shot.guidance[i];
      EXPECT_GE(g.weight, 0);
      if (i > 0) EXPECT_LE(g.weight, shot.guidance[i - 1].weight);
      sum += g.weight;
      has_text = has_text || g.kind == RecordKind::text || g.kind == RecordKind::subtitle;
      for (const ShotKeyframe& k : shot.keyframes) EXPECT_NE(g.record_id, k.record_id);
      EXPECT_EQ(g.kind, archive.entry(g.record_id).row.kind);
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_TRUE(has_text) << shot.text;
  }
}

TEST(Planner, LexicalOnlyHitsAndEmptyShots) {
  FakeArchive archive = FakeArchive::demo();
  const auto lexical = archive.add(RecordKind::text, 60, "/archive/texts/glossary.md", 0, std::nullopt,
                                   "lighthouse keeper glossary", /*embedded=*/false);
  Timeline t = shots_timeline({"the lighthouse keeper", ""});
  t.shots[0].negative = "city";
  Planner(archive, every_picture()).plan(t);
  bool found = false;
  for (const GuidanceRecord& g : t.shots[0].guidance) found = found || g.record_id == lexical;
  EXPECT_TRUE(found);
  EXPECT_TRUE(t.shots[1].keyframes.empty());
  EXPECT_TRUE(t.shots[1].guidance.empty());
}

TEST(Planner, DeterministicAndIndependentOfSourceOrder) {
  FakeArchive archive = FakeArchive::demo();
  const auto path = std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "tests/timeline/data/harbour_lights.fountain";
  Timeline a = plan_shots(path);
  Timeline b = plan_shots(path);
  Planner(archive).plan(a);
  archive.reverse_order = true;
  Planner(archive).plan(b);
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
  EXPECT_EQ(Timeline::from_json(a.to_json()), a);  // planning results round-trip
}

TEST(Planner, PlanningASeveralPageScreenplayIsFast) {
  FakeArchive archive = FakeArchive::demo(2000);
  std::ifstream in(std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "tests/timeline/data/harbour_lights.fountain");
  std::stringstream text;
  text << in.rdbuf();
  std::string five_times;
  for (int i = 0; i < 5; ++i) five_times += text.str() + "\n\n";

  const auto start = std::chrono::steady_clock::now();
  Timeline t = plan_shots(five_times, ManuscriptFormat::fountain, {}, "harbour_x5.fountain");
  const auto parsed = std::chrono::steady_clock::now();
  int progress_calls = 0;
  PlannerOptions options;
  options.on_progress = [&](int done, int total) {
    ++progress_calls;
    EXPECT_LE(done, total);
  };
  Planner(archive, options).plan(t);
  const auto planned = std::chrono::steady_clock::now();
  const auto json = t.to_json().dump();
  const auto written = std::chrono::steady_clock::now();
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::cout << "[ timing ] " << t.shots.size() << " shots, " << t.frame_count << " frames, " << archive.size()
            << " records (" << archive.searches << " searches, " << archive.embeddings
            << " text embeddings): parse " << ms(parsed - start) << " ms, plan " << ms(planned - parsed)
            << " ms, timeline JSON " << ms(written - planned) << " ms (" << json.size() / 1024 << " KiB)\n";
  EXPECT_EQ(progress_calls, static_cast<int>(t.shots.size()));
  // The same negative prompt is embedded once.
  EXPECT_LT(archive.embeddings, 20);
}

}  // namespace
}  // namespace palimpsest

#include "retrieval/timeline/timeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using nlohmann::json;

ParameterSet parameters(std::initializer_list<std::pair<const char*, const char*>> entries) {
  ParameterSet set;
  for (const auto& [name, value] : entries) EXPECT_TRUE(set_parameter(set, name, value)) << name;
  return set;
}

Shot make_shot(int index, std::int64_t start, std::int64_t end) {
  Shot shot;
  shot.index = index;
  shot.kind = ShotKind::action;
  shot.text = "shot " + std::to_string(index);
  shot.raw_text = shot.text;
  shot.start_frame = start;
  shot.end_frame = end;
  shot.source_line = 10 + index;
  shot.duration_source = "words";
  return shot;
}

// Every field set to something other than its default.
Timeline full_timeline() {
  Timeline t;
  t.title = "Harbour Lights";
  t.fps = 12;
  t.width = 320;
  t.height = 192;
  t.frame_count = 72;
  t.manuscript = {"harbour.fountain", "fountain"};
  t.parameters = parameters({{"strength", "0:(0.6), 48:(0.4)"}, {"seed", "7"}, {"seed_mode", "iter"}, {"init", "black"}});
  t.planned = true;
  t.warnings = {"harbour.fountain:3:1: unknown directive \"strenght\" ignored"};

  Shot a = make_shot(0, 0, 24);
  a.kind = ShotKind::dialogue;
  a.character = "ODA";
  a.scene = "harbour, night";
  a.raw_text = "Every night the *same* sea.";
  a.text = "ODA: Every night the same sea. harbour, night";
  a.terms = {{"Every night the", 1.0}, {"same sea", 1.3}};
  a.negative = "city, buildings";
  a.pinned_records = {7};
  a.parameters = parameters({{"zoom", "0:(1), 12:(1.12)"}, {"init", "record 7"}});
  a.keyframes = {{7, 0, true, 0.25}, {9, 12, false, 0.3125}};
  a.guidance = {{21, RecordKind::text, 0.75, 0.3, false}, {22, RecordKind::frame, 0.25, 0.1, false}};
  a.negatives = {{40, 0.5}};

  Shot b = make_shot(1, 24, 60);
  b.kind = ShotKind::cue;
  b.duration_source = "subtitle";
  b.parameters = parameters({{"seed", "0:(100), 10:(110)"}, {"seed_mode", "schedule"}, {"cfg", "9"}});
  b.keyframes = {{11, 24, false, 0.2}};

  Shot c = make_shot(2, 64, 72);  // a gap of four frames before it
  c.kind = ShotKind::scene;
  c.parameters = parameters({{"seed", "5"}, {"seed_mode", "fixed"}, {"steps", "0:(10), 8:(11)"}});
  t.shots = {a, b, c};
  return t;
}

// ---- JSON round trip -----------------------------------------------------------------------------

TEST(Timeline, JsonRoundTripIsExact) {
  const Timeline original = full_timeline();
  const json document = original.to_json();
  const Timeline read = Timeline::from_json(document);
  EXPECT_EQ(read, original);
  EXPECT_EQ(read.to_json(), document);
  // Through text as well: numbers print so that they read back identically.
  const json reparsed = json::parse(document.dump(2));
  EXPECT_EQ(Timeline::from_json(reparsed), original);
  EXPECT_EQ(Timeline::from_json(reparsed).to_json().dump(), document.dump());
}

TEST(Timeline, DerivedFieldsAreWrittenAndIgnored) {
  const Timeline t = full_timeline();
  json document = t.to_json();
  EXPECT_DOUBLE_EQ(document["shots"][1]["duration"].get<double>(), 3.0);
  ASSERT_EQ(document["evaluated"]["zoom"].size(), 72u);
  EXPECT_DOUBLE_EQ(document["evaluated"]["zoom"][6].get<double>(), 1.06);
  EXPECT_EQ(document["evaluated"]["shot"][62].get<int>(), -1);  // the gap
  // Stale derived values do not matter: they are computed again.
  document["evaluated"]["zoom"][6] = 99;
  document["shots"][1]["duration"] = 1000;
  EXPECT_EQ(Timeline::from_json(document), t);
  EXPECT_FALSE(t.to_json(false).contains("evaluated"));
}

TEST(Timeline, MinimalDocumentReadsWithDefaults) {
  const json document = json::parse(R"({
    "version": 1, "fps": 24, "width": 64, "height": 32, "frame_count": 10,
    "shots": [{"index": 0, "kind": "paragraph", "text": "sea", "start_frame": 0, "end_frame": 10}]
  })");
  const Timeline t = Timeline::from_json(document);
  EXPECT_EQ(t.shots.at(0).text, "sea");
  EXPECT_FALSE(t.planned);
  EXPECT_TRUE(t.parameters.empty());
  EXPECT_DOUBLE_EQ(t.evaluate(3).strength, 0.65);
  // Numbers are accepted where a schedule is expected.
  json with_number = document;
  with_number["parameters"] = {{"zoom", 1.02}};
  EXPECT_DOUBLE_EQ(Timeline::from_json(with_number).evaluate(5).zoom, 1.02);
}

// ---- validation ----------------------------------------------------------------------------------

void expect_refused(const json& document, const std::string& field, const std::string& message_part) {
  try {
    Timeline::from_json(document);
    FAIL() << "accepted a document with a bad " << field;
  } catch (const TimelineError& e) {
    EXPECT_EQ(e.field, field) << e.what();
    EXPECT_NE(e.message.find(message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(Timeline, RefusesOtherVersions) {
  json document = full_timeline().to_json();
  document["version"] = 2;
  expect_refused(document, "version", "unsupported timeline version 2");
  document["version"] = 0;
  expect_refused(document, "version", "unsupported timeline version 0");
  document["version"] = "1";
  expect_refused(document, "version", "expected a whole number");
  document.erase("version");
  expect_refused(document, "version", "missing");
}

TEST(Timeline, ValidationNamesTheField) {
  const json good = full_timeline().to_json();
  auto edited = [&](const std::function<void(json&)>& edit) {
    json document = good;
    edit(document);
    return document;
  };
  expect_refused(edited([](json& d) { d["fps"] = -1; }), "fps", "above 0");
  expect_refused(edited([](json& d) { d["width"] = 1.5; }), "width", "whole number");
  expect_refused(edited([](json& d) { d.erase("shots"); }), "shots", "missing");
  expect_refused(edited([](json& d) { d["shots"] = json::object(); }), "shots", "expected an array");
  expect_refused(edited([](json& d) { d["shots"][1].erase("text"); }), "shots[1].text", "missing");
  expect_refused(edited([](json& d) { d["shots"][1]["kind"] = "montage"; }), "shots[1].kind", "unknown shot kind");
  expect_refused(edited([](json& d) { d["shots"][1]["parameters"]["zoom"] = "0:1, 4"; }), "shots[1].parameters.zoom",
                 "expected ':' at position 7");
  expect_refused(edited([](json& d) { d["shots"][1]["parameters"]["strenght"] = "0.5"; }),
                 "shots[1].parameters.strenght", "unknown parameter");
  expect_refused(edited([](json& d) { d["parameters"]["strength"] = "0:(0.5), 10:(1.5)"; }), "parameters.strength",
                 "value 1.5 at frame 10 is outside 0 .. 1");
  expect_refused(edited([](json& d) { d["parameters"]["seed_mode"] = "random"; }), "parameters.seed_mode",
                 "expected fixed, iter or schedule");
  expect_refused(edited([](json& d) { d["shots"][1]["start_frame"] = 20; }), "shots[1].start_frame", "overlaps");
  expect_refused(edited([](json& d) { d["shots"][2]["end_frame"] = 80; }), "shots[2].end_frame", "past frame_count");
  expect_refused(edited([](json& d) { d["shots"][2]["end_frame"] = 64; }), "shots[2].end_frame", "after start_frame");
  expect_refused(edited([](json& d) { d["shots"][2]["index"] = 5; }), "shots[2].index", "expected 2");
  expect_refused(edited([](json& d) { d["shots"][0]["keyframes"][1]["frame"] = 30; }), "shots[0].keyframes[1].frame",
                 "outside the shot");
  expect_refused(edited([](json& d) { d["shots"][0]["guidance"][0]["record"] = 0; }), "shots[0].guidance[0].record",
                 "from 1");
  expect_refused(edited([](json& d) { d["shots"][0]["guidance"][0]["kind"] = "painting"; }), "shots[0].guidance[0].kind",
                 "unknown record kind");
  expect_refused(edited([](json& d) { d["shots"][0]["pinned_records"][0] = "7"; }), "shots[0].pinned_records[0]",
                 "whole number");
  expect_refused(edited([](json& d) { d["shots"][0]["prompt"]["terms"][1]["weight"] = -2; }),
                 "shots[0].prompt.terms[1].weight", "0 or more");
  expect_refused(edited([](json& d) { d["shots"][0]["duration_source"] = "guess"; }), "shots[0].duration_source",
                 "expected explicit, words or subtitle");
  expect_refused(edited([](json& d) { d["manuscript"]["format"] = "docx"; }), "manuscript.format", "expected fountain");
  expect_refused(json::array(), "", "expected an object");
}

// ---- the JSON schema -----------------------------------------------------------------------------

// Enough of JSON Schema 2020-12 for our schema: type, required, properties, additionalProperties,
// items, $ref to #/$defs, enum, const, minimum, exclusiveMinimum, maximum, pattern. Returns the
// problems found, each with its JSON path.
class SchemaChecker {
 public:
  explicit SchemaChecker(json schema) : root_(std::move(schema)) {}

  std::vector<std::string> check(const json& value) {
    problems_.clear();
    visit(root_, value, "$");
    return problems_;
  }

 private:
  const json& resolve(const json& schema) {
    if (!schema.contains("$ref")) return schema;
    const std::string ref = schema["$ref"];
    EXPECT_TRUE(ref.starts_with("#/$defs/")) << ref;
    return root_["$defs"][ref.substr(8)];
  }

  static bool has_type(const json& value, const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "boolean") return value.is_boolean();
    if (type == "null") return value.is_null();
    ADD_FAILURE() << "schema type " << type << " not understood by the checker";
    return false;
  }

  void visit(const json& raw_schema, const json& value, const std::string& path) {
    const json& schema = resolve(raw_schema);
    if (schema.contains("type")) {
      bool ok = false;
      if (schema["type"].is_array()) {
        for (const json& t : schema["type"]) ok = ok || has_type(value, t);
      } else {
        ok = has_type(value, schema["type"]);
      }
      if (!ok) return problem(path, "wrong type, expected " + schema["type"].dump());
    }
    if (schema.contains("const") && value != schema["const"]) problem(path, "not " + schema["const"].dump());
    if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
      problem(path, value.dump() + " not in " + schema["enum"].dump());
    if (value.is_number()) {
      const double v = value.get<double>();
      if (schema.contains("minimum") && v < schema["minimum"].get<double>()) problem(path, "below minimum");
      if (schema.contains("maximum") && v > schema["maximum"].get<double>()) problem(path, "above maximum");
      if (schema.contains("exclusiveMinimum") && v <= schema["exclusiveMinimum"].get<double>()) problem(path, "not above minimum");
    }
    if (value.is_string() && schema.contains("pattern") &&
        !std::regex_search(value.get<std::string>(), std::regex(schema["pattern"].get<std::string>())))
      problem(path, "does not match " + schema["pattern"].get<std::string>());
    if (value.is_object()) {
      for (const json& key : schema.value("required", json::array()))
        if (!value.contains(key.get<std::string>())) problem(path + "." + key.get<std::string>(), "required, missing");
      const json properties = schema.value("properties", json::object());
      for (const auto& [key, member] : value.items()) {
        if (properties.contains(key)) {
          visit(properties[key], member, path + "." + key);
        } else if (schema.contains("additionalProperties")) {
          const json& extra = schema["additionalProperties"];
          if (extra.is_boolean() && !extra.get<bool>()) problem(path + "." + key, "not allowed");
          if (extra.is_object()) visit(extra, member, path + "." + key);
        }
      }
    }
    if (value.is_array() && schema.contains("items"))
      for (std::size_t i = 0; i < value.size(); ++i) visit(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
  }

  void problem(const std::string& path, const std::string& message) { problems_.push_back(path + ": " + message); }

  json root_;
  std::vector<std::string> problems_;
};

json load_schema() {
  const auto path = std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "schema" / "timeline.schema.json";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return json::parse(in);
}

TEST(TimelineSchema, IsDraft2020_12) {
  const json schema = load_schema();
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  // Every top-level and shot field the writer produces is described.
  const json document = full_timeline().to_json();
  for (const auto& [key, value] : document.items()) EXPECT_TRUE(schema["properties"].contains(key)) << key;
  for (const auto& [key, value] : document["shots"][0].items())
    EXPECT_TRUE(schema["$defs"]["shot"]["properties"].contains(key)) << key;
}

TEST(TimelineSchema, WrittenDocumentsValidate) {
  SchemaChecker checker(load_schema());
  const std::vector<std::string> problems = checker.check(full_timeline().to_json());
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  Timeline empty;
  empty.frame_count = 1;
  EXPECT_TRUE(checker.check(empty.to_json()).empty());
}

TEST(TimelineSchema, RequiredFieldsAreRequiredByBoth) {
  SchemaChecker checker(load_schema());
  const json schema = load_schema();
  const json good = full_timeline().to_json();
  for (const json& key : schema["required"]) {
    json document = good;
    document.erase(key.get<std::string>());
    EXPECT_FALSE(checker.check(document).empty()) << key;
    EXPECT_THROW(Timeline::from_json(document), TimelineError) << key;
  }
  for (const json& key : schema["$defs"]["shot"]["required"]) {
    json document = good;
    document["shots"][0].erase(key.get<std::string>());
    EXPECT_FALSE(checker.check(document).empty()) << key;
    EXPECT_THROW(Timeline::from_json(document), TimelineError) << key;
  }
  json bad_version = good;
  bad_version["version"] = 2;
  EXPECT_FALSE(checker.check(bad_version).empty());
  json bad_parameter = good;
  bad_parameter["parameters"]["strenght"] = "0.5";
  EXPECT_FALSE(checker.check(bad_parameter).empty());
}

// ---- per-frame evaluation ------------------------------------------------------------------------

TEST(TimelineEvaluation, ShotKeysAreRelativeToTheShotStart) {
  Timeline t;
  t.frame_count = 60;
  Shot a = make_shot(0, 0, 24);
  Shot b = make_shot(1, 24, 60);
  b.parameters = parameters({{"zoom", "0:(1), 12:(1.12)"}});
  t.shots = {a, b};
  EXPECT_DOUBLE_EQ(t.evaluate(23).zoom, 1.0);  // shot a: default
  EXPECT_DOUBLE_EQ(t.evaluate(24).zoom, 1.0);  // b's key 0 is film frame 24
  EXPECT_DOUBLE_EQ(t.evaluate(30).zoom, 1.06);
  EXPECT_DOUBLE_EQ(t.evaluate(36).zoom, 1.12);
  EXPECT_DOUBLE_EQ(t.evaluate(59).zoom, 1.12);  // the last value holds
  // Lengthening shot a moves b's camera move with it.
  t.shots[0].end_frame = 30;
  t.shots[1].start_frame = 30;
  EXPECT_DOUBLE_EQ(t.evaluate(36).zoom, 1.06);
}

TEST(TimelineEvaluation, ShotThenFilmThenDefault) {
  Timeline t;
  t.frame_count = 96;
  t.parameters = parameters({{"strength", "0:(0.6), 48:(0.4)"}, {"angle", "10:(0), 20:(5)"}});
  Shot a = make_shot(0, 0, 48);
  Shot b = make_shot(1, 48, 96);
  b.parameters = parameters({{"strength", "0.3"}});
  t.shots = {a, b};
  EXPECT_DOUBLE_EQ(t.evaluate(0).strength, 0.6);
  EXPECT_DOUBLE_EQ(t.evaluate(24).strength, 0.5);  // the film's schedule, film frames
  EXPECT_DOUBLE_EQ(t.evaluate(47).strength, 0.6 + (0.4 - 0.6) * 47.0 / 48.0);
  EXPECT_DOUBLE_EQ(t.evaluate(48).strength, 0.3);  // shot b's own
  EXPECT_DOUBLE_EQ(t.evaluate(0).angle, 0);        // first value held before the first key
  EXPECT_DOUBLE_EQ(t.evaluate(15).angle, 2.5);
  EXPECT_DOUBLE_EQ(t.evaluate(90).angle, 5);       // last value held, also inside shot b
  // Defaults (Deforum's) for everything else.
  const FrameParameters p = t.evaluate(60);
  EXPECT_DOUBLE_EQ(p.noise, 0.02);
  EXPECT_DOUBLE_EQ(p.guidance, 7);
  EXPECT_EQ(p.steps, 20);
  EXPECT_DOUBLE_EQ(p.zoom, 1.0);
  EXPECT_DOUBLE_EQ(p.translation_x, 0);
  EXPECT_DOUBLE_EQ(p.rotation_3d_z, 0);
  EXPECT_DOUBLE_EQ(p.fov, 40);
  EXPECT_EQ(p.cadence, 1);
  EXPECT_EQ(p.init.mode, InitMode::noise);
  EXPECT_EQ(p.seed_mode, SeedMode::iter);
  EXPECT_EQ(p.shot, 1);
  EXPECT_EQ(p.frame, 60);
}

TEST(TimelineEvaluation, SeedModesAndWholeNumbers) {
  const Timeline t = full_timeline();
  // Film: seed 7, iter -> 7 + film frame (shot 0 sets no seed).
  EXPECT_EQ(t.evaluate(0).seed, 7);
  EXPECT_EQ(t.evaluate(5).seed, 12);
  // Shot 1: schedule 100 -> 110 over its first ten frames.
  EXPECT_EQ(t.evaluate(24).seed, 100);
  EXPECT_EQ(t.evaluate(29).seed, 105);
  EXPECT_EQ(t.evaluate(50).seed, 110);
  EXPECT_DOUBLE_EQ(t.evaluate(30).guidance, 9);  // "cfg" is guidance
  // Gap frames use the film's parameters.
  EXPECT_EQ(t.evaluate(62).shot, -1);
  EXPECT_EQ(t.evaluate(62).seed, 7 + 62);
  EXPECT_EQ(t.evaluate(62).init.mode, InitMode::black);
  // Shot 2: fixed seed 5; steps 10 -> 11 rounded.
  EXPECT_EQ(t.evaluate(64).seed, 5);
  EXPECT_EQ(t.evaluate(71).seed, 5);
  EXPECT_EQ(t.evaluate(64).steps, 10);
  EXPECT_EQ(t.evaluate(67).steps, 10);  // 10.375
  EXPECT_EQ(t.evaluate(68).steps, 11);  // 10.5 rounds away from zero
  // A shot's init wins over the film's.
  EXPECT_EQ(t.evaluate(3).init, (InitSpec{InitMode::record, 7}));
  EXPECT_EQ(t.evaluate(30).init.mode, InitMode::black);
  // Iter within a shot's own seed counts from the shot's start.
  Timeline u;
  u.frame_count = 20;
  Shot s = make_shot(0, 0, 10);
  Shot r = make_shot(1, 10, 20);
  r.parameters = parameters({{"seed", "50"}});
  u.shots = {s, r};
  EXPECT_EQ(u.evaluate(9).seed, 1 + 9);
  EXPECT_EQ(u.evaluate(10).seed, 50);
  EXPECT_EQ(u.evaluate(13).seed, 53);
}

TEST(TimelineEvaluation, EvaluateAllCoversEveryFrame) {
  const Timeline t = full_timeline();
  const std::vector<FrameParameters> frames = t.evaluate_all();
  ASSERT_EQ(frames.size(), 72u);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i], t.evaluate(static_cast<std::int64_t>(i)));
  EXPECT_EQ(t.shot_at(23)->index, 0);
  EXPECT_EQ(t.shot_at(24)->index, 1);
  EXPECT_EQ(t.shot_at(61), nullptr);
  EXPECT_EQ(t.shot_at(72), nullptr);
  EXPECT_EQ(t.shot_at(-1), nullptr);
}

// ---- parameters ----------------------------------------------------------------------------------

TEST(Parameters, NamesAliasesAndDefaults) {
  EXPECT_EQ(parse_parameter("cfg"), Parameter::guidance);
  EXPECT_EQ(parse_parameter("CFG_Scale"), Parameter::guidance);
  EXPECT_EQ(parse_parameter("strength_schedule"), Parameter::strength);
  EXPECT_EQ(parse_parameter("rotation 3d x"), Parameter::rotation_3d_x);
  EXPECT_EQ(parse_parameter("diffusion_cadence"), Parameter::cadence);
  EXPECT_EQ(parse_parameter("volume"), std::nullopt);
  for (Parameter p : kParameters) EXPECT_EQ(parse_parameter(parameter_name(p)), p);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::strength), 0.65);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::guidance), 7);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::steps), 20);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::zoom), 1.0);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::fov), 40);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::cadence), 1);
  EXPECT_DOUBLE_EQ(parameter_default(Parameter::noise), 0.02);
  // The struct's defaults agree with the table.
  const FrameParameters p;
  EXPECT_DOUBLE_EQ(p.strength, parameter_default(Parameter::strength));
  EXPECT_DOUBLE_EQ(p.noise, parameter_default(Parameter::noise));
  EXPECT_EQ(p.steps, parameter_default(Parameter::steps));
  EXPECT_EQ(p.seed, parameter_default(Parameter::seed));
}

TEST(Parameters, SetParameterChecks) {
  ParameterSet set;
  EXPECT_FALSE(set_parameter(set, "duration", "4s"));
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set_parameter(set, "seed_behavior", "fixed"));
  EXPECT_EQ(set.seed_mode, SeedMode::fixed);
  EXPECT_TRUE(set_parameter(set, "init", "record: 12"));
  EXPECT_EQ(set.init, (InitSpec{InitMode::record, 12}));
  EXPECT_TRUE(set_parameter(set, "init", "record"));
  EXPECT_EQ(set.init, (InitSpec{InitMode::record, std::nullopt}));
  EXPECT_THROW(set_parameter(set, "init", "grey"), ParameterError);
  EXPECT_THROW(set_parameter(set, "init", "record x"), ParameterError);
  EXPECT_THROW(set_parameter(set, "zoom", "0"), ParameterError);
  EXPECT_THROW(set_parameter(set, "fov", "0:(40), 10:(180)"), ParameterError);
  EXPECT_THROW(set_parameter(set, "steps", "0"), ParameterError);
  try {
    set_parameter(set, "strength", "0:(0.65), 48(0.4)");
    FAIL();
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.parameter(), "strength");
    EXPECT_EQ(e.position(), 13u);
  }
}

}  // namespace
}  // namespace palimpsest

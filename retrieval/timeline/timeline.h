#pragma once
// The Timeline (the "virtual timeline"): everything a render needs to know about a film, as one
// versioned JSON document (schema/timeline.schema.json). plan_shots() (manuscript.h) makes it from
// a manuscript, the Planner (planner.h) fills in the records, synthesis renders it, and people may
// edit the JSON between those steps and render again.
//
// Frames are whole numbers from 0; a shot covers [start_frame, end_frame). Shots are in order and
// do not overlap; plan_shots() leaves no gaps, a hand-edited timeline may (gap frames use the
// film's parameters).
//
// Parameters are evaluated per frame: the shot's schedule when the shot sets the parameter, else
// the film's, else the default (parameters.h). Keys of a film schedule are film frames; keys of a
// shot schedule are frames from the shot's start (key 0 is the shot's first frame), so a shot's
// camera move stays with the shot when shots before it change length. seed_mode "iter" counts in
// the same scope: a shot's seed + frames since the shot's start, or the film's seed + film frame.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "retrieval/timeline/parameters.h"
#include "retrieval/timeline/prompt.h"
#include "schema/catalog_rows.h"
#include "schema/error.h"

namespace palimpsest {

inline constexpr int kTimelineVersion = 1;
// How long frames without pictures of their own may borrow a neighbouring shot's (shot_pictures.h).
inline constexpr double kDefaultBorrowSeconds = 3.0;

enum class ShotKind {
  action,     // Fountain action
  dialogue,   // Fountain dialogue (with its character)
  centered,   // Fountain >centered<
  lyric,      // Fountain ~lyric
  scene,      // a Fountain scene heading with no shot of its own before the next heading
  paragraph,  // a plain-text paragraph
  cue,        // a subtitle cue
};
std::string_view to_string(ShotKind kind);
std::optional<ShotKind> parse_shot_kind(std::string_view name);

// A record chosen as a keyframe; keyframes of a shot are anchored evenly across it, the first at
// its start frame.
struct ShotKeyframe {
  std::int64_t record_id = 0;
  std::int64_t frame = 0;  // film frame where the keyframe sits
  bool pinned = false;     // named in the manuscript ([[record: N]])
  double score = 0;        // relevance used to choose it (similarity after prompt adjustments)
  bool operator==(const ShotKeyframe&) const = default;
};

struct GuidanceRecord {
  std::int64_t record_id = 0;
  RecordKind kind = RecordKind::text;
  double weight = 0;      // the shot's guidance weights sum to 1
  double similarity = 0;  // its score (cosine after terms and negatives); the weight comes from its calibrated value
  bool pinned = false;
  bool operator==(const GuidanceRecord&) const = default;
};

// A record close to the shot's negative prompt: synthesis steers away from it.
struct NegativeRecord {
  std::int64_t record_id = 0;
  double similarity = 0;  // cosine to the negative prompt's embedding
  bool operator==(const NegativeRecord&) const = default;
};

struct Shot {
  int index = 0;
  ShotKind kind = ShotKind::action;
  std::string raw_text;   // as written (Fountain emphasis and notes kept)
  std::string text;       // plain search text: prompt text, "CHARACTER: " before dialogue, scene context
  std::string character;  // the speaker, "" when none
  std::string scene;      // scene context from the last scene heading ("beach, night"), "" when none
  int source_line = 0;    // 1-based line in the manuscript
  std::int64_t start_frame = 0;
  std::int64_t end_frame = 0;    // exclusive
  std::string duration_source;   // "explicit" (a note), "words" (reading time) or "subtitle" (cue times)
  std::vector<PromptTerm> terms; // weighted terms of the prompt (unweighted runs have weight 1)
  std::string negative;          // negative prompt text
  std::vector<std::int64_t> pinned_records;
  ParameterSet parameters;       // keys relative to start_frame

  // Planning results (empty until a Planner ran).
  std::vector<ShotKeyframe> keyframes;
  std::vector<GuidanceRecord> guidance;
  std::vector<NegativeRecord> negatives;

  std::int64_t frame_count() const { return end_frame - start_frame; }
  bool operator==(const Shot&) const = default;
};

// What a shot says and where it sits: kind, text, raw_text, character, scene, source_line,
// start_frame and end_frame (no planning results). The OTIO export and the API add their own id
// key and the records chosen.
nlohmann::json shot_description_json(const Shot& shot);

struct ManuscriptSource {
  std::string file;    // as given to plan_shots
  std::string format;  // "fountain", "srt", "webvtt" or "text"
  bool operator==(const ManuscriptSource&) const = default;
};

// A timeline JSON document that cannot be read. what() reads
// `timeline: shots[3].parameters.zoom: expected ':' at position 4 in "0:1, 4"`.
class TimelineError : public Error {
 public:
  TimelineError(std::string field, std::string message);
  std::string field;  // JSON path of the offending value, "" for the whole document
  std::string message;
};

struct Timeline {
  int version = kTimelineVersion;
  std::string title;
  double fps = 12;
  int width = 320;
  int height = 192;
  std::int64_t frame_count = 0;
  ManuscriptSource manuscript;
  ParameterSet parameters;  // film-wide: keys are film frames
  std::vector<Shot> shots;
  bool planned = false;     // whether a Planner filled in keyframes, guidance and negatives
  // Frames without pictures of their own borrow a neighbour's for at most this long, then fall
  // back to their init (shot_pictures.h).
  double borrow_seconds = kDefaultBorrowSeconds;
  // Things plan_shots skipped ("file:line:col: ...") and, once planned, every shot that found no
  // picture of its own (shot_pictures_warning).
  std::vector<std::string> warnings;

  // The shot holding `frame`, or nullptr (outside the film, or in a gap).
  const Shot* shot_at(std::int64_t frame) const;
  // The parameters of any frame (frames outside [0, frame_count) are evaluated all the same).
  FrameParameters evaluate(std::int64_t frame) const;
  std::vector<FrameParameters> evaluate_all() const;

  // The JSON document. `evaluated` (per-frame parameter values, one array per parameter), each
  // shot's "duration" (seconds) and, once planned, each shot's "pictures" (shot_pictures.h:
  // status own/borrowed/empty, the lending shot, frames borrowed and empty) and the document's
  // "pictures" summary are derived: written for readers, ignored by from_json.
  nlohmann::json to_json(bool include_evaluated = true) const;
  // Validates and reads a document; throws TimelineError naming the field. Refuses versions other
  // than kTimelineVersion.
  static Timeline from_json(const nlohmann::json& document);

  bool operator==(const Timeline&) const = default;
};

}  // namespace palimpsest

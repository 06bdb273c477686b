#pragma once
// Internal to plan_shots(): each manuscript format turns its elements into shot drafts (text,
// directives, a duration or times); manuscript.cpp then lays the drafts out on frames.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/text/subtitles.h"
#include "retrieval/timeline/parameters.h"
#include "retrieval/timeline/prompt.h"
#include "retrieval/timeline/timeline.h"

namespace palimpsest::manuscript_detail {

struct Location {
  int line = 0;
  int column = 0;
};

struct ShotDraft {
  Shot shot;  // everything but the frame range
  std::optional<std::int64_t> explicit_frames;  // from a duration directive
  std::size_t words = 0;                        // of the shot's own text, for its default length
  std::int64_t start_ms = 0, end_ms = 0;        // subtitle cues
};

struct Drafts {
  std::string title;  // "" when the manuscript names none
  ParameterSet film;  // film-wide parameters the manuscript sets
  std::vector<ShotDraft> shots;
  bool timed = false;  // shots carry start_ms/end_ms (subtitles)
};

// Applies notes' directives, turning every problem into a ManuscriptError at the note.
class Directives {
 public:
  Directives(std::string file, double fps, std::vector<std::string>& warnings)
      : file_(std::move(file)), fps_(fps), warnings_(warnings) {}

  // A note's text ("duration: 4s") written at `at`. Free text and unknown keys are ignored (with a
  // warning when the key looks like a misspelt directive). `allow_duration` is false where times
  // come from elsewhere (subtitles): a duration then gives a warning.
  void apply(ShotDraft& draft, std::string_view note, Location at, bool allow_duration = true);
  // Film-wide (title page): parameters only; other directives give a warning.
  void apply_to_film(ParameterSet& film, std::string_view note, Location at);

  void warn(Location at, const std::string& message);
  const std::string& file() const { return file_; }

 private:
  bool apply_parameter(ParameterSet& set, const std::string& key, const std::string& value, Location at);
  std::string file_;
  double fps_;
  std::vector<std::string>& warnings_;
};

// Parses the prompt syntax of text that starts at `at` in the file; PromptError becomes a
// ManuscriptError there (line-relative columns beyond the first line are kept as they are).
Prompt located_prompt(std::string_view text, const std::string& file, Location at);

// Words in text (runs of characters between whitespace).
std::size_t count_words(std::string_view text);

// The search text of a shot: its own text, then the scene context.
std::string with_scene(std::string text, const std::string& scene);

Drafts fountain_drafts(std::string_view text, Directives& directives);
Drafts subtitle_drafts(std::string_view text, SubtitleFormat format, Directives& directives);
Drafts plain_text_drafts(std::string_view text, Directives& directives);

}  // namespace palimpsest::manuscript_detail

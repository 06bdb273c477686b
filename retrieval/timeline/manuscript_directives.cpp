// Directives in manuscript notes ("[[duration: 4s]]", "[[record: 12]]", "[[zoom: 0:(1), 24:(1.05)]]")
// applied to shots, with every problem reported at the note that holds it.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "retrieval/timeline/fountain.h"  // parse_note_directive
#include "retrieval/timeline/manuscript_error.h"
#include "retrieval/timeline/manuscript_shots.h"

namespace palimpsest::manuscript_detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// "4s", "4.5 s", "2 sec", "96f", "96 frames", "1500ms", "4" (seconds): frames at `fps`, >= 1.
std::optional<std::int64_t> parse_duration_frames(std::string_view text, double fps) {
  text = trim(text);
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || !std::isfinite(value) || value <= 0) return std::nullopt;
  std::string unit(trim(std::string_view(result.ptr, static_cast<std::size_t>(text.data() + text.size() - result.ptr))));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double frames = 0;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") {
    frames = value * fps;
  } else if (unit == "ms") {
    frames = value / 1000.0 * fps;
  } else if (unit == "f" || unit == "frame" || unit == "frames") {
    if (value != std::floor(value)) return std::nullopt;
    frames = value;
  } else {
    return std::nullopt;
  }
  if (frames > 1e9) return std::nullopt;
  return std::max<std::int64_t>(1, std::llround(frames));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

constexpr std::array<std::string_view, 21> kDirectiveNames = {
    "duration", "record", "neg", "negative", "seed_mode", "init", "strength", "noise", "guidance", "cfg", "steps",
    "seed", "zoom", "angle", "translation_x", "translation_y", "translation_z", "rotation_3d_x", "rotation_3d_y",
    "rotation_3d_z", "fov"};

// A close miss of a directive name ("strenght", "zom" is too short to tell).
std::optional<std::string_view> misspelt_directive(std::string_view key) {
  if (key.size() < 4) return std::nullopt;
  for (std::string_view name : kDirectiveNames)
    if (edit_distance(key, name) <= (name.size() >= 8 ? 2u : 1u)) return name;
  if (edit_distance(key, "cadence") <= 1) return std::string_view("cadence");
  return std::nullopt;
}

bool is_record_key(std::string_view key) { return key == "record" || key == "records" || key == "pin"; }
bool is_negative_key(std::string_view key) { return key == "neg" || key == "negative" || key == "negative prompt"; }

}  // namespace

void Directives::warn(Location at, const std::string& message) {
  warnings_.push_back(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + message);
}

bool Directives::apply_parameter(ParameterSet& set, const std::string& key, const std::string& value, Location at) {
  try {
    return set_parameter(set, key, value);
  } catch (const ScheduleError& e) {
    throw ManuscriptError(file_, at.line, at.column, e.what());
  } catch (const ParameterError& e) {
    throw ManuscriptError(file_, at.line, at.column, e.what());
  }
}

void Directives::apply(ShotDraft& draft, std::string_view note, Location at, bool allow_duration) {
  const auto directive = parse_note_directive(note);
  if (!directive) return;
  const std::string& key = directive->key;
  const std::string& value = directive->value;
  if (key == "duration") {
    if (!allow_duration) {
      warn(at, "duration ignored: subtitle cues take their times from the file");
      return;
    }
    const auto frames = parse_duration_frames(value, fps_);
    if (!frames)
      throw ManuscriptError(file_, at.line, at.column,
                            "duration: expected a length such as 4s, 4.5s, 1500ms or 96f, not \"" + value + "\"");
    draft.explicit_frames = *frames;
    return;
  }
  if (is_record_key(key)) {
    try {
      for (std::int64_t id : parse_record_ids(value)) {
        auto& pins = draft.shot.pinned_records;
        if (std::find(pins.begin(), pins.end(), id) == pins.end()) pins.push_back(id);
      }
    } catch (const std::invalid_argument& e) {
      throw ManuscriptError(file_, at.line, at.column, std::string("record: ") + e.what());
    }
    return;
  }
  if (is_negative_key(key)) {
    const std::string text = collapse_whitespace(value);
    if (text.empty()) return;
    std::string& negative = draft.shot.negative;
    negative = negative.empty() ? text : negative + ", " + text;
    return;
  }
  if (apply_parameter(draft.shot.parameters, key, value, at)) return;
  if (const auto close = misspelt_directive(key))
    warn(at, "unknown directive \"" + key + "\" ignored (did you mean \"" + std::string(*close) + "\"?)");
}

void Directives::apply_to_film(ParameterSet& film, std::string_view note, Location at) {
  const auto directive = parse_note_directive(note);
  if (!directive) return;
  if (apply_parameter(film, directive->key, directive->value, at)) return;
  if (directive->key == "duration" || is_record_key(directive->key) || is_negative_key(directive->key))
    warn(at, "\"" + directive->key + "\" on the title page ignored: it belongs to a shot");
  else if (const auto close = misspelt_directive(directive->key))
    warn(at, "unknown directive \"" + directive->key + "\" ignored (did you mean \"" + std::string(*close) + "\"?)");
}

Prompt located_prompt(std::string_view text, const std::string& file, Location at) {
  try {
    return parse_prompt(text);
  } catch (const PromptError& e) {
    const int line = at.line + e.line - 1;
    const int column = e.line == 1 ? at.column + e.column - 1 : e.column;
    throw ManuscriptError(file, line, column, e.message);
  }
}

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = is_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string with_scene(std::string text, const std::string& scene) {
  if (scene.empty()) return text;
  if (text.empty()) return scene;
  const char last = text.back();
  text += (last == '.' || last == '!' || last == '?' || last == ':' || last == ';' || last == ',') ? " " : ". ";
  return text + scene;
}

}  // namespace palimpsest::manuscript_detail

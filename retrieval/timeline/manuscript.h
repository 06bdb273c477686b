#pragma once
// Manuscript -> shots: the first half of `palimpsest make`. A Fountain screenplay, a SubRip/WebVTT
// subtitle file or plain text becomes a Timeline whose shots have text to search, frame ranges and
// parameters; the Planner (planner.h) then chooses their records.
//
// Fountain: action, dialogue ("CHARACTER: line" is the search text), centered text and lyrics
// become shots. A scene heading sets the scene context ("EXT. RED DESERT - NIGHT" -> "red desert,
// night"), added to the search text of the shots after it and kept in Shot::scene; a heading with
// no shot before the next one becomes a shot of its own (kind "scene"). Transitions, sections,
// synopses, page breaks and character cues are not shots; the title page gives the film's title.
// Unknown syntax is action (the Fountain parser's rule).
//
// Notes carry directives, "[[key: value]]":
//   duration: 4s | 4.5s | 96f | 1500ms   the shot's length (else words / 2.5 per second, >= 2 s)
//   record: 12[, 15...]                   pinned records (also written inline as [[record: 12]])
//   neg: text                             negative prompt (as the --neg tail does)
//   <parameter>: <schedule>               any parameter of parameters.h, keys relative to the shot
//   seed_mode: fixed|iter|schedule, init: noise|black|record [id]
// Where a note applies: written in or beside a shot's element -> that shot; on a scene heading ->
// every shot of the scene (a shot's own notes win); on a line of its own, a character cue, a
// parenthetical, a transition, a section or a synopsis -> the next shot (the last shot when none
// follows); on the title page -> the whole film (parameters only; keys are film frames). Notes
// with other keys are the writer's comments and are ignored (a key that looks like a misspelt
// directive gives a warning).
//
// Subtitles: one shot per cue, starting at the cue's time; a gap before the next cue extends the
// shot, the first shot starts at frame 0, overlapping cues are cut at the next cue's start. Cue
// notes ([[record: 12]], parameters) work as in Fountain; durations come from the times.
// Plain text: one shot per paragraph, notes as in Fountain.
//
// Frames: round(duration * fps), at least 1, shots back to back from frame 0. Errors throw
// ManuscriptError naming file, line and column.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "retrieval/timeline/manuscript_error.h"
#include "retrieval/timeline/parameters.h"
#include "retrieval/timeline/timeline.h"

namespace palimpsest {

enum class ManuscriptFormat { fountain, srt, webvtt, text };

std::string_view to_string(ManuscriptFormat format);
std::optional<ManuscriptFormat> parse_manuscript_format(std::string_view name);

// By extension first (.fountain and .spmd: Fountain; .srt, .vtt: subtitles, though subtitle
// content wins whatever the name, as ingest decides it; .txt, .md: plain text), else by content
// (a Fountain title page or scene headings: Fountain), else plain text. `head` is the start of the
// file.
ManuscriptFormat detect_manuscript_format(const std::filesystem::path& path, std::string_view head);

struct TimelineOptions {
  double fps = 12;
  int width = 320;
  int height = 192;
  // Film-wide parameters (keys are film frames), e.g. from the command line; they win over those of
  // the manuscript's title page. Fill with set_parameter().
  ParameterSet parameters;
  double words_per_second = 2.5;
  double min_shot_seconds = 2.0;
  std::string title;  // "" = the manuscript's (Fountain title page) or the file's stem
};

// Reads, detects the format and plans. Throws ManuscriptError (including for an unreadable file or
// one without shots) and std::invalid_argument for bad options.
Timeline plan_shots(const std::filesystem::path& path, const TimelineOptions& options = {});

// The same for text in memory; `file_name` names it in errors and in Timeline::manuscript.
Timeline plan_shots(std::string_view text, ManuscriptFormat format, const TimelineOptions& options = {},
                    const std::string& file_name = "<manuscript>");

}  // namespace palimpsest

// plan_shots(): read a manuscript, recognise its format, let the format make shot drafts, and lay
// the drafts out on frames.

#include "retrieval/timeline/manuscript.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "retrieval/timeline/fountain_text_rules.h"
#include "retrieval/timeline/manuscript_document.h"
#include "retrieval/timeline/manuscript_lines.h"
#include "retrieval/timeline/manuscript_shots.h"
#include "retrieval/timeline/timeline_limits.h"

namespace palimpsest {
namespace {

using manuscript_detail::Directives;
using manuscript_detail::Drafts;
using manuscript_detail::ShotDraft;

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A Fountain title page at the top, or a scene heading anywhere in the head.
bool looks_like_fountain(std::string_view head) {
  std::istringstream in{std::string(head)};
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string_view trimmed = fountain_detail::trim(line);
    if (trimmed.empty()) continue;
    if (first && lower_ascii(trimmed).starts_with("title:")) return true;
    first = false;
    if (fountain_detail::is_upper_case_text(trimmed) && fountain_detail::looks_like_scene_heading(trimmed)) return true;
  }
  return false;
}

std::string read_whole(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  const auto max_bytes = static_cast<std::uintmax_t>(local_limit(Limit::manuscript_bytes));
  if (!error && size > max_bytes)
    throw LimitError(Limit::manuscript_bytes, LimitScope::local,
                     path.string() + " is " + std::to_string(size) + " bytes", local_limit(Limit::manuscript_bytes));
  std::ifstream file;
  open_manuscript(path, file);
  std::ostringstream out;
  out << file.rdbuf();
  if (file.bad()) throw ManuscriptError(path.string(), 0, 0, "cannot read");
  return std::move(out).str();
}

void check_options(const TimelineOptions& options) {
  if (!(options.fps > 0)) throw std::invalid_argument("fps must be above 0");
  if (options.width < 1 || options.height < 1) throw std::invalid_argument("width and height must be 1 or more");
  if (!(options.words_per_second > 0)) throw std::invalid_argument("words_per_second must be above 0");
  if (!(options.min_shot_seconds >= 0)) throw std::invalid_argument("min_shot_seconds must be 0 or more");
  check_film_format(options.width, options.height, options.fps, options.limits);
}

std::int64_t ms_to_frame(std::int64_t ms, double fps) {
  return std::llround(static_cast<double>(ms) * fps / 1000.0);
}

// Shots back to back from frame 0, each as long as its directive says or its words take to read.
void lay_out_by_duration(std::vector<ShotDraft>& drafts, const TimelineOptions& options) {
  std::int64_t cursor = 0;
  for (ShotDraft& draft : drafts) {
    std::int64_t frames = 0;
    if (draft.explicit_frames) {
      frames = *draft.explicit_frames;
      draft.shot.duration_source = "explicit";
    } else {
      const double seconds = std::max(options.min_shot_seconds, static_cast<double>(draft.words) / options.words_per_second);
      frames = std::max<std::int64_t>(1, std::llround(seconds * options.fps));
      draft.shot.duration_source = "words";
    }
    draft.shot.start_frame = cursor;
    draft.shot.end_frame = cursor + frames;
    cursor += frames;
  }
}

// Shots at their cues' times; a gap extends the shot before it, the first shot starts at 0, and
// every shot keeps at least one frame even when cues start within the same frame.
void lay_out_by_time(std::vector<ShotDraft>& drafts, double fps) {
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    Shot& shot = drafts[i].shot;
    shot.start_frame = i == 0 ? 0 : std::max(ms_to_frame(drafts[i].start_ms, fps), drafts[i - 1].shot.start_frame + 1);
    shot.duration_source = "subtitle";
  }
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    Shot& shot = drafts[i].shot;
    shot.end_frame = i + 1 < drafts.size() ? drafts[i + 1].shot.start_frame
                                           : std::max(ms_to_frame(drafts[i].end_ms, fps), shot.start_frame + 1);
  }
}

// Options win over the manuscript's title page, parameter by parameter.
void overlay(ParameterSet& base, const ParameterSet& over) {
  for (const auto& [parameter, schedule] : over.schedules) base.schedules[parameter] = schedule;
  if (over.seed_mode) base.seed_mode = over.seed_mode;
  if (over.init) base.init = over.init;
  if (over.guidance_mode) base.guidance_mode = over.guidance_mode;
  if (over.guidance_curve) base.guidance_curve = over.guidance_curve;
  for (const auto& [parameter, range] : over.chaos) base.chaos[parameter] = range;
}

}  // namespace

std::string_view to_string(ManuscriptFormat format) {
  switch (format) {
    case ManuscriptFormat::fountain: return "fountain";
    case ManuscriptFormat::srt: return "srt";
    case ManuscriptFormat::webvtt: return "webvtt";
    case ManuscriptFormat::text: return "text";
  }
  return "text";
}

std::optional<ManuscriptFormat> parse_manuscript_format(std::string_view name) {
  const std::string key = lower_ascii(name);
  if (key == "fountain" || key == "spmd") return ManuscriptFormat::fountain;
  if (key == "srt" || key == "subrip") return ManuscriptFormat::srt;
  if (key == "webvtt" || key == "vtt") return ManuscriptFormat::webvtt;
  if (key == "text" || key == "txt" || key == "plain" || key == "md" || key == "markdown") return ManuscriptFormat::text;
  return std::nullopt;
}

ManuscriptFormat detect_manuscript_format(const std::filesystem::path& path, std::string_view head) {
  const std::string extension = lower_ascii(path.extension().string());
  if (extension == ".fountain" || extension == ".spmd") return ManuscriptFormat::fountain;
  if (const auto subtitles = detect_subtitle_format(head, extension))
    return *subtitles == SubtitleFormat::webvtt ? ManuscriptFormat::webvtt : ManuscriptFormat::srt;
  // A subtitle name without subtitle content is a broken subtitle file, not prose: parsing it as
  // subtitles reports what is wrong with it.
  if (extension == ".srt") return ManuscriptFormat::srt;
  if (extension == ".vtt") return ManuscriptFormat::webvtt;
  if (extension == ".txt" || extension == ".text" || extension == ".md" || extension == ".markdown")
    return ManuscriptFormat::text;
  return looks_like_fountain(head) ? ManuscriptFormat::fountain : ManuscriptFormat::text;
}

Timeline plan_shots(const std::filesystem::path& path, const TimelineOptions& options) {
  if (std::optional<DocumentManuscript> document = read_document_manuscript(path)) {
    // A PDF or a scanned page: its text, then the plain-text or Fountain rules by its content.
    const ManuscriptFormat format = looks_like_fountain(std::string_view(document->text).substr(0, 8192))
                                        ? ManuscriptFormat::fountain
                                        : ManuscriptFormat::text;
    Timeline timeline = plan_shots(document->text, format, options, path.string());
    timeline.warnings.insert(timeline.warnings.begin(), document->warnings.begin(), document->warnings.end());
    return timeline;
  }
  const std::string text = read_whole(path);
  const ManuscriptFormat format = detect_manuscript_format(path, std::string_view(text).substr(0, 8192));
  return plan_shots(text, format, options, path.string());
}

Timeline plan_shots(std::string_view text, ManuscriptFormat format, const TimelineOptions& options,
                    const std::string& file_name) {
  check_options(options);
  Timeline timeline;
  timeline.fps = options.fps;
  timeline.width = options.width;
  timeline.height = options.height;
  timeline.manuscript = {file_name, std::string(to_string(format))};
  Directives directives(file_name, options.fps, timeline.warnings);

  Drafts drafts;
  switch (format) {
    case ManuscriptFormat::fountain: drafts = manuscript_detail::fountain_drafts(text, directives); break;
    case ManuscriptFormat::srt: drafts = manuscript_detail::subtitle_drafts(text, SubtitleFormat::srt, directives); break;
    case ManuscriptFormat::webvtt:
      drafts = manuscript_detail::subtitle_drafts(text, SubtitleFormat::webvtt, directives);
      break;
    case ManuscriptFormat::text: drafts = manuscript_detail::plain_text_drafts(text, directives); break;
  }
  if (drafts.shots.empty()) {
    const char* what = format == ManuscriptFormat::fountain ? "no shots: no action, dialogue, lyrics or scenes"
                       : format == ManuscriptFormat::text   ? "no shots: no paragraphs"
                                                            : "no shots: no subtitle cues";
    throw ManuscriptError(file_name, 0, 0, what);
  }

  if (drafts.timed)
    lay_out_by_time(drafts.shots, options.fps);
  else
    lay_out_by_duration(drafts.shots, options);

  timeline.shots.reserve(drafts.shots.size());
  for (ShotDraft& draft : drafts.shots) {
    draft.shot.index = static_cast<int>(timeline.shots.size());
    timeline.shots.push_back(std::move(draft.shot));
  }
  timeline.frame_count = timeline.shots.back().end_frame;
  timeline.parameters = std::move(drafts.film);
  overlay(timeline.parameters, options.parameters);
  check_film_limits(timeline, options.limits);
  timeline.title = !options.title.empty() ? options.title
                   : !drafts.title.empty() ? drafts.title
                                           : std::filesystem::path(file_name).stem().string();
  return timeline;
}

}  // namespace palimpsest

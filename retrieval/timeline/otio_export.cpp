// OpenTimelineIO JSON from a Timeline (layout in otio_export.h).

#include "retrieval/timeline/otio_export.h"

#include <cctype>
#include <filesystem>

#include "retrieval/timeline/shot_pictures.h"

namespace palimpsest {
namespace {

using nlohmann::json;

json rational_time(double value, double rate) {
  return {{"OTIO_SCHEMA", "RationalTime.1"}, {"rate", rate}, {"value", value}};
}

json time_range(double start, double duration, double rate) {
  return {{"OTIO_SCHEMA", "TimeRange.1"},
          {"start_time", rational_time(start, rate)},
          {"duration", rational_time(duration, rate)}};
}

double ms_to_frames(std::int64_t ms, double fps) { return static_cast<double>(ms) * fps / 1000.0; }

bool has_scheme(const std::string& uri) {
  const std::size_t colon = uri.find("://");
  if (colon == std::string::npos || colon == 0) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = uri[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return false;
  }
  return std::isalpha(static_cast<unsigned char>(uri[0])) != 0;
}

std::string clip_name(const Shot& shot) {
  constexpr std::size_t kMaxBytes = 60;
  std::string text = shot.text;
  if (text.size() > kMaxBytes) {
    std::size_t cut = kMaxBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole code points
    text = text.substr(0, cut) + "...";
  }
  return "Shot " + std::to_string(shot.index + 1) + (text.empty() ? "" : ": " + text);
}

json shot_metadata(const Shot& shot) {
  json keyframes = json::array();
  for (const ShotKeyframe& k : shot.keyframes)
    keyframes.push_back({{"record", k.record_id}, {"frame", k.frame}, {"pinned", k.pinned}});
  json guidance = json::array();
  for (const GuidanceRecord& g : shot.guidance)
    guidance.push_back({{"record", g.record_id}, {"kind", std::string(to_string(g.kind))}, {"weight", g.weight}});
  json negatives = json::array();
  for (const NegativeRecord& n : shot.negatives) negatives.push_back(n.record_id);
  json metadata = shot_description_json(shot);
  metadata["shot"] = shot.index;
  metadata["keyframes"] = keyframes;
  metadata["guidance"] = guidance;
  metadata["negatives"] = negatives;
  metadata["provenance"] = {{"status", "pending"}, {"records", json::array()}};
  return metadata;
}

json missing_reference(const std::string& why) {
  return {{"OTIO_SCHEMA", "MissingReference.1"},
          {"name", ""},
          {"available_range", nullptr},
          {"metadata", {{"palimpsest", {{"reason", why}}}}}};
}

json gap(std::int64_t frames, double fps) {
  return {{"OTIO_SCHEMA", "Gap.1"},
          {"name", ""},
          {"metadata", json::object()},
          {"source_range", time_range(0, static_cast<double>(frames), fps)},
          {"effects", json::array()},
          {"markers", json::array()},
          {"enabled", true}};
}

// The clip of a shot. `pictures` says where its pictures come from (shot_pictures.h): its own first
// keyframe, or, for a shot that found none, the first keyframe of the shot it borrows from
// (`lender`), marked with the role "borrowed".
json clip(const Shot& shot, double fps, const std::function<std::optional<RecordRow>(std::int64_t)>& lookup,
          const ShotPictures* pictures, const Shot* lender) {
  const double frames = static_cast<double>(shot.frame_count());
  json reference;
  double start = 0;
  const bool borrowed = shot.keyframes.empty() && lender && !lender->keyframes.empty();
  const Shot& drawn = borrowed ? *lender : shot;
  if (drawn.keyframes.empty()) {
    reference = missing_reference(pictures && pictures->status == ShotPictureStatus::empty
                                      ? "the shot found no picture (drawn from its init)"
                                      : "the shot has no keyframe record");
  } else if (const std::optional<RecordRow> record = lookup(drawn.keyframes.front().record_id); !record) {
    reference = missing_reference("record " + std::to_string(drawn.keyframes.front().record_id) + " is not in the catalog");
  } else {
    start = ms_to_frames(record->ts_ms, fps);
    json available = nullptr;
    if (record->dur_ms) available = time_range(start, ms_to_frames(*record->dur_ms, fps), fps);
    json about = {{"record", record->id},
                  {"kind", std::string(to_string(record->kind))},
                  {"source", record->source_id},
                  {"ts_ms", record->ts_ms},
                  {"title", record->title},
                  {"role", borrowed ? "borrowed" : "keyframe"}};
    if (borrowed) about["from_shot"] = lender->index;
    reference = {{"OTIO_SCHEMA", "ExternalReference.1"},
                 {"name", std::filesystem::path(record->uri).filename().string()},
                 {"target_url", file_uri(record->uri)},
                 {"available_range", available},
                 {"metadata", {{"palimpsest", std::move(about)}}}};
  }
  json metadata = shot_metadata(shot);
  if (pictures) metadata["pictures"] = pictures->to_json();
  return {{"OTIO_SCHEMA", "Clip.1"},
          {"name", clip_name(shot)},
          {"source_range", time_range(start, frames, fps)},
          {"media_reference", reference},
          {"metadata", {{"palimpsest", std::move(metadata)}}},
          {"effects", json::array()},
          {"markers", json::array()},
          {"enabled", true}};
}

}  // namespace

std::string file_uri(const std::string& path) {
  if (has_scheme(path)) return path;
  std::string absolute = path;
  if (!absolute.empty() && absolute.front() != '/') {
    std::error_code error;
    const auto resolved = std::filesystem::absolute(path, error);
    if (!error) absolute = resolved.string();
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : absolute) {
    const bool keep = std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

nlohmann::json to_otio(const Timeline& timeline,
                       const std::function<std::optional<RecordRow>(std::int64_t)>& lookup) {
  const double fps = timeline.fps;
  json children = json::array();
  std::int64_t cursor = 0;
  std::vector<ShotPictures> pictures;
  if (timeline.planned) pictures = shot_pictures(timeline);
  for (std::size_t i = 0; i < timeline.shots.size(); ++i) {
    const Shot& shot = timeline.shots[i];
    const ShotPictures* p = i < pictures.size() ? &pictures[i] : nullptr;
    const Shot* lender = p && p->from_shot >= 0 ? &timeline.shots.at(static_cast<std::size_t>(p->from_shot)) : nullptr;
    if (shot.start_frame > cursor) children.push_back(gap(shot.start_frame - cursor, fps));
    children.push_back(clip(shot, fps, lookup, p, lender));
    cursor = shot.end_frame;
  }
  if (timeline.frame_count > cursor) children.push_back(gap(timeline.frame_count - cursor, fps));

  json track = {{"OTIO_SCHEMA", "Track.1"},
                {"name", "Video 1"},
                {"kind", "Video"},
                {"metadata", json::object()},
                {"source_range", nullptr},
                {"effects", json::array()},
                {"markers", json::array()},
                {"enabled", true},
                {"children", std::move(children)}};
  json stack = {{"OTIO_SCHEMA", "Stack.1"},
                {"name", "tracks"},
                {"metadata", json::object()},
                {"source_range", nullptr},
                {"effects", json::array()},
                {"markers", json::array()},
                {"enabled", true},
                {"children", json::array({std::move(track)})}};
  return {{"OTIO_SCHEMA", "Timeline.1"},
          {"name", timeline.title},
          {"global_start_time", rational_time(0, fps)},
          {"metadata",
           {{"palimpsest",
             {{"timeline_version", timeline.version},
              {"manuscript", {{"file", timeline.manuscript.file}, {"format", timeline.manuscript.format}}},
              {"fps", fps},
              {"width", timeline.width},
              {"height", timeline.height},
              {"frame_count", timeline.frame_count},
              {"planned", timeline.planned}}}}},
          {"tracks", std::move(stack)}};
}

}  // namespace palimpsest

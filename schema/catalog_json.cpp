#include "schema/catalog_json.h"

#include <filesystem>
#include <map>

namespace palimpsest {
namespace {

nlohmann::json optional(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
nlohmann::json optional(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json share(std::int64_t record_id, ProvenanceRole role, double share, std::int64_t frames) {
  return {{"record_id", record_id}, {"role", to_string(role)}, {"share", share}, {"frames", frames}};
}

}  // namespace

std::string json_text(const nlohmann::json& document, int indent) {
  return document.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json record_json(const RecordRow& r) {
  return {{"id", r.id},
          {"archive_id", r.archive_id},
          {"source_id", r.source_id},
          {"kind", to_string(r.kind)},
          {"uri", r.uri},
          {"ts_ms", r.ts_ms},
          {"dur_ms", optional(r.dur_ms)},
          {"width", optional(r.width)},
          {"height", optional(r.height)},
          {"title", r.title},
          {"text", r.text},
          {"meta", r.meta},
          {"sha256", r.sha256},
          {"created_at", r.created_at}};
}

nlohmann::json record_summary_json(const RecordRow& r) {
  std::string excerpt = r.text.substr(0, 200);
  // Cut on a character boundary: drop continuation bytes, then a lead byte left without them.
  while (!excerpt.empty() && (static_cast<unsigned char>(excerpt.back()) & 0xC0) == 0x80) excerpt.pop_back();
  if (!excerpt.empty() && static_cast<unsigned char>(excerpt.back()) >= 0xC0) excerpt.pop_back();
  const auto page = r.meta.is_object() ? r.meta.find("page") : r.meta.end();
  return {{"id", r.id},
          {"kind", to_string(r.kind)},
          {"title", r.title},
          {"excerpt", excerpt},
          {"source_name", std::filesystem::path(r.uri).filename().string()},
          {"ts_ms", r.ts_ms},
          {"dur_ms", optional(r.dur_ms)},
          {"page", page != r.meta.end() && page->is_number_integer() ? *page : nlohmann::json()}};
}

nlohmann::json record_links_json(const RecordRow& r) {
  nlohmann::json links = nlohmann::json::object();
  if (!r.meta.is_object()) return links;
  for (const char* key : {"video_source_id", "speech_record_ids", "audio_record_id", "frame_record_ids",
                          "picture_record_id", "ocr_record_id", "page_record_id", "text_record_ids", "page",
                          "page_count"})
    if (const auto it = r.meta.find(key); it != r.meta.end() && (it->is_number_integer() || it->is_array()))
      links[key] = *it;
  return links;
}

nlohmann::json provenance_entries_json(const std::vector<ProvenanceRow>& rows) {
  nlohmann::json entries = nlohmann::json::array();
  for (const ProvenanceRow& p : rows)
    entries.push_back({{"record_id", p.record_id}, {"role", to_string(p.role)}, {"weight", p.weight}});
  return entries;
}

nlohmann::json frame_provenance_json(const FilmFrameRow& frame, const std::vector<ProvenanceRow>& rows,
                                     const std::optional<SoundInterval>& heard) {
  return {{"frame", frame.frame}, {"shot", frame.shot}, {"diffused", frame.diffused},
          {"entries", provenance_entries_json(rows)},
          {"heard", heard ? sound_interval_json(*heard) : nlohmann::json()},
          {"metrics", metrics_json(frame.metrics)}};
}

nlohmann::json metrics_json(const FrameMetrics& m) {
  auto value = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  return {{"clip_score", value(m.clip_score)},
          {"flicker", value(m.flicker)},
          {"top_share", value(m.top_share)},
          {"entropy", value(m.entropy)},
          {"novelty", value(m.novelty)}};
}

FrameMetrics mean_metrics(const std::vector<FrameMetrics>& frames) {
  FrameMetrics out;
  auto mean = [&](std::optional<double> FrameMetrics::*field) {
    double sum = 0;
    int n = 0;
    for (const FrameMetrics& m : frames)
      if (m.*field) {
        sum += *(m.*field);
        ++n;
      }
    if (n > 0) out.*field = sum / n;
  };
  mean(&FrameMetrics::clip_score);
  mean(&FrameMetrics::flicker);
  mean(&FrameMetrics::top_share);
  mean(&FrameMetrics::entropy);
  mean(&FrameMetrics::novelty);
  return out;
}

nlohmann::json film_metrics_json(const std::vector<FilmFrameRow>& frames) {
  std::vector<FrameMetrics> all;
  std::map<std::int64_t, std::vector<FrameMetrics>> by_shot;
  nlohmann::json per_frame = nlohmann::json::array();
  for (const FilmFrameRow& f : frames) {
    all.push_back(f.metrics);
    by_shot[f.shot].push_back(f.metrics);
    nlohmann::json row = metrics_json(f.metrics);
    row["frame"] = f.frame;
    row["shot"] = f.shot;
    row["diffused"] = f.diffused;
    row["language"] = f.language;
    per_frame.push_back(std::move(row));
  }
  nlohmann::json film = metrics_json(mean_metrics(all));
  film["frames"] = all.size();
  nlohmann::json shots = nlohmann::json::array();
  for (const auto& [shot, metrics] : by_shot) {
    nlohmann::json row = metrics_json(mean_metrics(metrics));
    row["shot"] = shot;
    row["frames"] = metrics.size();
    shots.push_back(std::move(row));
  }
  return {{"film", film}, {"shots", shots}, {"frames", per_frame}};
}

nlohmann::json share_json(const FilmShareRow& s) { return share(s.record_id, s.role, s.share, s.frames); }
nlohmann::json share_json(const ShotShareRow& s) { return share(s.record_id, s.role, s.share, s.frames); }

nlohmann::json shares_json(const std::vector<FilmShareRow>& shares) {
  nlohmann::json out = nlohmann::json::array();
  for (const FilmShareRow& s : shares) out.push_back(share_json(s));
  return out;
}

nlohmann::json sound_interval_json(const SoundInterval& heard) {
  nlohmann::json records = nlohmann::json::array();
  for (const HeardRow& h : heard.records) records.push_back({{"record_id", h.record_id}, {"gain", h.gain}});
  return {{"interval", heard.interval}, {"from_s", heard.from_s}, {"to_s", heard.to_s}, {"records", records}};
}

nlohmann::json sound_share_json(const SoundShareRow& s) {
  return {{"record_id", s.record_id}, {"share", s.share}, {"mean_gain", s.mean_gain}, {"seconds", s.seconds},
          {"intervals", s.intervals}};
}

nlohmann::json soundtrack_json(const std::optional<FilmSoundtrackRow>& t, const std::vector<SoundShareRow>& shares) {
  if (!t) return nullptr;
  nlohmann::json list = nlohmann::json::array();
  for (const SoundShareRow& s : shares) list.push_back(sound_share_json(s));
  return {{"sample_rate", t->sample_rate},
          {"duration_s", t->duration_s()},
          {"interval", t->per_frame() ? "frame" : "second"},
          {"interval_s", t->interval_s()},
          {"clips", t->clips},
          {"gain_db", t->gain_db},
          {"mix_lufs", optional(t->mix_lufs)},
          {"output_lufs", optional(t->output_lufs)},
          {"true_peak_dbtp", optional(t->true_peak_dbtp)},
          {"warnings", t->warnings},
          {"shares", list}};
}

nlohmann::json record_heard_json(const RecordHeard& h) {
  return {{"interval", h.interval}, {"from_s", h.from_s},         {"to_s", h.to_s},
          {"first_frame", h.first_frame}, {"end_frame", h.end_frame}, {"gain", h.gain}};
}

}  // namespace palimpsest

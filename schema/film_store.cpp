#include "schema/film_store.h"

#include <cmath>

#include "schema/catalog_error.h"
#include "schema/sqlite_connection.h"
#include "schema/catalog_json.h"

namespace palimpsest {
namespace {

#define FILM_COLUMNS                                                                            \
  "id, title, manuscript, timeline, params, status, progress, coalesce(video_path, ''), "       \
  "created_at, coalesce(output_dir, ''), coalesce(error, ''), frame_count, "                    \
  "(SELECT count(*) FROM film_frames ff WHERE ff.film_id = films.id), coalesce(updated_at, '')"

// Lists leave the timeline out (it can be large); film() reads it.
FilmRow read_film(const Statement& s, bool with_timeline) {
  FilmRow f;
  f.id = s.int64(0);
  f.title = s.text(1);
  f.manuscript = s.text(2);
  if (with_timeline && !s.is_null(3)) f.timeline = nlohmann::json::parse(s.text(3), nullptr, false);
  f.params = nlohmann::json::parse(s.text(4), nullptr, false);
  f.status = parse_film_status(s.text(5)).value_or(FilmStatus::failed);
  f.progress = s.real(6);
  f.video_path = s.text(7);
  f.created_at = s.text(8);
  f.output_dir = s.text(9);
  f.error = s.text(10);
  f.frame_count = s.int64(11);
  f.frames_rendered = s.int64(12);
  f.updated_at = s.text(13);
  return f;
}

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

#define FRAME_COLUMNS "frame, shot, diffused, has_map, language, clip_score, flicker, top_share, entropy, novelty"

std::optional<double> optional_real(const Statement& s, int column) {
  return s.is_null(column) ? std::nullopt : std::optional<double>(s.real(column));
}

FilmFrameRow read_frame(const Statement& s) {
  FilmFrameRow f{s.int64(0), s.int64(1), s.int64(2) != 0, s.int64(3) != 0, s.real(4), {}};
  f.metrics = {optional_real(s, 5), optional_real(s, 6), optional_real(s, 7), optional_real(s, 8), optional_real(s, 9)};
  return f;
}

// A provenance row whose record_id, role and weight (or share) start at column `first`.
ProvenanceRow read_provenance(const Statement& s, int first) {
  return {s.int64(first), parse_provenance_role(s.text(first + 1)).value_or(ProvenanceRole::denoiser), s.real(first + 2)};
}

#define SOUNDTRACK_COLUMNS                                                                       \
  "film_id, sample_rate, samples, interval_samples, fps, clips, gain_db, mix_lufs, output_lufs, " \
  "true_peak_dbtp, warnings, created_at"

// -inf (a silent soundtrack's loudness) is stored as NULL.
void bind_finite(Statement& s, int index, const std::optional<double>& value) {
  if (value && std::isfinite(*value))
    s.bind(index, *value);
  else
    s.bind_null(index);
}

FilmSoundtrackRow read_soundtrack(const Statement& s) {
  FilmSoundtrackRow t;
  t.film_id = s.int64(0);
  t.sample_rate = static_cast<int>(s.int64(1));
  t.samples = s.int64(2);
  t.interval_samples = s.int64(3);
  t.fps = s.real(4);
  t.clips = s.int64(5);
  t.gain_db = s.real(6);
  t.mix_lufs = optional_real(s, 7);
  t.output_lufs = optional_real(s, 8);
  t.true_peak_dbtp = optional_real(s, 9);
  const nlohmann::json warnings = nlohmann::json::parse(s.text(10), nullptr, false);
  if (warnings.is_array())
    for (const auto& w : warnings)
      if (w.is_string()) t.warnings.push_back(w.get<std::string>());
  t.created_at = s.text(11);
  return t;
}

}  // namespace

FilmStore::FilmStore(SqliteConnection& db) : db_(db) {}

std::int64_t FilmStore::create(std::string_view title, std::string_view manuscript,
                                  const nlohmann::json& timeline, const nlohmann::json& params) {
  db_.statement("INSERT INTO films(title, manuscript, timeline, params) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, title)
      .bind(2, manuscript)
      .bind(3, json_text(timeline))
      .bind(4, json_text(params))
      .run();
  return db_.last_insert_id();
}

std::optional<FilmRow> FilmStore::get(std::int64_t id, bool with_timeline) {
  Statement& s = db_.statement("SELECT " FILM_COLUMNS " FROM films WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_film(s, with_timeline);
}

std::optional<std::int64_t> FilmStore::find(std::string_view manuscript, const nlohmann::json& timeline) {
  // Timelines are stored as nlohmann's compact dump (sorted keys), so equal documents are equal
  // strings.
  Statement& s = db_.statement(
      "SELECT id FROM films WHERE manuscript = ?1 AND timeline = ?2 ORDER BY id DESC LIMIT 1");
  s.bind(1, manuscript).bind(2, json_text(timeline));
  if (!s.step()) return std::nullopt;
  return s.int64(0);
}

std::vector<FilmRow> FilmStore::list(std::int64_t before_id, int limit) {
  Statement& s = db_.statement("SELECT " FILM_COLUMNS " FROM films WHERE ?1 <= 0 OR id < ?1 "
                           "ORDER BY id DESC LIMIT ?2");
  s.bind(1, before_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<FilmRow> out;
  while (s.step()) out.push_back(read_film(s, /*with_timeline=*/false));
  return out;
}

bool FilmStore::remove(std::int64_t id) {
  // film_frames, provenance and jobs go with it (ON DELETE CASCADE).
  db_.statement("DELETE FROM films WHERE id = ?1").bind(1, id).run();
  return db_.changes() > 0;
}

void FilmStore::set_render(std::int64_t id, FilmStatus status, double progress, std::string_view error) {
  db_.statement(std::string("UPDATE films SET status = ?2, progress = ?3, error = nullif(?4, ''), "
                        "updated_at = ") + kNow + " WHERE id = ?1")
      .bind(1, id)
      .bind(2, to_string(status))
      .bind(3, progress)
      .bind(4, error)
      .run();
}

void FilmStore::set_output(std::int64_t id, std::string_view output_dir,
                              std::string_view video_path, std::int64_t frame_count) {
  db_.statement(std::string("UPDATE films SET output_dir = ?2, video_path = nullif(?3, ''), "
                        "frame_count = ?4, updated_at = ") + kNow + " WHERE id = ?1")
      .bind(1, id)
      .bind(2, output_dir)
      .bind(3, video_path)
      .bind(4, frame_count)
      .run();
}

void FilmStore::set_timeline(std::int64_t id, const nlohmann::json& timeline) {
  db_.statement(std::string("UPDATE films SET timeline = ?2, updated_at = ") + kNow + " WHERE id = ?1")
      .bind(1, id)
      .bind(2, json_text(timeline))
      .run();
}

void FilmStore::put_frame(std::int64_t film_id, const FilmFrameRow& frame,
                             const std::vector<ProvenanceRow>& provenance) {
  // The language role has no record to reference: its weight goes to film_frames.language.
  double language = 0;
  for (const ProvenanceRow& p : provenance)
    if (p.role == ProvenanceRole::language) language += p.weight;
  auto bind_metric = [](Statement& s, int index, const std::optional<double>& value) {
    if (value)
      s.bind(index, *value);
    else
      s.bind_null(index);
  };
  db_.transaction([&] {
    db_.statement("DELETE FROM provenance WHERE film_id = ?1 AND frame = ?2")
        .bind(1, film_id)
        .bind(2, frame.frame)
        .run();
    Statement& row = db_.statement(
        "INSERT OR REPLACE INTO film_frames(film_id, frame, shot, diffused, has_map, language, clip_score, "
        "flicker, top_share, entropy, novelty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    row.bind(1, film_id)
        .bind(2, frame.frame)
        .bind(3, frame.shot)
        .bind(4, static_cast<std::int64_t>(frame.diffused))
        .bind(5, static_cast<std::int64_t>(frame.has_map))
        .bind(6, language);
    bind_metric(row, 7, frame.metrics.clip_score);
    bind_metric(row, 8, frame.metrics.flicker);
    bind_metric(row, 9, frame.metrics.top_share);
    bind_metric(row, 10, frame.metrics.entropy);
    bind_metric(row, 11, frame.metrics.novelty);
    row.run();
    Statement& insert = db_.statement(
        "INSERT INTO provenance(film_id, frame, record_id, role, weight) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(film_id, frame, record_id, role) DO UPDATE SET weight = weight + excluded.weight");
    for (const ProvenanceRow& p : provenance)
      if (p.role != ProvenanceRole::language)
        insert.bind(1, film_id).bind(2, frame.frame).bind(3, p.record_id).bind(4, to_string(p.role)).bind(5, p.weight).run();
  });
}

void FilmStore::clear_frames(std::int64_t film_id) {
  db_.transaction([&] {
    db_.statement("DELETE FROM provenance WHERE film_id = ?1").bind(1, film_id).run();
    db_.statement("DELETE FROM film_frames WHERE film_id = ?1").bind(1, film_id).run();
  });
}

std::vector<FilmFrameRow> FilmStore::frames(std::int64_t film_id) {
  Statement& s = db_.statement(
      "SELECT " FRAME_COLUMNS " FROM film_frames WHERE film_id = ?1 ORDER BY frame");
  s.bind(1, film_id);
  std::vector<FilmFrameRow> out;
  while (s.step()) out.push_back(read_frame(s));
  return out;
}

std::optional<FilmFrameRow> FilmStore::frame(std::int64_t film_id, std::int64_t frame) {
  Statement& s = db_.statement(
      "SELECT " FRAME_COLUMNS " FROM film_frames WHERE film_id = ?1 AND frame = ?2");
  s.bind(1, film_id).bind(2, frame);
  if (!s.step()) return std::nullopt;
  return read_frame(s);
}

std::vector<ProvenanceRow> FilmStore::frame_provenance(std::int64_t film_id, std::int64_t frame) {
  Statement& s = db_.statement(
      "SELECT record_id, role, weight FROM frame_weights WHERE film_id = ?1 AND frame = ?2 "
      "ORDER BY role = 'guidance', weight DESC, record_id");
  s.bind(1, film_id).bind(2, frame);
  std::vector<ProvenanceRow> out;
  while (s.step()) out.push_back(read_provenance(s, 0));
  return out;
}

std::vector<std::pair<std::int64_t, std::vector<ProvenanceRow>>> FilmStore::all_frame_provenance(std::int64_t film_id) {
  Statement& s = db_.statement(
      "SELECT frame, record_id, role, weight FROM frame_weights WHERE film_id = ?1 "
      "ORDER BY frame, role = 'guidance', weight DESC, record_id");
  s.bind(1, film_id);
  std::vector<std::pair<std::int64_t, std::vector<ProvenanceRow>>> out;
  while (s.step()) {
    const std::int64_t frame = s.int64(0);
    if (out.empty() || out.back().first != frame) out.emplace_back(frame, std::vector<ProvenanceRow>{});
    out.back().second.push_back(read_provenance(s, 1));
  }
  return out;
}

std::vector<FilmShareRow> FilmStore::shares(std::int64_t film_id) {
  Statement& s = db_.statement(
      "SELECT p.record_id, p.role, sum(p.weight) / max(1, (SELECT count(*) FROM film_frames ff "
      "WHERE ff.film_id = ?1)), count(*) FROM frame_weights p WHERE p.film_id = ?1 "
      "GROUP BY p.record_id, p.role ORDER BY p.role = 'guidance', 3 DESC, p.record_id");
  s.bind(1, film_id);
  std::vector<FilmShareRow> out;
  while (s.step()) {
    const ProvenanceRow p = read_provenance(s, 0);
    out.push_back({p.record_id, p.role, p.weight, s.int64(3)});
  }
  return out;
}

std::vector<ShotShareRow> FilmStore::shot_shares(std::int64_t film_id) {
  Statement& s = db_.statement(
      "WITH shot_frames(shot, n) AS (SELECT shot, count(*) FROM film_frames WHERE film_id = ?1 GROUP BY shot) "
      "SELECT f.shot, p.record_id, p.role, sum(p.weight) / sf.n, count(*) FROM frame_weights p "
      "JOIN film_frames f ON f.film_id = p.film_id AND f.frame = p.frame "
      "JOIN shot_frames sf ON sf.shot = f.shot WHERE p.film_id = ?1 "
      "GROUP BY f.shot, p.record_id, p.role ORDER BY f.shot, p.role = 'guidance', 4 DESC, p.record_id");
  s.bind(1, film_id);
  std::vector<ShotShareRow> out;
  while (s.step()) {
    const ProvenanceRow p = read_provenance(s, 1);
    out.push_back({s.int64(0), p.record_id, p.role, p.weight, s.int64(4)});
  }
  return out;
}

std::vector<RecordUse> FilmStore::record_uses(std::int64_t record_id, int limit) {
  Statement& s = db_.statement(
      "SELECT p.film_id, f.title, p.frame, p.role, p.weight FROM provenance p "
      "JOIN films f ON f.id = p.film_id WHERE p.record_id = ?1 "
      "ORDER BY p.film_id, p.weight DESC, p.frame LIMIT ?2");
  s.bind(1, record_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<RecordUse> out;
  while (s.step()) {
    const ProvenanceRow p = read_provenance(s, 2);
    out.push_back({s.int64(0), s.text(1), s.int64(2), p.role, p.weight});
  }
  return out;
}

void FilmStore::put_soundtrack(const FilmSoundtrackRow& t, const std::vector<HeardRow>& heard) {
  db_.transaction([&] {
    // The film's film_sound rows go with its old soundtrack row (ON DELETE CASCADE).
    db_.statement("DELETE FROM film_soundtracks WHERE film_id = ?1").bind(1, t.film_id).run();
    Statement& insert = db_.statement(
        "INSERT INTO film_soundtracks(film_id, sample_rate, samples, interval_samples, fps, clips, gain_db, "
        "mix_lufs, output_lufs, true_peak_dbtp, warnings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    insert.bind(1, t.film_id)
        .bind(2, static_cast<std::int64_t>(t.sample_rate))
        .bind(3, t.samples)
        .bind(4, t.interval_samples)
        .bind(5, t.fps)
        .bind(6, t.clips)
        .bind(7, t.gain_db);
    bind_finite(insert, 8, t.mix_lufs);
    bind_finite(insert, 9, t.output_lufs);
    bind_finite(insert, 10, t.true_peak_dbtp);
    insert.bind(11, json_text(nlohmann::json(t.warnings))).run();
    Statement& row = db_.statement(
        "INSERT INTO film_sound(film_id, interval, record_id, gain) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(film_id, interval, record_id) DO UPDATE SET gain = gain + excluded.gain");
    for (const HeardRow& h : heard)
      row.bind(1, t.film_id).bind(2, h.interval).bind(3, h.record_id).bind(4, h.gain).run();
  });
}

void FilmStore::clear_soundtrack(std::int64_t film_id) {
  db_.statement("DELETE FROM film_soundtracks WHERE film_id = ?1").bind(1, film_id).run();
}

std::optional<FilmSoundtrackRow> FilmStore::soundtrack(std::int64_t film_id) {
  Statement& s = db_.statement("SELECT " SOUNDTRACK_COLUMNS " FROM film_soundtracks WHERE film_id = ?1");
  s.bind(1, film_id);
  if (!s.step()) return std::nullopt;
  return read_soundtrack(s);
}

std::optional<SoundInterval> FilmStore::heard_at_frame(std::int64_t film_id, std::int64_t frame) {
  const std::optional<FilmSoundtrackRow> t = soundtrack(film_id);
  if (!t) return std::nullopt;
  SoundInterval heard;
  heard.interval = t->interval_of_frame(frame);
  heard.from_s = t->interval_start_s(heard.interval);
  heard.to_s = t->interval_end_s(heard.interval);
  Statement& s = db_.statement(
      "SELECT record_id, gain FROM film_sound WHERE film_id = ?1 AND interval = ?2 ORDER BY gain DESC, record_id");
  s.bind(1, film_id).bind(2, heard.interval);
  while (s.step()) heard.records.push_back({heard.interval, s.int64(0), s.real(1)});
  return heard;
}

std::vector<HeardRow> FilmStore::all_heard(std::int64_t film_id) {
  Statement& s = db_.statement(
      "SELECT interval, record_id, gain FROM film_sound WHERE film_id = ?1 ORDER BY interval, gain DESC, record_id");
  s.bind(1, film_id);
  std::vector<HeardRow> out;
  while (s.step()) out.push_back({s.int64(0), s.int64(1), s.real(2)});
  return out;
}

std::vector<SoundShareRow> FilmStore::sound_shares(std::int64_t film_id) {
  // An interval's length in samples: interval_samples, the last one cut at the film's end.
  Statement& s = db_.statement(
      "WITH heard AS (SELECT h.record_id, h.gain * min(t.interval_samples, t.samples - h.interval * t.interval_samples) AS "
      "gain_samples, min(t.interval_samples, t.samples - h.interval * t.interval_samples) AS samples, t.samples AS total, "
      "t.sample_rate AS rate FROM film_sound h JOIN film_soundtracks t ON t.film_id = h.film_id WHERE h.film_id = ?1), "
      "per_record AS (SELECT record_id, sum(gain_samples) AS g, sum(samples) AS n, count(*) AS k, max(total) AS total, "
      "max(rate) AS rate FROM heard GROUP BY record_id) "
      "SELECT record_id, g / nullif(sum(g) OVER (), 0), g / max(total, 1), CAST(n AS REAL) / rate, k "
      "FROM per_record ORDER BY 2 DESC, record_id");
  s.bind(1, film_id);
  std::vector<SoundShareRow> out;
  while (s.step()) out.push_back({s.int64(0), s.is_null(1) ? 0.0 : s.real(1), s.real(2), s.real(3), s.int64(4)});
  return out;
}

std::vector<RecordHeard> FilmStore::record_heard(std::int64_t record_id, int limit) {
  Statement& s = db_.statement(
      "SELECT h.film_id, f.title, h.interval, h.gain, t.sample_rate, t.samples, t.interval_samples, t.fps "
      "FROM film_sound h JOIN film_soundtracks t ON t.film_id = h.film_id JOIN films f ON f.id = h.film_id "
      "WHERE h.record_id = ?1 ORDER BY h.film_id, h.gain DESC, h.interval LIMIT ?2");
  s.bind(1, record_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<RecordHeard> out;
  while (s.step()) {
    FilmSoundtrackRow t;
    t.sample_rate = static_cast<int>(s.int64(4));
    t.samples = s.int64(5);
    t.interval_samples = s.int64(6);
    t.fps = s.real(7);
    RecordHeard r;
    r.film_id = s.int64(0);
    r.film_title = s.text(1);
    r.interval = s.int64(2);
    r.gain = s.real(3);
    r.from_s = t.interval_start_s(r.interval);
    r.to_s = t.interval_end_s(r.interval);
    std::tie(r.first_frame, r.end_frame) = t.frames_of_interval(r.interval);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace palimpsest

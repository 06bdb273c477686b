#pragma once
// Films in the catalog: their planned timelines, render state, rendered frames and the
// provenance of every frame (which records made it, in which role, by how much), their
// soundtracks and the provenance of their sound (which records are heard when, at which gain),
// and the reverse view (where a record ended up, where it is heard). Obtained from
// Catalog::films(); uses the catalog's connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/catalog_rows.h"

namespace palimpsest {

class SqliteConnection;

class FilmStore {
 public:
  explicit FilmStore(SqliteConnection& db);

  std::int64_t create(std::string_view title, std::string_view manuscript,
                      const nlohmann::json& timeline, const nlohmann::json& params);
  // One film; its timeline document is read only when asked for (it can be large).
  std::optional<FilmRow> get(std::int64_t id, bool with_timeline = true);
  // The newest film planned from `manuscript` whose timeline document equals `timeline`.
  std::optional<std::int64_t> find(std::string_view manuscript, const nlohmann::json& timeline);
  // Films by id, newest first, with id < before_id when before_id > 0 (keyset pagination);
  // without their timelines.
  std::vector<FilmRow> list(std::int64_t before_id, int limit);
  // Deletes a film, its frames, provenance rows and jobs (not its files). False when unknown.
  bool remove(std::int64_t id);

  // Render state; error is kept for failed.
  void set_render(std::int64_t id, FilmStatus status, double progress, std::string_view error = {});
  void set_output(std::int64_t id, std::string_view output_dir, std::string_view video_path,
                  std::int64_t frame_count);
  void set_timeline(std::int64_t id, const nlohmann::json& timeline);

  // Stores a rendered frame, its metrics and its provenance in one transaction, replacing an
  // earlier render of the same frame. Rows of the `language` role (record id kLanguageRecord)
  // are summed into the frame's language share; the provenance reads below return it as one row
  // with record id kLanguageRecord.
  void put_frame(std::int64_t film_id, const FilmFrameRow& frame,
                 const std::vector<ProvenanceRow>& provenance);
  // Forgets every rendered frame of a film (a re-render with other settings).
  void clear_frames(std::int64_t film_id);
  std::vector<FilmFrameRow> frames(std::int64_t film_id);
  std::optional<FilmFrameRow> frame(std::int64_t film_id, std::int64_t frame);

  // A frame's provenance: pixel roles by weight (descending), then guidance.
  std::vector<ProvenanceRow> frame_provenance(std::int64_t film_id, std::int64_t frame);
  // Every rendered frame's provenance in one read, by frame, each ordered as frame_provenance.
  std::vector<std::pair<std::int64_t, std::vector<ProvenanceRow>>> all_frame_provenance(std::int64_t film_id);
  // Each record's share of the film per role, largest first (pixel roles before guidance). The
  // one place film shares are computed.
  std::vector<FilmShareRow> shares(std::int64_t film_id);
  // Each record's share of each shot per role: by shot, then as shares() orders them.
  std::vector<ShotShareRow> shot_shares(std::int64_t film_id);

  // Films and frames that a record influenced, strongest first per film (reverse provenance).
  std::vector<RecordUse> record_uses(std::int64_t record_id, int limit);

  // The soundtrack of the film's MP4 and the provenance of its sound, replacing an earlier one,
  // in one transaction. Written after the MP4 is in place, as a frame's row after its PNG.
  void put_soundtrack(const FilmSoundtrackRow& soundtrack, const std::vector<HeardRow>& heard);
  // Forgets the film's soundtrack (its MP4 was rendered without sound).
  void clear_soundtrack(std::int64_t film_id);
  std::optional<FilmSoundtrackRow> soundtrack(std::int64_t film_id);
  // What is heard in the interval holding frame `frame`'s first sample, loudest first; nullopt
  // when the film has no soundtrack.
  std::optional<SoundInterval> heard_at_frame(std::int64_t film_id, std::int64_t frame);
  // Every interval's records in one read: by interval, loudest first within one.
  std::vector<HeardRow> all_heard(std::int64_t film_id);
  // Each record's share of the film's sound, largest first. The one place sound shares are
  // computed.
  std::vector<SoundShareRow> sound_shares(std::int64_t film_id);
  // Intervals of films in which a record is heard, by film, loudest first (reverse provenance).
  std::vector<RecordHeard> record_heard(std::int64_t record_id, int limit);

 private:
  SqliteConnection& db_;
};

}  // namespace palimpsest

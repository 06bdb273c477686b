#pragma once
// Films in the catalog: their planned timelines, render state, rendered frames and the
// provenance of every frame (which records made it, in which role, by how much), and the reverse
// view (where a record ended up). Obtained from Catalog::films(); uses the catalog's connection.

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

  // Stores a rendered frame and its provenance in one transaction, replacing an earlier render
  // of the same frame.
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

 private:
  SqliteConnection& db_;
};

}  // namespace palimpsest

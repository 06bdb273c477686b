#pragma once
// The catalog: the only owner of SQL in Palimpsest. Every stage reads and writes archives,
// sources, records, thumbnails and embeddings through these typed methods.
//
// One Catalog is one SQLite connection (WAL mode, foreign keys on) and is used from one thread at
// a time; open one per thread. Opening applies the numbered migrations in schema/migrations/ and
// refuses a file whose schema is newer than this build.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/sqlite_statement.h"  // CatalogError

namespace palimpsest {

enum class RecordKind { image, frame, text, subtitle };
enum class SourceKind { image, video, text, subtitle };

std::string_view to_string(RecordKind kind);
std::string_view to_string(SourceKind kind);
std::optional<RecordKind> parse_record_kind(std::string_view name);
std::optional<SourceKind> parse_source_kind(std::string_view name);

struct ArchiveRow {
  std::int64_t id = 0;
  std::string name;
  std::string root;
  std::string created_at;
};

// One ingested file.
struct SourceRow {
  std::int64_t id = 0;
  std::int64_t archive_id = 0;
  std::string uri;  // absolute path of the file
  std::string sha256;
  SourceKind kind = SourceKind::image;
  std::int64_t size_bytes = 0;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
  std::optional<std::int64_t> linked_source_id;  // subtitle -> its video
  std::string ingested_at;
};

// One searchable unit: an image, a video frame, a text paragraph or a subtitle cue.
struct RecordRow {
  std::int64_t id = 0;
  std::int64_t archive_id = 0;
  std::int64_t source_id = 0;
  std::int64_t ordinal = 0;  // position within its source; assigned by SourceWriter
  RecordKind kind = RecordKind::image;
  std::string uri;
  std::string sha256;      // of the source file
  std::int64_t ts_ms = 0;  // start time for frames and cues; 0 for images and texts
  std::optional<std::int64_t> dur_ms;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
  std::string title;
  std::string text;
  nlohmann::json meta = nlohmann::json::object();
  std::string created_at;
};

// A lexical (FTS5 BM25) match: higher score is better (the negated bm25() of SQLite).
struct LexicalHit {
  std::int64_t record_id = 0;
  double score = 0;
};

// Restrictions shared by lexical and dense search.
struct SearchFilter {
  std::optional<std::int64_t> archive_id;
  std::optional<RecordKind> kind;
  std::optional<std::int64_t> from_ms;  // records overlapping [from_ms, to_ms]
  std::optional<std::int64_t> to_ms;
};

struct FilmRow {
  std::int64_t id = 0;
  std::string title;
  std::string manuscript;        // path of the manuscript it was planned from
  nlohmann::json timeline;       // the Timeline document (null until planned)
  nlohmann::json params = nlohmann::json::object();
  std::string status;            // planned, rendering, done, failed
  double progress = 0;
  std::string video_path;
  std::string created_at;
  std::string output_dir;   // folder of frames/, maps/, film.mp4 ("" until a render started)
  std::string error;        // why the last render failed ("" otherwise)
  std::int64_t frame_count = 0;      // frames in the timeline
  std::int64_t frames_rendered = 0;  // rows in film_frames
  std::string updated_at;
};

// One frame of a rendered film.
struct FilmFrameRow {
  std::int64_t frame = 0;
  std::int64_t shot = 0;
  bool diffused = true;  // false for a cadence in-between frame
  bool has_map = false;  // an attribution map exists (maps/NNNNNN.png)
};

// One record's share of a frame, in a role (keyframe, guidance, denoiser, init).
struct ProvenanceRow {
  std::int64_t record_id = 0;
  std::string role;
  double weight = 0;
};

// One record's share of a whole film: its weights summed over frames, divided by the frames.
struct FilmShareRow {
  std::int64_t record_id = 0;
  std::string role;
  double share = 0;
  std::int64_t frames = 0;  // frames it appears in
};

// One record's share of one shot: its weights summed over the shot's rendered frames, divided
// by them.
struct ShotShareRow {
  std::int64_t shot = 0;
  std::int64_t record_id = 0;
  std::string role;
  double share = 0;
  std::int64_t frames = 0;  // frames of the shot it appears in
};

// One frame of a film that used a record (reverse provenance).
struct RecordUse {
  std::int64_t film_id = 0;
  std::string film_title;
  std::int64_t frame = 0;
  std::string role;
  double weight = 0;
};

// A render job (POST /api/v1/films): queued -> running -> done | failed | cancelled.
struct JobRow {
  std::int64_t id = 0;
  std::int64_t film_id = 0;
  std::string state;  // queued, running, done, failed, cancelled
  double progress = 0;
  std::string error;
  nlohmann::json options = nlohmann::json::object();  // render options given with the request
  std::int64_t attempts = 0;  // times a worker claimed it (a resumed job has more than one)
  std::string owner;          // the server process running it
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::string heartbeat_at;
};

// What recover_jobs() did to one stale job.
struct RecoveredJob {
  std::int64_t job_id = 0;
  std::int64_t film_id = 0;
  bool requeued = false;  // false: failed (too many attempts)
};

// An embedding model known to the catalog; vectors are stored per (record, model).
struct ModelRow {
  std::int64_t id = 0;
  std::string name;
  int dim = 0;
  std::string weights_sha256;
};

struct RecordFilter {
  std::optional<std::int64_t> archive_id;
  std::optional<RecordKind> kind;
  std::optional<std::int64_t> source_id;
  std::int64_t after_id = 0;  // keyset pagination: records with id > after_id
  int limit = 100;
};

class Catalog {
 public:
  // Opens or creates the catalog at `path` and applies pending migrations.
  // Throws CatalogError (unreadable file, not a database, schema newer than this build).
  explicit Catalog(const std::filesystem::path& path);
  ~Catalog();
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;

  static int code_schema_version();
  int schema_version();
  const std::filesystem::path& path() const;

  // Archives.
  std::int64_t ensure_archive(std::string_view name, std::string_view root);
  std::optional<ArchiveRow> find_archive(std::string_view name);
  std::vector<ArchiveRow> archives();

  // Sources.
  std::optional<SourceRow> find_source(std::int64_t archive_id, std::string_view uri);
  std::optional<SourceRow> source(std::int64_t id);
  std::vector<SourceRow> sources(std::int64_t archive_id);
  void set_source_link(std::int64_t source_id, std::optional<std::int64_t> linked_source_id);

  // Replaces a source and all of its records atomically. Records and thumbnails are streamed in
  // (bounded memory for long videos); nothing is visible to readers until commit(). Destroying an
  // uncommitted writer rolls everything back, so a crash mid-file leaves the previous version.
  class SourceWriter {
   public:
    ~SourceWriter();
    SourceWriter(SourceWriter&&) noexcept;
    SourceWriter(const SourceWriter&) = delete;
    SourceWriter& operator=(const SourceWriter&) = delete;

    std::int64_t source_id() const { return source_id_; }
    // Adds a record of this source; archive, source, uri and sha256 are filled in.
    std::int64_t add_record(RecordRow record, std::string_view thumbnail_jpeg = {});
    // Completes a record whose extent is known only later (a shot's keyframe: its duration).
    void finish_record(std::int64_t record_id, std::optional<std::int64_t> dur_ms,
                       const nlohmann::json& meta);
    // Video/image facts known only after decoding.
    void set_media_info(std::optional<std::int64_t> duration_ms, std::optional<std::int64_t> width,
                        std::optional<std::int64_t> height);
    void commit();

   private:
    friend class Catalog;
    SourceWriter(Catalog* catalog, SourceRow source);
    Catalog* catalog_;
    SourceRow source_;
    std::int64_t source_id_ = 0;
    std::int64_t next_ordinal_ = 0;
    bool open_ = false;
  };
  SourceWriter replace_source(SourceRow source);

  // Deletes a source and its records. Returns false when it did not exist.
  bool delete_source(std::int64_t source_id);

  // Records.
  std::optional<RecordRow> record(std::int64_t id);
  std::vector<RecordRow> records(const RecordFilter& filter);
  std::optional<std::string> thumbnail(std::int64_t record_id);
  std::int64_t count_records(std::optional<RecordKind> kind = std::nullopt);
  std::map<std::string, std::int64_t> count_records_by_kind();
  std::int64_t count_sources();

  // Full-text search over titles, texts and metadata, best first. The query is plain words
  // (FTS5 syntax in it is treated as text); records matching any word are found, BM25 ranks them.
  std::vector<LexicalHit> lexical_search(std::string_view query, const SearchFilter& filter, int limit);
  // Whether a record passes a filter (used to filter dense candidates).
  bool record_matches(const RecordRow& record, const SearchFilter& filter) const;

  // Films.
  std::int64_t create_film(std::string_view title, std::string_view manuscript,
                           const nlohmann::json& timeline, const nlohmann::json& params);
  std::optional<FilmRow> film(std::int64_t id);
  // The newest film planned from `manuscript` whose timeline document equals `timeline`.
  std::optional<std::int64_t> find_film(std::string_view manuscript, const nlohmann::json& timeline);
  // Films by id, newest first, with id < before_id when before_id > 0 (keyset pagination).
  std::vector<FilmRow> films(std::int64_t before_id, int limit);
  // Deletes a film, its frames and provenance rows (not its files). False when unknown.
  bool delete_film(std::int64_t id);
  // Render state. Status is one of planned, rendering, done, failed; error is kept for failed.
  void set_film_render(std::int64_t id, std::string_view status, double progress,
                       std::string_view error = {});
  void set_film_output(std::int64_t id, std::string_view output_dir, std::string_view video_path,
                       std::int64_t frame_count);
  void set_film_timeline(std::int64_t id, const nlohmann::json& timeline);
  // Stores a rendered frame and its provenance in one transaction, replacing an earlier render
  // of the same frame.
  void put_film_frame(std::int64_t film_id, const FilmFrameRow& frame,
                      const std::vector<ProvenanceRow>& provenance);
  // Forgets every rendered frame of a film (a re-render with other settings).
  void clear_film_frames(std::int64_t film_id);
  std::vector<FilmFrameRow> film_frames(std::int64_t film_id);
  std::optional<FilmFrameRow> film_frame(std::int64_t film_id, std::int64_t frame);
  // A frame's provenance: pixel roles by weight (descending), then guidance.
  std::vector<ProvenanceRow> frame_provenance(std::int64_t film_id, std::int64_t frame);
  // Each record's share of the film per role, largest first.
  std::vector<FilmShareRow> film_shares(std::int64_t film_id);
  // Each record's share of each shot per role: by shot, then as film_shares orders them.
  std::vector<ShotShareRow> film_shot_shares(std::int64_t film_id);

  // Films and frames that a record influenced, strongest first per film (reverse provenance).
  std::vector<RecordUse> record_uses(std::int64_t record_id, int limit);

  // Render jobs (schema/catalog_jobs.cpp). Several server processes may share a catalog: a job
  // is claimed atomically, and a running job is only taken over once its heartbeat is stale.
  std::int64_t create_job(std::int64_t film_id, const nlohmann::json& options);
  std::optional<JobRow> job(std::int64_t id);
  // The newest job of a film, if any.
  std::optional<JobRow> latest_job(std::int64_t film_id);
  // Oldest queued job -> running for `owner` (attempts + 1, heartbeat now); nullopt when none.
  std::optional<JobRow> claim_job(std::string_view owner);
  // Progress in [0, 1] and heartbeat; false when the job is no longer running for `owner`
  // (cancelled, taken over, or deleted with its film).
  bool touch_job(std::int64_t id, std::string_view owner, double progress);
  // running -> done | failed | cancelled | queued (a graceful stop hands it back). False when the
  // job was not running for `owner`.
  bool finish_job(std::int64_t id, std::string_view owner, std::string_view state,
                  std::string_view error = {});
  // Queued and running jobs of a film -> cancelled. Returns how many.
  int cancel_jobs(std::int64_t film_id, std::string_view reason);
  // Running jobs whose heartbeat is older than `stale_after_s` (their process died): queued
  // again while attempts < max_attempts, else failed with the reason (the film too).
  std::vector<RecoveredJob> recover_jobs(double stale_after_s, int max_attempts);
  std::int64_t count_jobs(std::string_view state);

  // Embedding models and vectors. The embeddings table is the source of truth; vector indexes
  // are caches rebuilt from it.
  std::int64_t ensure_model(std::string_view name, int dim, std::string_view weights_sha256);
  std::optional<ModelRow> model(std::int64_t id);
  std::optional<ModelRow> find_model(std::string_view name, std::string_view weights_sha256);
  std::vector<ModelRow> models();
  // Inserts or replaces; `vector` must have the model's dimension.
  void put_embedding(std::int64_t record_id, std::int64_t model_id, const std::vector<float>& vector);
  std::optional<std::vector<float>> embedding(std::int64_t record_id, std::int64_t model_id);
  std::int64_t count_embeddings(std::int64_t model_id);
  // Streams every vector of a model in record-id order (bounded memory), starting after
  // `after_record_id`; stop early by returning false from `visit`.
  void for_each_embedding(std::int64_t model_id,
                          const std::function<bool(std::int64_t record_id, const float* vector, int dim)>& visit,
                          std::int64_t after_record_id = 0);
  // Records (of the given kinds; all when empty) that have no vector for the model yet, in id order.
  std::vector<RecordRow> records_without_embedding(std::int64_t model_id,
                                                   const std::vector<RecordKind>& kinds, int limit,
                                                   std::int64_t after_id = 0);
  // Runs `work` in one transaction (commit on return, rollback on exception).
  void transaction(const std::function<void()>& work);

  // Small key/value state that moves with catalog transactions.
  std::optional<std::string> state(std::string_view key);
  void set_state(std::string_view key, std::string_view value);

  // SQLite's own consistency checks; returns "ok" when the database is sound.
  std::string integrity_check();

 private:
  struct Impl;
  Statement& statement(std::string_view sql);
  void exec(std::string_view sql);
  std::int64_t last_insert_id();
  int changes();  // rows changed by the last statement
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest

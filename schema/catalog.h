#pragma once
// The catalog: the only owner of SQL in Palimpsest. Every stage reads and writes archives,
// sources, records and thumbnails through these typed methods; films (film_store.h), render jobs
// (job_queue.h), embeddings (embedding_store.h) and ingest's work claims (work_claims.h) through the
// stores it hands out.
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

#include "schema/catalog_error.h"
#include "schema/catalog_rows.h"

namespace palimpsest {

class SqliteConnection;
class FilmStore;
class JobQueue;
class EmbeddingStore;
class WorkClaims;

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

  // Films, their frames and provenance; render jobs; embedding models and vectors. Each store
  // uses this catalog's connection (and so its thread) and lives as long as the catalog.
  FilmStore& films();
  JobQueue& jobs();
  EmbeddingStore& embeddings();
  WorkClaims& claims();

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
    SourceWriter(SqliteConnection* db, SourceRow source);
    SqliteConnection* db_;
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
  // (FTS5 syntax in it is treated as text); records matching any word are found (or, with
  // LexicalMatch::all_words, only those whose own title or text holds every word), BM25 ranks them.
  std::vector<LexicalHit> lexical_search(std::string_view query, const SearchFilter& filter, int limit,
                                         LexicalMatch match = LexicalMatch::any_word);
  // Every record's id and kind, in id order (what modality-aware dense search filters by: one
  // read for all records instead of one per candidate).
  std::vector<std::pair<std::int64_t, RecordKind>> record_kinds();
  // Whether a record passes a filter (used to filter dense candidates).
  bool record_matches(const RecordRow& record, const SearchFilter& filter) const;

  // Runs `work` in one transaction (commit on return, rollback on exception).
  void transaction(const std::function<void()>& work);

  // Small key/value state that moves with catalog transactions.
  std::optional<std::string> state(std::string_view key);
  void set_state(std::string_view key, std::string_view value);

  // SQLite's own consistency checks; returns "ok" when the database is sound.
  std::string integrity_check();

 private:
  std::unique_ptr<SqliteConnection> db_;
  std::unique_ptr<FilmStore> films_;
  std::unique_ptr<JobQueue> jobs_;
  std::unique_ptr<EmbeddingStore> embeddings_;
  std::unique_ptr<WorkClaims> claims_;
};

}  // namespace palimpsest

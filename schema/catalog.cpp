#include "schema/catalog.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include "schema/embedded_file.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "schema/record_sql.h"
#include "schema/sqlite_connection.h"

namespace palimpsest {
namespace {

// Migration files are named NNNN_description.sql; NNNN is the schema version they produce.
int migration_version(std::string_view name) {
  int version = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
  if (ec != std::errc() || ptr == name.data()) {
    throw CatalogError("migration file name must start with its version number: " +
                       std::string(name));
  }
  return version;
}

constexpr std::string_view kSourceColumns =
    "id, archive_id, uri, sha256, kind, size_bytes, duration_ms, width, height, linked_source_id, "
    "ingested_at";

SourceRow read_source(const Statement& s) {
  SourceRow r;
  r.id = s.int64(0);
  r.archive_id = s.int64(1);
  r.uri = s.text(2);
  r.sha256 = s.text(3);
  r.kind = parse_source_kind(s.text(4)).value_or(SourceKind::image);
  r.size_bytes = s.int64(5);
  r.duration_ms = s.optional_int64(6);
  r.width = s.optional_int64(7);
  r.height = s.optional_int64(8);
  r.linked_source_id = s.optional_int64(9);
  r.ingested_at = s.text(10);
  return r;
}

}  // namespace

RecordRow read_record(const Statement& s) {
  RecordRow r;
  r.id = s.int64(0);
  r.archive_id = s.int64(1);
  r.source_id = s.int64(2);
  r.ordinal = s.int64(3);
  r.kind = parse_record_kind(s.text(4)).value_or(RecordKind::image);
  r.uri = s.text(5);
  r.sha256 = s.text(6);
  r.ts_ms = s.int64(7);
  r.dur_ms = s.optional_int64(8);
  r.width = s.optional_int64(9);
  r.height = s.optional_int64(10);
  r.title = s.text(11);
  r.text = s.text(12);
  r.meta = nlohmann::json::parse(s.text(13), nullptr, /*allow_exceptions=*/false);
  if (r.meta.is_discarded()) r.meta = nlohmann::json::object();
  r.created_at = s.text(14);
  return r;
}

Catalog::Catalog(const std::filesystem::path& path)
    : db_(std::make_unique<SqliteConnection>(path)),
      films_(std::make_unique<FilmStore>(*db_)),
      jobs_(std::make_unique<JobQueue>(*db_)),
      embeddings_(std::make_unique<EmbeddingStore>(*db_)) {
  const int current = schema_version();
  const int latest = code_schema_version();
  if (current > latest) {
    throw CatalogError("catalog " + path.string() + " has schema version " +
                       std::to_string(current) + ", newer than this build supports (" +
                       std::to_string(latest) + "); use a newer palimpsest");
  }
  for (const auto& migration : embedded_migrations()) {
    const int version = migration_version(migration.name);
    if (version <= current) continue;
    try {
      db_->transaction([&] {
        // Another process may have migrated while we waited for the write lock.
        if (schema_version() < version) {
          db_->exec(migration.content);
          // A migration that edits stored table definitions (PRAGMA writable_schema, see
          // 0004_records_that_speak.sql) must bump the schema cookie so that every connection,
          // this one included, parses the tables again.
          if (migration.content.find("writable_schema") != std::string_view::npos) {
            Statement& cookie = db_->statement("PRAGMA schema_version");
            cookie.step();
            const std::int64_t next = cookie.int64(0) + 1;
            cookie.reset();
            db_->exec("PRAGMA schema_version=" + std::to_string(next));
          }
          db_->exec("PRAGMA user_version=" + std::to_string(version));
        }
      });
    } catch (const CatalogError& e) {
      throw CatalogError("migration " + std::string(migration.name) + " failed on " +
                         path.string() + ": " + e.what());
    }
  }
}

Catalog::~Catalog() = default;
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;

int Catalog::code_schema_version() {
  int latest = 0;
  for (const auto& migration : embedded_migrations())
    latest = std::max(latest, migration_version(migration.name));
  return latest;
}

int Catalog::schema_version() {
  Statement& s = db_->statement("PRAGMA user_version");
  s.reset();
  s.step();
  int version = static_cast<int>(s.int64(0));
  s.reset();
  return version;
}

const std::filesystem::path& Catalog::path() const { return db_->path(); }

FilmStore& Catalog::films() { return *films_; }
JobQueue& Catalog::jobs() { return *jobs_; }
EmbeddingStore& Catalog::embeddings() { return *embeddings_; }

void Catalog::transaction(const std::function<void()>& work) { db_->transaction(work); }

// ---- archives ----

std::int64_t Catalog::ensure_archive(std::string_view name, std::string_view root) {
  Statement& insert =
      db_->statement("INSERT INTO archives(name, root) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING");
  insert.bind(1, name).bind(2, root).run();
  Statement& select = db_->statement("SELECT id FROM archives WHERE name = ?1");
  select.bind(1, name);
  if (!select.step()) throw CatalogError("archive vanished: " + std::string(name));
  return select.int64(0);
}

std::optional<ArchiveRow> Catalog::find_archive(std::string_view name) {
  Statement& s = db_->statement("SELECT id, name, root, created_at FROM archives WHERE name = ?1");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return ArchiveRow{s.int64(0), s.text(1), s.text(2), s.text(3)};
}

std::vector<ArchiveRow> Catalog::archives() {
  Statement& s = db_->statement("SELECT id, name, root, created_at FROM archives ORDER BY id");
  std::vector<ArchiveRow> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3)});
  return out;
}

// ---- sources ----

std::optional<SourceRow> Catalog::find_source(std::int64_t archive_id, std::string_view uri) {
  static const std::string sql = "SELECT " + std::string(kSourceColumns) +
                                 " FROM sources WHERE archive_id = ?1 AND uri = ?2";
  Statement& s = db_->statement(sql);
  s.bind(1, archive_id).bind(2, uri);
  if (!s.step()) return std::nullopt;
  return read_source(s);
}

std::optional<SourceRow> Catalog::source(std::int64_t id) {
  static const std::string sql =
      "SELECT " + std::string(kSourceColumns) + " FROM sources WHERE id = ?1";
  Statement& s = db_->statement(sql);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_source(s);
}

std::vector<SourceRow> Catalog::sources(std::int64_t archive_id) {
  static const std::string sql =
      "SELECT " + std::string(kSourceColumns) + " FROM sources WHERE archive_id = ?1 ORDER BY id";
  Statement& s = db_->statement(sql);
  s.bind(1, archive_id);
  std::vector<SourceRow> out;
  while (s.step()) out.push_back(read_source(s));
  return out;
}

void Catalog::set_source_link(std::int64_t source_id, std::optional<std::int64_t> linked) {
  db_->statement("UPDATE sources SET linked_source_id = ?2 WHERE id = ?1")
      .bind(1, source_id)
      .bind(2, linked)
      .run();
}

bool Catalog::delete_source(std::int64_t source_id) {
  db_->statement("DELETE FROM sources WHERE id = ?1").bind(1, source_id).run();
  return db_->changes() > 0;
}

namespace {
// Fault injection for crash tests, in the spirit of SQLite's: with PALIMPSEST_CRASH_AT_RECORD=N
// in the environment the process kills itself (SIGKILL, as `kill -9` would) just before writing
// its N-th record, in the middle of an open transaction.
void crash_point_before_record() {
  static const long long crash_at = [] {
    const char* v = std::getenv("PALIMPSEST_CRASH_AT_RECORD");
    return v ? std::atoll(v) : 0LL;
  }();
  static long long written = 0;
  if (crash_at > 0 && ++written >= crash_at) ::kill(::getpid(), SIGKILL);
}
}  // namespace

Catalog::SourceWriter Catalog::replace_source(SourceRow source) {
  return SourceWriter(db_.get(), std::move(source));
}

Catalog::SourceWriter::SourceWriter(SqliteConnection* db, SourceRow source)
    : db_(db), source_(std::move(source)) {
  db_->exec("BEGIN IMMEDIATE");
  open_ = true;
  // Deleting the old source cascades to its records, thumbnails, embeddings and provenance.
  db_->statement("DELETE FROM sources WHERE archive_id = ?1 AND uri = ?2")
      .bind(1, source_.archive_id)
      .bind(2, source_.uri)
      .run();
  db_->statement(
               "INSERT INTO sources(archive_id, uri, sha256, kind, size_bytes, duration_ms, width, "
               "height) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, source_.archive_id)
      .bind(2, source_.uri)
      .bind(3, source_.sha256)
      .bind(4, to_string(source_.kind))
      .bind(5, source_.size_bytes)
      .bind(6, source_.duration_ms)
      .bind(7, source_.width)
      .bind(8, source_.height)
      .run();
  source_id_ = db_->last_insert_id();
}

Catalog::SourceWriter::SourceWriter(SourceWriter&& other) noexcept
    : db_(other.db_),
      source_(std::move(other.source_)),
      source_id_(other.source_id_),
      next_ordinal_(other.next_ordinal_),
      open_(other.open_) {
  other.open_ = false;
}

Catalog::SourceWriter::~SourceWriter() {
  if (open_) {
    try {
      db_->exec("ROLLBACK");
    } catch (...) {
      // The connection is closing or already rolled back; nothing else to undo.
    }
  }
}

std::int64_t Catalog::SourceWriter::add_record(RecordRow r, std::string_view thumbnail_jpeg) {
  if (!open_) throw CatalogError("add_record on a finished source writer");
  crash_point_before_record();
  Statement& s = db_->statement(
      "INSERT INTO records(archive_id, source_id, ordinal, kind, uri, sha256, ts_ms, dur_ms, width, "
      "height, title, text, meta) VALUES (?1, ?2, ?13, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  s.bind(1, source_.archive_id)
      .bind(2, source_id_)
      .bind(13, next_ordinal_++)
      .bind(3, to_string(r.kind))
      .bind(4, source_.uri)
      .bind(5, source_.sha256)
      .bind(6, r.ts_ms)
      .bind(7, r.dur_ms)
      .bind(8, r.width)
      .bind(9, r.height)
      .bind(10, r.title)
      .bind(11, r.text)
      .bind(12, r.meta.dump())
      .run();
  const std::int64_t id = db_->last_insert_id();
  if (!thumbnail_jpeg.empty()) {
    db_->statement("INSERT INTO thumbnails(record_id, jpeg) VALUES (?1, ?2)")
        .bind(1, id)
        .bind_blob(2, thumbnail_jpeg)
        .run();
  }
  return id;
}

void Catalog::SourceWriter::finish_record(std::int64_t record_id, std::optional<std::int64_t> dur_ms,
                                          const nlohmann::json& meta) {
  if (!open_) throw CatalogError("finish_record on a finished source writer");
  db_->statement("UPDATE records SET dur_ms = ?2, meta = ?3 WHERE id = ?1 AND source_id = ?4")
      .bind(1, record_id)
      .bind(2, dur_ms)
      .bind(3, meta.dump())
      .bind(4, source_id_)
      .run();
}

void Catalog::SourceWriter::set_media_info(std::optional<std::int64_t> duration_ms,
                                           std::optional<std::int64_t> width,
                                           std::optional<std::int64_t> height) {
  db_->statement("UPDATE sources SET duration_ms = ?2, width = ?3, height = ?4 WHERE id = ?1")
      .bind(1, source_id_)
      .bind(2, duration_ms)
      .bind(3, width)
      .bind(4, height)
      .run();
}

void Catalog::SourceWriter::commit() {
  if (!open_) throw CatalogError("commit on a finished source writer");
  db_->exec("COMMIT");
  open_ = false;
}

// ---- records ----

std::optional<RecordRow> Catalog::record(std::int64_t id) {
  static const std::string sql =
      "SELECT " + std::string(kRecordColumns) + " FROM records WHERE id = ?1";
  Statement& s = db_->statement(sql);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_record(s);
}

std::vector<RecordRow> Catalog::records(const RecordFilter& filter) {
  static const std::string sql = "SELECT " + std::string(kRecordColumns) +
                                 " FROM records WHERE id > ?1"
                                 " AND (?2 IS NULL OR archive_id = ?2)"
                                 " AND (?3 IS NULL OR kind = ?3)"
                                 " AND (?4 IS NULL OR source_id = ?4)"
                                 " ORDER BY id LIMIT ?5";
  Statement& s = db_->statement(sql);
  s.bind(1, filter.after_id).bind(2, filter.archive_id).bind(4, filter.source_id);
  if (filter.kind) s.bind(3, to_string(*filter.kind));
  s.bind(5, static_cast<std::int64_t>(filter.limit));
  std::vector<RecordRow> out;
  while (s.step()) out.push_back(read_record(s));
  return out;
}

std::optional<std::string> Catalog::thumbnail(std::int64_t record_id) {
  Statement& s = db_->statement("SELECT jpeg FROM thumbnails WHERE record_id = ?1");
  s.bind(1, record_id);
  if (!s.step()) return std::nullopt;
  return s.blob(0);
}

std::int64_t Catalog::count_records(std::optional<RecordKind> kind) {
  Statement& s = db_->statement("SELECT count(*) FROM records WHERE ?1 IS NULL OR kind = ?1");
  if (kind) s.bind(1, to_string(*kind));
  s.step();
  return s.int64(0);
}

std::map<std::string, std::int64_t> Catalog::count_records_by_kind() {
  Statement& s = db_->statement("SELECT kind, count(*) FROM records GROUP BY kind");
  std::map<std::string, std::int64_t> out;
  while (s.step()) out[s.text(0)] = s.int64(1);
  return out;
}

std::int64_t Catalog::count_sources() {
  Statement& s = db_->statement("SELECT count(*) FROM sources");
  s.step();
  return s.int64(0);
}

// ---- state ----

std::optional<std::string> Catalog::state(std::string_view key) {
  Statement& s = db_->statement("SELECT value FROM catalog_state WHERE key = ?1");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void Catalog::set_state(std::string_view key, std::string_view value) {
  db_->statement(
      "INSERT INTO catalog_state(key, value) VALUES (?1, ?2) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

std::string Catalog::integrity_check() {
  std::string result;
  for (std::string_view sql : {"PRAGMA integrity_check", "PRAGMA foreign_key_check"}) {
    Statement& s = db_->statement(sql);
    while (s.step()) {
      std::string line = s.text(0);
      if (sql == "PRAGMA foreign_key_check") line = "foreign key violation in " + line;
      if (line != "ok") result += (result.empty() ? "" : "; ") + line;
    }
  }
  try {
    // FTS5's own check that the lexical index matches the records it was built from.
    db_->exec("INSERT INTO records_fts(records_fts, rank) VALUES ('integrity-check', 1)");
  } catch (const CatalogError& e) {
    result += (result.empty() ? "" : "; ") + std::string("records_fts: ") + e.what();
  }
  return result.empty() ? "ok" : result;
}

}  // namespace palimpsest

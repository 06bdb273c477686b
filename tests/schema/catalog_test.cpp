#include "schema/catalog.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "tests/common/test_support.h"
#include "schema/embedded_file.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"

namespace palimpsest {
namespace {

SourceRow make_source(std::int64_t archive, const std::string& uri, const std::string& sha) {
  SourceRow s;
  s.archive_id = archive;
  s.uri = uri;
  s.sha256 = sha;
  s.kind = SourceKind::text;
  s.size_bytes = 10;
  return s;
}

RecordRow text_record(const std::string& text) {
  RecordRow r;
  r.kind = RecordKind::text;
  r.text = text;
  r.title = "t";
  return r;
}

TEST(Catalog, FreshCatalogIsMigratedToTheLatestVersionInWalMode) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  EXPECT_EQ(catalog.schema_version(), Catalog::code_schema_version());
  EXPECT_GE(Catalog::code_schema_version(), 1);
  EXPECT_EQ(catalog.integrity_check(), "ok");
  // WAL leaves its -wal file next to the database while open.
  catalog.ensure_archive("a", "/");
  EXPECT_TRUE(std::filesystem::exists(dir / "c.db-wal"));
}

TEST(Catalog, ReopeningAppliesNothingTwiceAndKeepsData) {
  testing::TempDir dir;
  {
    Catalog catalog(dir / "c.db");
    catalog.ensure_archive("films", "/x");
  }
  Catalog again(dir / "c.db");
  ASSERT_TRUE(again.find_archive("films"));
  EXPECT_EQ(again.archives().size(), 1u);
}

TEST(Catalog, RefusesACatalogNewerThanTheCode) {
  testing::TempDir dir;
  { Catalog catalog(dir / "c.db"); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "c.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version=9999", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    Catalog catalog(dir / "c.db");
    FAIL() << "opened a catalog from the future";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this build"), std::string::npos) << e.what();
  }
}

// A catalog made by an earlier build (schema 3, with records, thumbnails, an embedding and a film
// frame's provenance) takes the new kinds and roles of migration 0004 without losing a row, and a
// connection that was open during the migration sees them too.
TEST(Catalog, AnEarlierCatalogTakesTheNewKindsAndRolesAndKeepsItsRows) {
  testing::TempDir dir;
  const std::string path = (dir / "c.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto run = [&](const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in " << sql.substr(0, 80);
    sqlite3_free(error);
  };
  run("PRAGMA foreign_keys=ON");
  for (const auto& migration : embedded_migrations())
    if (std::string(migration.name) < "0004") run(std::string(migration.content));
  run("PRAGMA user_version=3");
  run("INSERT INTO archives(name, root) VALUES ('a', '/')");
  run("INSERT INTO sources(archive_id, uri, sha256, kind, size_bytes) VALUES (1, '/x.png', 'h', 'image', 1)");
  run("INSERT INTO records(archive_id, source_id, ordinal, kind, uri, sha256, title) VALUES (1, 1, 0, 'image', '/x.png', 'h', 'old')");
  run("INSERT INTO thumbnails(record_id, jpeg) VALUES (1, 'JPEG')");
  run("INSERT INTO films(title) VALUES ('f')");
  run("INSERT INTO film_frames(film_id, frame, shot) VALUES (1, 0, 0)");
  run("INSERT INTO provenance(film_id, frame, record_id, role, weight) VALUES (1, 0, 1, 'keyframe', 1.0)");
  // An audio record is refused by the old constraint.
  EXPECT_NE(sqlite3_exec(db, "INSERT INTO records(archive_id, source_id, ordinal, kind, uri, sha256) "
                             "VALUES (1, 1, 1, 'audio', '/x.png', 'h')", nullptr, nullptr, nullptr), SQLITE_OK);
  Catalog before_migration_reader(dir / "c.db");  // migrates; `db` stays open meanwhile
  {
    Catalog catalog(dir / "c.db");
    EXPECT_EQ(catalog.schema_version(), Catalog::code_schema_version());
    EXPECT_EQ(catalog.record(1)->title, "old");
    EXPECT_EQ(catalog.thumbnail(1).value_or(""), "JPEG");
    EXPECT_EQ(catalog.films().frame_provenance(1, 0).size(), 1u);
    SourceRow source;
    source.archive_id = 1;
    source.uri = "/talk.wav";
    source.sha256 = "s";
    source.kind = SourceKind::audio;
    auto writer = catalog.replace_source(source);
    for (RecordKind kind : {RecordKind::audio, RecordKind::speech, RecordKind::ocr}) {
      RecordRow r;
      r.kind = kind;
      writer.add_record(r);
    }
    writer.commit();
    catalog.films().put_frame(1, {0, 0, true, false},
                              {{1, ProvenanceRole::borrowed, 0.5}, {1, ProvenanceRole::denoiser, 0.5}});
    EXPECT_EQ(catalog.count_records(RecordKind::speech), 1);
    EXPECT_EQ(catalog.integrity_check(), "ok");
  }
  // The old raw connection, open across the migration, sees the new constraint too.
  run("INSERT INTO records(archive_id, source_id, ordinal, kind, uri, sha256) VALUES (1, 1, 9, 'ocr', '/x.png', 'h')");
  EXPECT_EQ(before_migration_reader.count_records(RecordKind::ocr), 2);
  // Unknown kinds and roles are still refused.
  EXPECT_NE(sqlite3_exec(db, "INSERT INTO records(archive_id, source_id, ordinal, kind, uri, sha256) "
                             "VALUES (1, 1, 10, 'hologram', '/x.png', 'h')", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(Catalog, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  testing::write_file(dir / "c.db", std::string(4096, 'x'));
  EXPECT_THROW(Catalog(dir / "c.db"), CatalogError);
}

TEST(Catalog, ForeignKeysAreEnforced) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  // A source of a missing archive must be refused.
  EXPECT_THROW(catalog.replace_source(make_source(42, "/a.txt", "h")).commit(), CatalogError);
  EXPECT_EQ(catalog.count_sources(), 0);
}

TEST(Catalog, SourceWriterCommitsRecordsTogether) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto archive = catalog.ensure_archive("a", "/");
  auto writer = catalog.replace_source(make_source(archive, "/doc.txt", "h1"));
  writer.add_record(text_record("first paragraph"), "JPEGDATA");
  writer.add_record(text_record("second paragraph"));
  writer.commit();
  auto rows = catalog.records({});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].uri, "/doc.txt");
  EXPECT_EQ(rows[0].sha256, "h1");
  EXPECT_EQ(rows[0].ordinal, 0);
  EXPECT_EQ(rows[1].ordinal, 1);
  EXPECT_EQ(catalog.thumbnail(rows[0].id).value_or(""), "JPEGDATA");
  EXPECT_FALSE(catalog.thumbnail(rows[1].id));
}

TEST(Catalog, UncommittedWriterRollsBackAndKeepsThePreviousVersion) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto archive = catalog.ensure_archive("a", "/");
  {
    auto writer = catalog.replace_source(make_source(archive, "/doc.txt", "v1"));
    writer.add_record(text_record("old"));
    writer.commit();
  }
  {
    auto writer = catalog.replace_source(make_source(archive, "/doc.txt", "v2"));
    writer.add_record(text_record("new"));
    // destroyed without commit: as if the process failed mid-file
  }
  auto rows = catalog.records({});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text, "old");
  EXPECT_EQ(catalog.find_source(archive, "/doc.txt")->sha256, "v1");
}

TEST(Catalog, ReplacingASourceReplacesItsRecordsAndThumbnails) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto archive = catalog.ensure_archive("a", "/");
  std::int64_t old_id;
  {
    auto writer = catalog.replace_source(make_source(archive, "/doc.txt", "v1"));
    old_id = writer.add_record(text_record("old one"), "T1");
    writer.add_record(text_record("old two"));
    writer.commit();
  }
  {
    auto writer = catalog.replace_source(make_source(archive, "/doc.txt", "v2"));
    writer.add_record(text_record("new"));
    writer.commit();
  }
  EXPECT_EQ(catalog.count_records(), 1);
  EXPECT_FALSE(catalog.record(old_id));
  EXPECT_FALSE(catalog.thumbnail(old_id));
  EXPECT_EQ(catalog.count_sources(), 1);
  EXPECT_EQ(catalog.integrity_check(), "ok");
}

TEST(Catalog, RecordFiltersAndKeysetPagination) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto a = catalog.ensure_archive("a", "/");
  const auto b = catalog.ensure_archive("b", "/");
  for (auto [archive, uri] : {std::pair{a, "/1.txt"}, std::pair{b, "/2.txt"}}) {
    auto writer = catalog.replace_source(make_source(archive, uri, "h"));
    for (int i = 0; i < 5; ++i) writer.add_record(text_record("p" + std::to_string(i)));
    RecordRow frame;
    frame.kind = RecordKind::frame;
    frame.ts_ms = 1000;
    writer.add_record(frame);
    writer.commit();
  }
  RecordFilter filter;
  filter.archive_id = b;
  filter.kind = RecordKind::text;
  filter.limit = 3;
  auto page1 = catalog.records(filter);
  ASSERT_EQ(page1.size(), 3u);
  filter.after_id = page1.back().id;
  auto page2 = catalog.records(filter);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_GT(page2.front().id, page1.back().id);
  for (const auto& r : page2) {
    EXPECT_EQ(r.archive_id, b);
    EXPECT_EQ(r.kind, RecordKind::text);
  }
  EXPECT_EQ(catalog.count_records(RecordKind::frame), 2);
  EXPECT_EQ(catalog.count_records_by_kind().at("text"), 10);
}

TEST(Catalog, FinishRecordCompletesDurationAndMeta) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto a = catalog.ensure_archive("a", "/");
  auto writer = catalog.replace_source(make_source(a, "/v.mp4", "h"));
  RecordRow frame;
  frame.kind = RecordKind::frame;
  const auto id = writer.add_record(frame);
  writer.finish_record(id, 2500, {{"shot", 3}});
  writer.commit();
  auto r = catalog.record(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dur_ms.value_or(0), 2500);
  EXPECT_EQ(r->meta.at("shot"), 3);
}

TEST(Catalog, StateIsAKeyValueStore) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  EXPECT_FALSE(catalog.state("generation"));
  catalog.set_state("generation", "1");
  catalog.set_state("generation", "2");
  EXPECT_EQ(catalog.state("generation").value_or(""), "2");
}

TEST(Catalog, SourceLinks) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto a = catalog.ensure_archive("a", "/");
  auto w1 = catalog.replace_source(make_source(a, "/v.mp4", "h"));
  const auto video = w1.source_id();
  w1.commit();
  auto w2 = catalog.replace_source(make_source(a, "/v.srt", "h"));
  const auto subs = w2.source_id();
  w2.commit();
  catalog.set_source_link(subs, video);
  EXPECT_EQ(catalog.source(subs)->linked_source_id.value_or(0), video);
  // Deleting the video unlinks rather than deleting the subtitles.
  EXPECT_TRUE(catalog.delete_source(video));
  ASSERT_TRUE(catalog.source(subs));
  EXPECT_FALSE(catalog.source(subs)->linked_source_id);
}

TEST(Catalog, LexicalIndexFollowsRecords) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto a = catalog.ensure_archive("a", "/");
  {
    auto w = catalog.replace_source(make_source(a, "/d.txt", "v1"));
    w.add_record(text_record("a lighthouse over the harbour"));
    w.commit();
  }
  {
    auto w = catalog.replace_source(make_source(a, "/d.txt", "v2"));
    w.add_record(text_record("a desert at noon"));
    w.commit();
  }
  // FTS5 integrity: the external-content index matches the records table.
  EXPECT_EQ(catalog.integrity_check(), "ok");
}

}  // namespace
}  // namespace palimpsest

namespace palimpsest {
namespace {

TEST(Catalog, ALongLivedConnectionSeesOtherConnectionsCommits) {
  testing::TempDir dir;
  Catalog reader(dir / "c.db");
  const auto a = reader.ensure_archive("a", "/");
  EXPECT_FALSE(reader.find_source(a, "/x.txt"));
  ASSERT_TRUE(reader.find_archive("a"));  // leaves a statement on its row
  {
    Catalog writer(dir / "c.db");
    SourceRow s;
    s.archive_id = a;
    s.uri = "/x.txt";
    s.sha256 = "h";
    auto w = writer.replace_source(s);
    w.commit();
  }
  EXPECT_TRUE(reader.find_source(a, "/x.txt"));
}

TEST(Catalog, EmbeddingsRoundTripAndStream) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const auto a = catalog.ensure_archive("a", "/");
  SourceRow s;
  s.archive_id = a;
  s.uri = "/t.txt";
  s.sha256 = "h";
  auto w = catalog.replace_source(s);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    RecordRow r;
    r.kind = i % 2 ? RecordKind::text : RecordKind::image;
    ids.push_back(w.add_record(r));
  }
  w.commit();
  const auto m = catalog.embeddings().ensure_model("tiny", 3, "abc");
  EXPECT_EQ(catalog.embeddings().ensure_model("tiny", 3, "abc"), m);
  EXPECT_THROW(catalog.embeddings().ensure_model("tiny", 4, "abc"), CatalogError);
  catalog.embeddings().put(ids[0], m, {1, 2, 3});
  catalog.embeddings().put(ids[2], m, {4, 5, 6});
  catalog.embeddings().put(ids[2], m, {7, 8, 9});  // replaces
  EXPECT_EQ(catalog.embeddings().get(ids[2], m).value(), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(catalog.embeddings().count(m), 2);
  std::vector<std::int64_t> seen;
  catalog.embeddings().for_each(m, [&](std::int64_t id, const float* v, int dim) {
    EXPECT_EQ(dim, 3);
    seen.push_back(id);
    return v[0] > 0;
  });
  EXPECT_EQ(seen, (std::vector<std::int64_t>{ids[0], ids[2]}));
  auto missing = catalog.embeddings().records_without(m, {RecordKind::image}, 10);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].id, ids[4]);
  EXPECT_EQ(catalog.embeddings().records_without(m, {}, 10).size(), 3u);
  // Replacing the source deletes its vectors with its records.
  catalog.replace_source(s).commit();
  EXPECT_EQ(catalog.embeddings().count(m), 0);
}

}  // namespace
}  // namespace palimpsest

namespace palimpsest {
namespace {

class LexicalSearch : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = catalog_.ensure_archive("a", "/");
    other_ = catalog_.ensure_archive("b", "/");
    SourceRow s;
    s.archive_id = archive_;
    s.uri = "/notes.txt";
    s.sha256 = "h";
    auto w = catalog_.replace_source(s);
    lighthouse_ = add(w, RecordKind::text, "The lighthouse turns over the harbour at night.");
    harbour_ = add(w, RecordKind::text, "Boats in the harbour.");
    desert_ = add(w, RecordKind::text, "A desert at noon, no water anywhere.");
    cue_ = add(w, RecordKind::subtitle, "Night falls on the harbour.", 5000, 2000);
    w.commit();
    s.archive_id = other_;
    auto w2 = catalog_.replace_source(s);
    add(w2, RecordKind::text, "Another harbour in another archive.");
    w2.commit();
  }
  std::int64_t add(Catalog::SourceWriter& w, RecordKind kind, const std::string& text,
                   std::int64_t ts = 0, std::optional<std::int64_t> dur = std::nullopt) {
    RecordRow r;
    r.kind = kind;
    r.text = text;
    r.ts_ms = ts;
    r.dur_ms = dur;
    return w.add_record(r);
  }
  testing::TempDir dir_;
  Catalog catalog_{dir_ / "c.db"};
  std::int64_t archive_ = 0, other_ = 0, lighthouse_ = 0, harbour_ = 0, desert_ = 0, cue_ = 0;
};

TEST_F(LexicalSearch, RanksRecordsMatchingMoreWordsFirst) {
  auto hits = catalog_.lexical_search("harbour night lighthouse", {}, 10);
  ASSERT_GE(hits.size(), 3u);
  EXPECT_EQ(hits[0].record_id, lighthouse_);
  for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  for (const auto& h : hits) EXPECT_NE(h.record_id, desert_);
}

TEST_F(LexicalSearch, FiltersByArchiveKindAndTime) {
  SearchFilter f;
  f.archive_id = other_;
  EXPECT_EQ(catalog_.lexical_search("harbour", f, 10).size(), 1u);
  f = {};
  f.kind = RecordKind::subtitle;
  auto cues = catalog_.lexical_search("harbour", f, 10);
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(cues[0].record_id, cue_);
  f.from_ms = 6500;  // overlaps the cue [5000, 7000]
  EXPECT_EQ(catalog_.lexical_search("harbour", f, 10).size(), 1u);
  f.from_ms = 7500;
  EXPECT_TRUE(catalog_.lexical_search("harbour", f, 10).empty());
}

TEST_F(LexicalSearch, QuerySyntaxInUserTextIsJustText) {
  // FTS5 operators, column filters and unbalanced quotes must neither throw nor change meaning.
  for (const char* q : {"\"harbour", "text:harbour", "harbour AND", "NEAR(harbour", "*", "-harbour", "((("}) {
    EXPECT_NO_THROW(catalog_.lexical_search(q, {}, 10)) << q;
  }
  EXPECT_FALSE(catalog_.lexical_search("text:harbour", {}, 10).empty());
  EXPECT_TRUE(catalog_.lexical_search("", {}, 10).empty());
  EXPECT_TRUE(catalog_.lexical_search("   ...  ", {}, 10).empty());
}

}  // namespace
}  // namespace palimpsest

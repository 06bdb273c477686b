// Every JSON writer survives any bytes (issue 15.1): a file name that is not UTF-8 becomes U+FFFD
// in the JSON instead of an exception (nlohmann's type_error.316 aborted the server).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using nlohmann::json;

TEST(JsonText, InvalidUtf8BecomesReplacementCharactersInValuesAndKeys) {
  const json doc = {{"path", "/archive/bad\xffname.png"}, {"k\xfe", {1, "x\xc3"}}, {"ok", "café"}};
  EXPECT_THROW(doc.dump(), json::type_error);  // what json_text exists for
  const std::string text = json_text(doc);
  const json back = json::parse(text);  // valid UTF-8 JSON
  EXPECT_EQ(back["path"], "/archive/bad\xef\xbf\xbdname.png");
  EXPECT_EQ(back["k\xef\xbf\xbd"][1], "x\xef\xbf\xbd");
  EXPECT_EQ(back["ok"], "café");
  EXPECT_EQ(json::parse(json_text(doc, 2)), back);
  // Control characters are escaped by JSON itself.
  EXPECT_NE(json_text({{"name", "esc\x1b[31m\n"}}).find("\\u001b[31m\\n"), std::string::npos);
}

TEST(JsonText, RecordShapesOfABadlyNamedFileWrite) {
  RecordRow r;
  r.id = 7;
  r.kind = RecordKind::image;
  r.uri = "/archive/bad\xffname.png";
  r.title = "bad\xffname.png";
  r.text = std::string(199, 'a') + "\xe2\x82\xac tail";  // the excerpt cuts inside the euro sign
  const json full = json::parse(json_text(record_json(r)));
  EXPECT_EQ(full["uri"], "/archive/bad\xef\xbf\xbdname.png");
  const json summary = json::parse(json_text(record_summary_json(r)));
  EXPECT_EQ(summary["source_name"], "bad\xef\xbf\xbdname.png");
  EXPECT_EQ(summary["excerpt"], std::string(199, 'a'));
}

// The catalog keeps JSON columns (timelines, job options) through the same writer: a film planned
// from a manuscript whose name is not UTF-8 is saved, not refused.
TEST(JsonText, CatalogColumnsTakeDocumentsWithInvalidUtf8) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  const json timeline = {{"manuscript", {{"file", "/scripts/bad\xffname.fountain"}}}, {"shots", json::array()}};
  const std::int64_t film = catalog.films().create("bad\xff title", "/scripts/bad\xffname.fountain", timeline, json::object());
  const auto row = catalog.films().get(film);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->timeline["manuscript"]["file"], "/scripts/bad\xef\xbf\xbdname.fountain");
  EXPECT_GT(catalog.jobs().create(film, {{"note", "\xff"}}), 0);
  EXPECT_EQ(catalog.integrity_check(), "ok");
}

}  // namespace
}  // namespace palimpsest

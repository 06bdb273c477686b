// Every answer is JSON whatever the bytes (issue 15.1): `?archive=%ff` aborted the server
// (nlohmann type_error.316 thrown inside its error handler), `?q=%ff` answered 500, and a file
// name that is not UTF-8 made /records, /records/{id} and /search answer 500. A real server on a
// loopback port.
#include <httplib.h>

#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "server/http_server.h"
#include "tests/common/test_support.h"
#include "tests/server/raw_http.h"

namespace palimpsest {
namespace {

using nlohmann::json;

const std::string kReplacement = "\xef\xbf\xbd";

class JsonSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "c.db";
    {
      Catalog catalog(db_);
      const std::int64_t archive = catalog.ensure_archive("harbour", "/");
      RgbImage img(32, 24);
      SourceRow s;
      s.archive_id = archive;
      s.uri = (dir_ / "bad\xffname\x1b[31m.png").string();
      s.sha256 = "h";
      s.kind = SourceKind::image;
      auto w = catalog.replace_source(s);
      RecordRow r;
      r.kind = RecordKind::image;
      r.title = "bad\xffname lighthouse";
      r.text = "a lighthouse \xfe\xfe at night";
      id_ = w.add_record(r, encode_jpeg(img));
      w.commit();
    }
    ServerOptions options;
    options.db = db_;
    options.port = 0;
    options.threads = 2;
    options.model_dir = dir_ / "no-model";
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
    server_ = std::make_unique<HttpServer>(options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  // The raw target, sent as is (no client-side encoding), and the answer parsed as JSON.
  json get(const std::string& target, int status) {
    testing::RawConnection c(port_);
    c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const testing::RawResponse r = c.read_response(30);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json") << target;
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << target << ": " << r.body;
    return j;
  }

  testing::TempDir dir_;
  std::filesystem::path db_;
  std::int64_t id_ = 0;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(JsonSafetyTest, BytesThatAreNotUtf8InAQueryGetAJsonAnswer) {
  json e = get("/api/v1/records?archive=%ff", 404);
  EXPECT_EQ(e["error"]["code"], "not_found");
  EXPECT_EQ(e["error"]["message"], "no archive named " + kReplacement);
  EXPECT_EQ(get("/api/v1/search?q=a&archive=%ff", 404)["error"]["code"], "not_found");
  EXPECT_EQ(get("/api/v1/search?q=%ff", 200)["query"], kReplacement);
  EXPECT_EQ(get("/api/v1/search?q=%ff%fe&mode=lexical", 200)["results"].size(), 0u);
  EXPECT_EQ(get("/api/v1/records?kind=%ff%1b", 400)["error"]["code"], "bad_request");
  EXPECT_EQ(get("/api/v1/health", 200)["status"], "ok");  // still up
}

TEST_F(JsonSafetyTest, AFileNameThatIsNotUtf8IsListedShownAndFound) {
  const json list = get("/api/v1/records", 200);
  ASSERT_EQ(list["records"].size(), 1u);
  EXPECT_EQ(list["records"][0]["source_name"], "bad" + kReplacement + "name\x1b[31m.png");
  const json one = get("/api/v1/records/" + std::to_string(id_), 200);
  EXPECT_EQ(one["title"], "bad" + kReplacement + "name lighthouse");
  EXPECT_NE(one["source"]["uri"].get<std::string>().find("bad" + kReplacement), std::string::npos);
  const json hits = get("/api/v1/search?q=lighthouse&mode=lexical", 200);
  ASSERT_EQ(hits["results"].size(), 1u);
  EXPECT_EQ(hits["results"][0]["excerpt"], "a lighthouse " + kReplacement + kReplacement + " at night");
  EXPECT_EQ(get("/api/v1/records?q=lighthouse", 200)["records"].size(), 1u);
}

TEST_F(JsonSafetyTest, LogLinesAreEscaped) {
  get("/api/v1/records?archive=%ff", 404);
  testing::RawConnection c(port_);
  c.send("GET /api/v1/records/\x1b[2J HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  c.read_response(30);
  std::lock_guard<std::mutex> lock(log_mutex_);
  ASSERT_FALSE(log_.empty());
  for (const std::string& line : log_) {
    for (unsigned char ch : line) EXPECT_TRUE(ch >= 0x20 && ch != 0x7f) << line;
  }
}

}  // namespace
}  // namespace palimpsest

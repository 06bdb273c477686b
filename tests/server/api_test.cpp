// The real server on a loopback port, exercised over HTTP, including hostile input.
#include <httplib.h>

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/model_import.h"
#include "indexer/clip/model_store.h"
#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "server/http_server.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "c.db";
    {
      Catalog catalog(db_);
      archive_ = catalog.ensure_archive("harbour", "/");
      // A real image file so /media has something to serve.
      RgbImage img(64, 48);
      for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i % 251);
      png_ = encode_png(img);
      testing::write_file(dir_ / "still.png", png_);
      SourceRow s;
      s.archive_id = archive_;
      s.uri = (dir_ / "still.png").string();
      s.sha256 = "h";
      s.kind = SourceKind::image;
      auto w = catalog.replace_source(s);
      RecordRow r;
      r.kind = RecordKind::image;
      r.title = "still.png";
      r.meta = {{"container", "png_pipe"}};
      image_id_ = w.add_record(r, encode_jpeg(img));
      w.commit();
      SourceRow t;
      t.archive_id = archive_;
      t.uri = (dir_ / "notes.txt").string();
      t.sha256 = "t";
      t.kind = SourceKind::text;
      auto w2 = catalog.replace_source(t);
      for (int i = 0; i < 5; ++i) {
        RecordRow p;
        p.kind = RecordKind::text;
        p.text = i == 3 ? "the lighthouse at night" : "paragraph number " + std::to_string(i);
        text_ids_.push_back(w2.add_record(p));
      }
      w2.commit();
    }
    start({});
  }
  void start(const std::string& token, const std::filesystem::path& model_dir = {}) {
    ServerOptions options;
    options.db = db_;
    options.port = 0;
    options.token = token;
    options.threads = 4;
    options.max_body_bytes = 1 << 20;
    // Lexical only unless a test gives a model: no CLIP needed here.
    options.model_dir = model_dir.empty() ? dir_ / "no-model" : model_dir;
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
    server_ = std::make_unique<HttpServer>(options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  json get_json(const std::string& path, int expected_status) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(res->body);
  }
  void expect_error(const httplib::Result& res, int status, const std::string& what) {
    ASSERT_TRUE(res) << what << " (client error: " << httplib::to_string(res.error()) << ")";
    EXPECT_EQ(res->status, status) << what << ": " << res->body;
    auto body = json::parse(res->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << what << ": " << res->body;
    EXPECT_TRUE(body["error"]["code"].is_string()) << what;
    EXPECT_TRUE(body["error"]["message"].is_string()) << what;
  }

  testing::TempDir dir_;
  std::filesystem::path db_;
  std::int64_t archive_ = 0, image_id_ = 0;
  std::vector<std::int64_t> text_ids_;
  std::string png_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(ApiTest, HealthAndArchives) {
  auto health = get_json("/api/v1/health", 200);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["records"], 6);
  auto archives = get_json("/api/v1/archives", 200);
  ASSERT_EQ(archives["archives"].size(), 1u);
  EXPECT_EQ(archives["archives"][0]["name"], "harbour");
}

TEST_F(ApiTest, RecordsPageWithKeysets) {
  auto page1 = get_json("/api/v1/records?kind=text&limit=2", 200);
  ASSERT_EQ(page1["records"].size(), 2u);
  EXPECT_EQ(page1["next_after"], text_ids_[1]);
  auto page2 = get_json("/api/v1/records?kind=text&limit=2&after=" + std::to_string(text_ids_[1]), 200);
  EXPECT_EQ(page2["records"][0]["id"], text_ids_[2]);
  auto last = get_json("/api/v1/records?kind=text&limit=10&after=" + std::to_string(text_ids_[1]), 200);
  EXPECT_EQ(last["records"].size(), 3u);
  EXPECT_TRUE(last["next_after"].is_null());
  auto q = get_json("/api/v1/records?q=lighthouse", 200);
  ASSERT_EQ(q["records"].size(), 1u);
  EXPECT_EQ(q["records"][0]["id"], text_ids_[3]);
  get_json("/api/v1/records?archive=nowhere", 404);
}

TEST_F(ApiTest, OneRecordItsThumbnailAndMedia) {
  auto r = get_json("/api/v1/records/" + std::to_string(image_id_), 200);
  EXPECT_EQ(r["kind"], "image");
  EXPECT_EQ(r["thumbnail_url"], "/api/v1/records/" + std::to_string(image_id_) + "/thumbnail.jpg");

  auto thumb = client_->Get(r["thumbnail_url"].get<std::string>().c_str());
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(thumb->body.substr(0, 3), "\xFF\xD8\xFF");
  const std::string etag = thumb->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_NE(thumb->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  auto again = client_->Get(r["thumbnail_url"].get<std::string>().c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);

  const std::string media = "/api/v1/records/" + std::to_string(image_id_) + "/media";
  auto whole = client_->Get(media.c_str());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->body, png_);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "image/png");
  auto part = client_->Get(media.c_str(), {{"Range", "bytes=4-11"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, png_.substr(4, 8));

  auto films = get_json("/api/v1/records/" + std::to_string(image_id_) + "/films", 200);
  EXPECT_TRUE(films["films"].empty());
}

TEST_F(ApiTest, MissingSourceFileIsGoneNotACrash) {
  std::filesystem::remove(dir_ / "still.png");
  expect_error(client_->Get(("/api/v1/records/" + std::to_string(image_id_) + "/media").c_str()), 410, "gone");
}

TEST_F(ApiTest, LexicalSearchWithoutAModel) {
  auto body = get_json("/api/v1/search?q=lighthouse%20night&k=3", 200);
  EXPECT_FALSE(body["dense"].get<bool>());
  ASSERT_GE(body["results"].size(), 1u);
  EXPECT_EQ(body["results"][0]["id"], text_ids_[3]);
  EXPECT_TRUE(body["results"][0]["dense_score"].is_null());
  EXPECT_EQ(body["results"][0]["rank"], 1);
  EXPECT_EQ(body["results"][0]["modality"], "text");
  EXPECT_TRUE(body["results"][0]["calibrated_score"].is_null());
  // An exact match (every word of the query in the record's own text) is marked and first.
  EXPECT_TRUE(body["results"][0]["exact"].get<bool>());
  body = get_json("/api/v1/search?q=lighthouse%20number", 200);  // no record holds both words
  ASSERT_GE(body["results"].size(), 2u);
  for (const auto& hit : body["results"]) EXPECT_FALSE(hit["exact"].get<bool>()) << hit.dump();
  // One list per modality, each listed even when empty; kinds filter.
  body = get_json("/api/v1/search?q=lighthouse&per_modality=true", 200);
  EXPECT_FALSE(body.contains("results"));
  EXPECT_EQ(body["modalities"]["text"][0]["id"], text_ids_[3]);
  EXPECT_TRUE(body["modalities"]["picture"].is_array());
  EXPECT_TRUE(body["modalities"]["sound"].is_array());
  body = get_json("/api/v1/search?q=lighthouse&kinds=image,frame&per_modality=1", 200);
  EXPECT_FALSE(body["modalities"].contains("text"));
  expect_error(client_->Get("/api/v1/search?q=x&kinds=image,painting"), 400, "unknown kind in kinds");
  expect_error(client_->Get("/api/v1/search?q=x&per_modality=maybe"), 400, "per_modality not a boolean");
  // Image search needs a model: a clear 409, not a crash.
  expect_error(client_->Post("/api/v1/search", png_, "image/png"), 409, "image search without a model");
}

TEST_F(ApiTest, BadInputNeverCrashesTheServer) {
  expect_error(client_->Get("/api/v1/records/999999"), 404, "unknown id");
  expect_error(client_->Get("/api/v1/records/abc"), 400, "non-numeric id");
  expect_error(client_->Get("/api/v1/records/-1"), 400, "negative id");
  expect_error(client_->Get("/api/v1/records/99999999999999999999999"), 400, "overflowing id");
  expect_error(client_->Get("/api/v1/records/999999/thumbnail.jpg"), 404, "unknown thumbnail");
  expect_error(client_->Get(("/api/v1/records/" + std::to_string(text_ids_[0]) + "/thumbnail.jpg").c_str()), 404, "text has no thumbnail");
  expect_error(client_->Get("/api/v1/search?q="), 400, "empty query");
  expect_error(client_->Get("/api/v1/search?q=x&k=0"), 400, "k=0");
  expect_error(client_->Get("/api/v1/search?q=x&k=999999999"), 400, "huge k");
  expect_error(client_->Get("/api/v1/search?q=x&k=ten"), 400, "k not a number");
  expect_error(client_->Get("/api/v1/search?q=x&kind=sound"), 400, "unknown kind");
  expect_error(client_->Get("/api/v1/search?q=x&mode=psychic"), 400, "unknown mode");
  expect_error(client_->Get("/api/v1/records?limit=0"), 400, "limit 0");
  expect_error(client_->Post("/api/v1/search?q=x", "not an image", "image/png"), 415, "body not an image");
  expect_error(client_->Post("/api/v1/search?q=x", std::string(2 << 20, 'x'), "image/png"), 413, "oversized body");
  expect_error(client_->Get("/api/v1/nothing-here"), 404, "unknown route");
  // Path traversal in every path parameter: ids are parsed strictly, static names come from a table.
  for (const char* path : {"/api/v1/records/..%2F..%2Fetc%2Fpasswd", "/api/v1/records/1%2F..%2F..%2Fetc%2Fpasswd/media",
                           "/api/v1/records/../../etc/passwd/media", "/static/..%2F..%2FCMakeLists.txt",
                           "/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/api/v1/records/%00/media"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_TRUE(res->status == 400 || res->status == 404) << path << " -> " << res->status;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
  }
  // Still alive.
  EXPECT_EQ(get_json("/api/v1/health", 200)["status"], "ok");
}

TEST_F(ApiTest, ViewerIsServedFromTheBinary) {
  auto index = client_->Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("<title>Palimpsest</title>"), std::string::npos);
  auto js = client_->Get("/static/viewer.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_NE(js->get_header_value("Content-Type").find("javascript"), std::string::npos);
  // No external resources: every src/href in the page is local.
  EXPECT_EQ(index->body.find("http://"), std::string::npos);
  EXPECT_EQ(index->body.find("https://"), std::string::npos);
}

// Issue 13: GET /api/v1/models lists the store's models with their vectors, the catalog's current
// model and the one the server searches with.
TEST_F(ApiTest, ModelsSayWhichAreStoredCurrentAndServed) {
  json models = get_json("/api/v1/models", 200);
  EXPECT_EQ(models["current"], kEmbeddedModelName);
  EXPECT_TRUE(models["served"].is_null()) << models.dump();
  ASSERT_GE(models["models"].size(), 1u);
  EXPECT_EQ(models["models"][0]["name"], kEmbeddedModelName);
  EXPECT_EQ(models["models"][0]["embedded"], true);
  EXPECT_EQ(models["vector_sets"], json::array());

  const std::filesystem::path clip = std::filesystem::path(PALIMPSEST_FIXTURES_DIR) / "clip";
  ImportOptions o;
  o.name = "alpha";
  o.tokenizer = clip / "bpe_simple_vocab_16e6.txt.gz";
  o.precision = "fp32";
  o.vision_heads = 1;
  o.text_heads = 2;
  const std::string sha = import_model(db_, clip / "tiny_vit_p8.safetensors", o).weights_sha256;
  use_model(db_, "alpha");
  {
    Catalog catalog(db_);
    const auto model = catalog.embeddings().ensure_model("alpha", 32, sha);
    catalog.embeddings().put(text_ids_[0], model, std::vector<float>(32, 0.25f));
  }
  TearDown();
  start({}, resolve_model(db_, ""));  // what `serve` does without --model
  models = get_json("/api/v1/models", 200);
  EXPECT_EQ(models["current"], "alpha");
  EXPECT_EQ(models["served"]["name"], "alpha") << models.dump();
  EXPECT_EQ(models["served"]["weights_sha256"], sha);
  json alpha;
  for (const json& m : models["models"])
    if (m["name"] == "alpha") alpha = m;
  ASSERT_TRUE(alpha.is_object()) << models.dump();
  EXPECT_EQ(alpha["current"], true);
  EXPECT_EQ(alpha["served"], true);
  EXPECT_EQ(alpha["vectors"], 1);
  EXPECT_EQ(alpha["dim"], 32);
  ASSERT_EQ(models["vector_sets"].size(), 1u);
  EXPECT_EQ(models["vector_sets"][0]["vectors"], 1);
  EXPECT_EQ(models["vector_sets"][0]["served"], true);
}

TEST_F(ApiTest, MutatingRequestsNeedTheToken) {
  TearDown();
  start("s3cret");
  // Reads stay open on loopback.
  EXPECT_EQ(get_json("/api/v1/health", 200)["status"], "ok");
  expect_error(client_->Delete("/api/v1/films/1"), 401, "no token");
  expect_error(client_->Delete("/api/v1/films/1", {{"Authorization", "Bearer wrong"}}), 401, "wrong token");
  auto ok = client_->Delete("/api/v1/films/1", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(ok);
  EXPECT_NE(ok->status, 401);
}

TEST(HttpServerOptions, NonLoopbackBindWithoutATokenIsRefused) {
  testing::TempDir dir;
  ServerOptions options;
  options.db = dir / "c.db";
  options.bind = "0.0.0.0";
  EXPECT_THROW(HttpServer{options}, std::invalid_argument);
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.8.9.10"));
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("192.168.1.2"));
}

}  // namespace
}  // namespace palimpsest

#include "server/documented_routes.h"

namespace palimpsest {
namespace {

// Every documented route is really served: called with a real id, none answers "no such endpoint".
TEST_F(ApiTest, EveryDocumentedRouteIsServed) {
  for (const auto& route : server::documented_routes()) {
    std::string path = route.path;
    const auto at = path.find("{id}");
    if (at != std::string::npos) path.replace(at, 4, std::to_string(image_id_));
    if (const auto n = path.find("{n}"); n != std::string::npos) path.replace(n, 3, "0");
    if (path == "/api/v1/search") path += "?q=lighthouse";
    httplib::Result res = route.method == "post"     ? client_->Post(path.c_str(), png_, "image/png")
                          : route.method == "delete" ? client_->Delete(path.c_str())
                                                     : client_->Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->body.find("no such endpoint"), std::string::npos) << route.method << " " << path;
    EXPECT_LT(res->status, 500) << route.method << " " << path;
  }
}

}  // namespace
}  // namespace palimpsest

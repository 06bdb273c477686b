// Sweeps and metrics over HTTP: POST /api/v1/sweeps queues a sweep of a planned film that the
// server's worker runs; its state, combinations and contact sheet are served; bad requests are
// refused naming the field or parameter. GET /api/v1/films/{id}/metrics gives a plot's data.
#include <httplib.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/catalog.h"
#include "schema/job_queue.h"
#include "schema/film_store.h"
#include "server/http_server.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

RgbImage picture(int variant) {
  RgbImage img(64, 48);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      std::uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<std::uint8_t>(40 * variant + 3 * x);
      p[1] = static_cast<std::uint8_t>(200 - 4 * y + variant * 10);
      p[2] = static_cast<std::uint8_t>(((x / 8 + y / 8 + variant) % 2) * 180);
    }
  return img;
}

class SweepsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "c.db";
    Catalog catalog(db_);
    const std::int64_t archive = catalog.ensure_archive("a", dir_.path().string());
    std::vector<std::int64_t> images;
    for (int i = 0; i < 3; ++i) {
      SourceRow src;
      src.archive_id = archive;
      src.uri = (dir_ / ("p" + std::to_string(i) + ".png")).string();
      src.sha256 = "s" + std::to_string(i);
      src.kind = SourceKind::image;
      auto w = catalog.replace_source(src);
      RecordRow r;
      r.kind = RecordKind::image;
      r.width = 64;
      r.height = 48;
      images.push_back(w.add_record(r, encode_jpeg(picture(i))));
      w.commit();
    }
    TimelineOptions options;
    options.fps = 4;
    options.width = 32;
    options.height = 24;
    Timeline t = plan_shots("A red circle. [[duration: 1s]]\n\nThe sea. [[duration: 1s]]\n", ManuscriptFormat::text,
                            options, "m.txt");
    t.shots[0].keyframes = {{images[0], 0, false, 1.0}, {images[1], 2, false, 0.9}};
    t.shots[1].keyframes = {{images[2], 4, false, 1.0}};
    t.planned = true;
    film_ = catalog.films().create("", "m.txt", t.to_json(true), json::object());
  }

  void start(int workers) {
    ServerOptions options;
    options.db = db_;
    options.port = 0;
    options.token = "tok";
    options.threads = 2;
    options.model_dir = dir_ / "no-model";
    options.render_workers = workers;
    options.job_heartbeat_s = 0.2;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<HttpServer>(options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(60, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Result post(const json& body) {
    return client_->Post("/api/v1/sweeps", {{"Authorization", "Bearer tok"}}, body.dump(), "application/json");
  }

  testing::TempDir dir_;
  fs::path db_;
  std::int64_t film_ = 0;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SweepsApiTest, ASweepRunsAsAJobAndServesItsSheet) {
  start(1);
  auto res = post({{"film_id", film_}, {"vary", {{"guidance", {0, 7}}, {"cadence", {"1", "2"}}}}, {"frames", {1, 5}},
                   {"denoiser", "global"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  json sweep = json::parse(res->body);
  const std::int64_t id = sweep["id"];
  EXPECT_EQ(res->get_header_value("Location"), "/api/v1/sweeps/" + std::to_string(id));
  EXPECT_EQ(sweep["film_id"], film_);
  EXPECT_TRUE(sweep["sheet_url"].is_null());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = client_->Get(("/api/v1/sweeps/" + std::to_string(id)).c_str());
    ASSERT_TRUE(got);
    sweep = json::parse(got->body);
    if (sweep["state"] == "done" || sweep["state"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(sweep["state"], "done") << sweep.dump();
  ASSERT_EQ(sweep["combinations"].size(), 4u);
  EXPECT_EQ(sweep["frames"], json::array({1, 5}));
  // An object's axes come in name order (a JSON object has none of its own): cadence, then guidance,
  // the last axis varying fastest. The list form ["guidance=0,7", ...] keeps the order given.
  EXPECT_EQ(sweep["combinations"][1]["parameters"], (json{{"cadence", "1"}, {"guidance", "7"}}));
  EXPECT_TRUE(sweep["combinations"][0]["metrics"]["top_share"].is_number());
  EXPECT_FALSE(sweep["combinations"][0].contains("directory"));
  auto sheet = client_->Get(sweep["sheet_url"].get<std::string>().c_str());
  ASSERT_TRUE(sheet);
  EXPECT_EQ(sheet->status, 200);
  EXPECT_EQ(sheet->get_header_value("Content-Type"), "image/png");
  const RgbImage image = decode_image_bytes(sheet->body);
  EXPECT_GT(image.width, 2 * 160);
  // The film lists its sweep, in the same shape, for the viewer's contact sheets.
  auto listed = client_->Get(("/api/v1/films/" + std::to_string(film_) + "/sweeps").c_str());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  const json of_film = json::parse(listed->body);
  ASSERT_EQ(of_film["sweeps"].size(), 1u);
  EXPECT_EQ(of_film["sweeps"][0], sweep);
  EXPECT_EQ(client_->Get("/api/v1/films/999/sweeps")->status, 404);
  // The film itself is untouched by its sweep, and its render job is still "none".
  Catalog catalog(db_);
  EXPECT_EQ(catalog.films().get(film_)->status, FilmStatus::planned);
  EXPECT_FALSE(catalog.jobs().latest(film_));
}

TEST_F(SweepsApiTest, BadSweepsAreRefused) {
  start(0);
  auto expect = [&](const httplib::Result& res, int status, const std::string& says) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_NE(res->body.find(says), std::string::npos) << res->body;
  };
  expect(client_->Post("/api/v1/sweeps", json{{"film_id", film_}, {"vary", {{"fov", {30}}}}}.dump(), "application/json"),
         401, "token");
  expect(post({{"film_id", film_}, {"vary", {{"guidance", {0, 500}}}}}), 400, "--vary guidance: value 500");
  expect(post({{"film_id", film_}, {"vary", {{"colour", {1}}}}}), 400, "--vary colour: not a parameter");
  expect(post({{"film_id", film_}, {"vary", json::array({"fov=30", "fov=40"})}}), 400, "given twice");
  expect(post({{"film_id", film_}}), 400, "vary");
  expect(post({{"film_id", film_}, {"vary", {{"fov", {30}}}}, {"colour", 1}}), 400, "unknown field");
  expect(post({{"film_id", 999}, {"vary", {{"fov", {30}}}}}), 404, "no film 999");
  expect(post({{"film_id", film_}, {"vary", {{"fov", {30}}}}, {"frames", {100}}}), 422, "frame");
  expect(post({{"film_id", film_}, {"vary", {{"fov", {30}}}}, {"shots", "0-5"}}), 422, "shots");
  expect(client_->Get("/api/v1/sweeps/12345"), 404, "no sweep 12345");
  expect(client_->Get("/api/v1/sweeps/x"), 400, "sweep id");
}

TEST_F(SweepsApiTest, FilmMetricsForAPlot) {
  {
    Catalog catalog(db_);
    for (int f = 0; f < 3; ++f) {
      FilmFrameRow row{f, f < 2 ? 0 : 1, true, false, 0.0, {0.2 + 0.1 * f, f == 1 ? std::optional<double>(0.05) : std::nullopt, 1.0, 0.0, 0.3}};
      catalog.films().put_frame(film_, row, {});
    }
    catalog.films().set_output(film_, (dir_ / "films").string(), "", 8);
  }
  start(0);
  auto res = client_->Get(("/api/v1/films/" + std::to_string(film_) + "/metrics").c_str());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json m = json::parse(res->body);
  EXPECT_EQ(m["cuts"], json::array({0, 4}));
  EXPECT_EQ(m["frame_count"], 8);
  EXPECT_EQ(m["frames"].size(), 3u);
  EXPECT_NEAR(m["film"]["clip_score"].get<double>(), 0.3, 1e-12);
  EXPECT_EQ(m["film"]["flicker"], 0.05);
  ASSERT_EQ(m["shots"].size(), 2u);
  EXPECT_EQ(m["shots"][1]["start_frame"], 4);
  EXPECT_EQ(m["shots"][1]["end_frame"], 8);
  EXPECT_EQ(m["fps"], 4);
}

}  // namespace
}  // namespace palimpsest

// Films over HTTP: the real server on a loopback port. A film is either built row by row (frames,
// maps, provenance, a video file) for the read endpoints, or made by the server itself from a
// manuscript (POST /api/v1/films -> render job -> make_film).
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/catalog.h"
#include "server/documented_routes.h"
#include "server/http_server.h"
#include "synth/film_maker.h"
#include "server/record_json.h"
#include "tests/common/test_support.h"
#include "tests/synth/sound_archive.h"
#include "schema/film_store.h"
#include "schema/job_queue.h"

namespace palimpsest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

RgbImage solid(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b, int variant) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.row(y) + 3 * x;
      const bool spot = ((x / 8) + (y / 8) + variant) % 3 == 0;
      p[0] = spot ? 255 - r : r;
      p[1] = spot ? 255 - g : g;
      p[2] = spot ? 255 - b : b;
    }
  return img;
}

class FilmsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "c.db";
    Catalog catalog(db_);
    const std::int64_t archive = catalog.ensure_archive("demo", dir_.path().string());
    const struct { const char* title; std::uint8_t r, g, b; } stills[] = {
        {"red circle over the sea", 200, 30, 30},   {"blue square in the snow", 30, 30, 200},
        {"green ring in the forest", 30, 160, 40},  {"yellow star in the desert", 220, 200, 40},
        {"orange triangle at sunset", 240, 120, 20}, {"white circle at night", 230, 230, 230}};
    int i = 0;
    for (const auto& s : stills) {
      const RgbImage img = solid(64, 48, s.r, s.g, s.b, i);
      const fs::path file = dir_ / ("still" + std::to_string(i) + ".png");
      testing::write_file(file, encode_png(img));
      SourceRow src;
      src.archive_id = archive;
      src.uri = file.string();
      src.sha256 = "sha" + std::to_string(i);
      src.kind = SourceKind::image;
      auto w = catalog.replace_source(src);
      RecordRow r;
      r.kind = RecordKind::image;
      r.title = s.title;
      r.width = 64;
      r.height = 48;
      r.meta = {{"container", "png_pipe"}};
      images_.push_back(w.add_record(r, encode_jpeg(img)));
      w.commit();
      ++i;
    }
    SourceRow t;
    t.archive_id = archive;
    t.uri = (dir_ / "notes.txt").string();
    t.sha256 = "t";
    t.kind = SourceKind::text;
    auto w = catalog.replace_source(t);
    RecordRow p;
    p.kind = RecordKind::text;
    p.text = "The red circle rises over the sea at night.";
    text_id_ = w.add_record(p);
    w.commit();
  }

  // A "done" film written row by row: 6 frames in 2 shots, maps on even frames, a fake video.
  std::int64_t make_fake_film() {
    Catalog catalog(db_);
    TimelineOptions options;
    options.fps = 4;
    options.width = 32;
    options.height = 24;
    Timeline timeline = plan_shots("A red circle over the sea. [[duration: 1s]]\n\nA blue square in the snow. [[duration: 0.5s]]\n",
                                   ManuscriptFormat::text, options, "fake.txt");
    EXPECT_EQ(timeline.frame_count, 6);
    timeline.shots[0].keyframes.push_back({images_[0], 0, false, 0.9});
    timeline.shots[0].guidance.push_back({text_id_, RecordKind::text, 1.0, 0.8, false});
    timeline.shots[1].keyframes.push_back({images_[1], 4, false, 0.8});
    timeline.planned = true;
    const std::int64_t id = catalog.films().create(timeline.title, "fake.txt", timeline.to_json(true), json::object());
    const fs::path out = dir_ / ("films/c.db." + std::to_string(id));
    fs::create_directories(out / "frames");
    fs::create_directories(out / "maps");
    video_ = std::string("\x00\x00\x00\x18" "ftypisom", 12) + std::string(5000, 'v');
    testing::write_file(out / "film.mp4", video_);
    for (int f = 0; f < 6; ++f) {
      const RgbImage img = solid(32, 24, static_cast<std::uint8_t>(40 * f), 20, 20, f);
      testing::write_file(out / "frames" / frame_file_name(f), encode_png(img));
      if (f % 2 == 0) testing::write_file(out / "maps" / frame_file_name(f), encode_png(img));
      const std::int64_t key = f < 4 ? images_[0] : images_[1];
      // A frame's pixel weights (keyframe and denoiser roles) sum to 1; guidance is apart.
      std::vector<ProvenanceRow> prov = {{key, ProvenanceRole::keyframe, 0.5},
                                         {images_[0], ProvenanceRole::denoiser, 0.35 - 0.05 * f},
                                         {images_[2], ProvenanceRole::denoiser, 0.15 + 0.05 * f}};
      if (f < 4) prov.push_back({text_id_, ProvenanceRole::guidance, 1.0});
      catalog.films().put_frame(id, {f, f < 4 ? 0 : 1, f % 3 != 2, f % 2 == 0}, prov);
    }
    catalog.films().set_output(id, out.string(), (out / "film.mp4").string(), 6);
    catalog.films().set_render(id, FilmStatus::done, 1.0);
    return id;
  }

  void start(const std::string& token = "", int workers = 0, double stale_s = 20) {
    ServerOptions options;
    options.db = db_;
    options.port = 0;
    options.token = token;
    options.threads = 4;
    options.max_body_bytes = 1 << 20;
    options.max_manuscript_bytes = 64 << 10;
    options.film_limits.max_frames = 400;
    options.model_dir = dir_ / "no-model";  // lexical planning: no CLIP needed
    options.render_workers = workers;
    options.job_heartbeat_s = 0.2;
    options.job_stale_after_s = stale_s;
    options.render_stale_after_s = render_stale_s_;
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
    server_ = std::make_unique<HttpServer>(options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(60, 0);
  }
  void stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void TearDown() override { stop(); }

  json get_json(const std::string& path, int expected_status) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(res->body, nullptr, false);
  }
  void expect_error(const httplib::Result& res, int status, const std::string& what, const std::string& code = "") {
    ASSERT_TRUE(res) << what;
    EXPECT_EQ(res->status, status) << what << ": " << res->body;
    auto body = json::parse(res->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << what << ": " << res->body;
    EXPECT_TRUE(body["error"]["code"].is_string()) << what;
    EXPECT_TRUE(body["error"]["message"].is_string()) << what;
    if (!code.empty()) EXPECT_EQ(body["error"]["code"], code) << what << ": " << res->body;
  }
  httplib::Result post_film(const json& body, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Post("/api/v1/films", headers, body.dump(), "application/json");
  }
  // Polls GET /api/v1/films/{id} until `done` says so (or the deadline passes).
  json wait_for_film(std::int64_t id, const std::function<bool(const json&)>& done, double seconds = 120) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    json film;
    while (std::chrono::steady_clock::now() < deadline) {
      film = get_json("/api/v1/films/" + std::to_string(id) + "?timeline=0", 200);
      if (done(film)) return film;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "film " << id << " did not get there in time: " << film.dump();
    return film;
  }

  testing::TempDir dir_;
  fs::path db_;
  std::vector<std::int64_t> images_;
  std::int64_t text_id_ = 0;
  std::string video_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  double render_stale_s_ = 120;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

const char* kManuscript =
    "Title: Two Stills\n\n"
    "EXT. SEA - NIGHT\n\n"
    "A red circle over the sea. [[duration: 1s]]\n\n"
    "EXT. SNOW\n\n"
    "A blue square in the snow. [[duration: 1s]]\n";

TEST_F(FilmsApiTest, ListsFilmsNewestFirstWithKeysets) {
  const std::int64_t a = make_fake_film(), b = make_fake_film(), c = make_fake_film();
  start();
  auto page = get_json("/api/v1/films?limit=2", 200);
  ASSERT_EQ(page["films"].size(), 2u);
  EXPECT_EQ(page["films"][0]["id"], c);
  EXPECT_EQ(page["films"][1]["id"], b);
  EXPECT_EQ(page["next_before"], b);
  auto rest = get_json("/api/v1/films?limit=2&before=" + std::to_string(b), 200);
  ASSERT_EQ(rest["films"].size(), 1u);
  EXPECT_EQ(rest["films"][0]["id"], a);
  EXPECT_TRUE(rest["next_before"].is_null());
  EXPECT_EQ(page["films"][0]["status"], "done");
  EXPECT_EQ(page["films"][0]["frames_rendered"], 6);
  EXPECT_EQ(page["films"][0]["video_url"], "/api/v1/films/" + std::to_string(c) + "/video.mp4");
  expect_error(client_->Get("/api/v1/films?limit=0"), 400, "limit 0");
  expect_error(client_->Get("/api/v1/films?limit=abc"), 400, "limit abc");
  expect_error(client_->Get("/api/v1/films?before=-3"), 400, "negative before");
}

TEST_F(FilmsApiTest, OneFilmWithShotsAndTimeline) {
  const std::int64_t id = make_fake_film();
  start();
  auto film = get_json("/api/v1/films/" + std::to_string(id), 200);
  EXPECT_EQ(film["status"], "done");
  EXPECT_EQ(film["frame_count"], 6);
  EXPECT_EQ(film["fps"], 4.0);
  EXPECT_EQ(film["width"], 32);
  ASSERT_EQ(film["shots"].size(), 2u);
  EXPECT_EQ(film["shots"][1]["start_frame"], 4);
  EXPECT_EQ(film["shots"][0]["keyframes"][0]["record_id"], images_[0]);
  EXPECT_TRUE(film["timeline"].is_object());
  EXPECT_TRUE(film["job"].is_null());
  auto light = get_json("/api/v1/films/" + std::to_string(id) + "?timeline=0", 200);
  EXPECT_FALSE(light.contains("timeline"));
  expect_error(client_->Get(("/api/v1/films/" + std::to_string(id) + "?timeline=yes").c_str()), 400, "timeline=yes");
}

TEST_F(FilmsApiTest, FramesImagesAndMapsAreCacheable) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string base = "/api/v1/films/" + std::to_string(id);
  auto frames = get_json(base + "/frames", 200);
  ASSERT_EQ(frames["frames"].size(), 6u);
  EXPECT_EQ(frames["frames"][2]["diffused"], false);
  EXPECT_TRUE(frames["frames"][1]["map_url"].is_null());
  auto paged = get_json(base + "/frames?from=2&limit=3", 200);
  ASSERT_EQ(paged["frames"].size(), 3u);
  EXPECT_EQ(paged["frames"][0]["frame"], 2);
  EXPECT_EQ(paged["next_from"], 5);

  auto png = client_->Get((base + "/frames/3.png").c_str());
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 200);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(png->body, testing::read_file(dir_ / ("films/c.db." + std::to_string(id) + "/frames/000003.png")));
  const std::string etag = png->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_NE(png->get_header_value("Cache-Control").find("max-age"), std::string::npos);
  auto again = client_->Get((base + "/frames/3.png").c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());

  auto map = client_->Get((base + "/frames/2/map.png").c_str());
  ASSERT_TRUE(map);
  EXPECT_EQ(map->status, 200);
  EXPECT_EQ(map->body.substr(1, 3), "PNG");
  expect_error(client_->Get((base + "/frames/3/map.png").c_str()), 404, "frame without a map", "no_map");
  expect_error(client_->Get((base + "/frames/6.png").c_str()), 404, "frame past the end", "frame_out_of_range");
  expect_error(client_->Get((base + "/frames/99999999999.png").c_str()), 404, "far frame", "frame_out_of_range");
  expect_error(client_->Get((base + "/frames/-1.png").c_str()), 400, "negative frame");
  expect_error(client_->Get((base + "/frames/1e3.png").c_str()), 400, "frame 1e3");
  expect_error(client_->Get((base + "/frames/0x1.png").c_str()), 400, "frame 0x1");
  expect_error(client_->Get((base + "/frames/%20%31.png").c_str()), 400, "frame ' 1'");
  expect_error(client_->Get("/api/v1/films/999/frames/0.png"), 404, "unknown film", "not_found");

  // A frame whose file went missing is 410, not a crash.
  fs::remove(dir_ / ("films/c.db." + std::to_string(id) + "/frames/000004.png"));
  expect_error(client_->Get((base + "/frames/4.png").c_str()), 410, "deleted frame file", "gone");
  // A frame in range but not rendered.
  {
    Catalog catalog(db_);
    catalog.films().set_output(id, (dir_ / ("films/c.db." + std::to_string(id))).string(), "", 8);
  }
  expect_error(client_->Get((base + "/frames/7.png").c_str()), 404, "unrendered frame", "not_rendered");
  expect_error(client_->Get((base + "/frames/7/provenance").c_str()), 404, "unrendered frame provenance", "not_rendered");
}

TEST_F(FilmsApiTest, FrameProvenanceFollowsTheFrame) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string base = "/api/v1/films/" + std::to_string(id);
  auto p1 = get_json(base + "/frames/1/provenance", 200);
  EXPECT_EQ(p1["frame"], 1);
  EXPECT_EQ(p1["time_s"], 0.25);
  EXPECT_EQ(p1["shot"]["index"], 0);
  EXPECT_EQ(p1["shot"]["text"], "A red circle over the sea.");
  EXPECT_EQ(p1["image_url"], base + "/frames/1.png");
  EXPECT_TRUE(p1["map_url"].is_null());
  std::map<std::string, int> roles;
  double denoiser_sum = 0;
  for (const json& e : p1["entries"]) {
    roles[e["role"]]++;
    ASSERT_TRUE(e["record"].is_object()) << e.dump();
    EXPECT_EQ(e["record"]["id"], e["record_id"]);
    if (e["role"] == "denoiser") denoiser_sum += e["weight"].get<double>();
  }
  EXPECT_EQ(roles["keyframe"], 1);
  EXPECT_EQ(roles["guidance"], 1);
  EXPECT_EQ(roles["denoiser"], 2);
  EXPECT_NEAR(denoiser_sum, 0.5, 1e-9);
  double pixel_sum = 0;
  for (const json& e : p1["entries"])
    if (e["role"] != "guidance") pixel_sum += e["weight"].get<double>();
  EXPECT_NEAR(pixel_sum, 1.0, 1e-9);  // the documented rule: a frame's pixel weights sum to 1
  // Pixel roles first, by weight; guidance last.
  EXPECT_EQ(p1["entries"][0]["role"], "keyframe");
  EXPECT_EQ(p1["entries"].back()["role"], "guidance");
  EXPECT_EQ(p1["entries"].back()["record"]["kind"], "text");
  EXPECT_EQ(p1["entries"][1]["record"]["thumbnail_url"], "/api/v1/records/" + std::to_string(images_[0]) + "/thumbnail.jpg");

  auto p5 = get_json(base + "/frames/5/provenance", 200);
  EXPECT_EQ(p5["shot"]["index"], 1);
  EXPECT_EQ(p5["shot"]["text"], "A blue square in the snow.");
  EXPECT_EQ(p5["entries"][0]["record_id"], images_[1]);
  EXPECT_NE(p1["entries"].dump(), p5["entries"].dump());

  auto p0 = get_json(base + "/frames/0/provenance", 200);
  EXPECT_EQ(p0["map_url"], base + "/frames/0/map.png");

  expect_error(client_->Get((base + "/frames/6/provenance").c_str()), 404, "past the end", "frame_out_of_range");
  expect_error(client_->Get((base + "/frames/x/provenance").c_str()), 400, "frame x");

  // Reverse provenance: the record page lists this film's frames.
  auto uses = get_json("/api/v1/records/" + std::to_string(images_[2]) + "/films", 200);
  ASSERT_EQ(uses["films"].size(), 1u);
  EXPECT_EQ(uses["films"][0]["film_id"], id);
  EXPECT_EQ(uses["films"][0]["frames"].size(), 6u);
  for (const json& use : uses["films"][0]["frames"]) EXPECT_EQ(use["role"], "denoiser") << use.dump();  // its spelling, not a number
}

TEST_F(FilmsApiTest, FilmProvenanceAndOtio) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string base = "/api/v1/films/" + std::to_string(id);
  auto prov = get_json(base + "/provenance", 200);
  EXPECT_EQ(prov["frames_rendered"], 6);
  ASSERT_FALSE(prov["shares"].empty());
  double keyframe_share = 0;
  for (const json& s : prov["shares"])
    if (s["role"] == "keyframe") keyframe_share += s["share"].get<double>();
  EXPECT_NEAR(keyframe_share, 0.5, 1e-9);
  ASSERT_EQ(prov["shots"].size(), 2u);
  EXPECT_EQ(prov["shots"][0]["keyframes"][0]["record"]["id"], images_[0]);
  EXPECT_EQ(prov["shots"][0]["guidance"][0]["record"]["kind"], "text");
  // Per shot, what its rendered frames drew on: shot 0 is frames 0-3, shot 1 frames 4-5.
  auto share_of = [&](int shot, std::int64_t record, const std::string& role) {
    for (const json& s : prov["shots"][shot]["shares"])
      if (s["record_id"] == record && s["role"] == role) return s["share"].get<double>();
    return -1.0;
  };
  EXPECT_NEAR(share_of(0, images_[0], "keyframe"), 0.5, 1e-9);
  EXPECT_NEAR(share_of(0, images_[0], "denoiser"), (0.35 + 0.3 + 0.25 + 0.2) / 4, 1e-9);
  EXPECT_NEAR(share_of(0, images_[2], "denoiser"), (0.15 + 0.2 + 0.25 + 0.3) / 4, 1e-9);
  EXPECT_NEAR(share_of(0, text_id_, "guidance"), 1.0, 1e-9);
  EXPECT_NEAR(share_of(1, images_[1], "keyframe"), 0.5, 1e-9);
  EXPECT_NEAR(share_of(1, images_[0], "denoiser"), (0.15 + 0.1) / 2, 1e-9);
  EXPECT_NEAR(share_of(1, images_[2], "denoiser"), (0.35 + 0.4) / 2, 1e-9);
  EXPECT_EQ(share_of(1, text_id_, "guidance"), -1.0);  // shot 1 had no guidance
  EXPECT_EQ(share_of(1, images_[0], "keyframe"), -1.0);
  EXPECT_EQ(prov["shots"][1]["shares"][0]["record"]["id"], images_[1]);  // keyframes first

  auto otio = client_->Get((base + "/timeline.otio").c_str());
  ASSERT_TRUE(otio);
  EXPECT_EQ(otio->status, 200);
  auto doc = json::parse(otio->body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["OTIO_SCHEMA"], "Timeline.1");
  EXPECT_NE(otio->get_header_value("Content-Disposition").find(".otio"), std::string::npos);
}

TEST_F(FilmsApiTest, VideoWithRanges) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string path = "/api/v1/films/" + std::to_string(id) + "/video.mp4";
  auto whole = client_->Get(path.c_str());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(whole->body, video_);
  auto part = client_->Get(path.c_str(), {{"Range", "bytes=100-199"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, video_.substr(100, 100));
  EXPECT_NE(part->get_header_value("Content-Range").find("bytes 100-199/"), std::string::npos);
  auto tail = client_->Get(path.c_str(), {{"Range", "bytes=-10"}});
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body, video_.substr(video_.size() - 10));
  expect_error(client_->Get(path.c_str(), {{"Range", "bytes=999999-"}}), 416, "range past the end", "range_not_satisfiable");
  // Not rendered yet: no video.
  {
    Catalog catalog(db_);
    catalog.films().set_render(id, FilmStatus::rendering, 0.5);
  }
  expect_error(client_->Get(path.c_str()), 404, "video of a rendering film", "not_ready");
  {
    Catalog catalog(db_);
    catalog.films().set_render(id, FilmStatus::done, 1);
  }
  fs::remove(dir_ / ("films/c.db." + std::to_string(id) + "/film.mp4"));
  expect_error(client_->Get(path.c_str()), 410, "video file gone", "gone");
}

TEST_F(FilmsApiTest, DeleteNeedsTheTokenAndRemovesTheFilm) {
  const std::int64_t id = make_fake_film();
  {
    // Its folder is where the server renders films: <catalog folder>/films/<catalog file>.<id>.
    Catalog catalog(db_);
    ASSERT_EQ(fs::weakly_canonical(default_film_dir(catalog, id)), fs::weakly_canonical(dir_ / ("films/c.db." + std::to_string(id))));
    // Another catalog in the same folder never shares it; the default catalog keeps films/<id>.
    Catalog other(dir_ / "d.db");
    Catalog usual(dir_ / "palimpsest.db");
    EXPECT_NE(default_film_dir(other, id), default_film_dir(catalog, id));
    EXPECT_EQ(default_film_dir(usual, id).filename(), std::to_string(id));
    EXPECT_NE(default_film_dir(usual, id), default_film_dir(catalog, id));
  }
  start("s3cret");
  const std::string path = "/api/v1/films/" + std::to_string(id);
  expect_error(client_->Delete(path.c_str()), 401, "no token", "unauthorized");
  expect_error(client_->Delete(path.c_str(), {{"Authorization", "Bearer nope"}}), 401, "wrong token");
  expect_error(client_->Delete("/api/v1/films/abc", {{"Authorization", "Bearer s3cret"}}), 400, "bad id");
  expect_error(client_->Delete("/api/v1/films/4242", {{"Authorization", "Bearer s3cret"}}), 404, "unknown film");
  auto ok = client_->Delete(path.c_str(), {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["files_removed"], true);
  EXPECT_FALSE(fs::exists(dir_ / ("films/c.db." + std::to_string(id))));
  expect_error(client_->Get(path.c_str()), 404, "deleted film");
  expect_error(client_->Get((path + "/frames/0/provenance").c_str()), 404, "deleted film's frame");
  auto uses = get_json("/api/v1/records/" + std::to_string(images_[2]) + "/films", 200);
  EXPECT_TRUE(uses["films"].empty());
}

TEST_F(FilmsApiTest, PostRefusesBadInput) {
  start("tok");
  expect_error(client_->Post("/api/v1/films", json{{"manuscript", "x"}}.dump(), "application/json"), 401, "no token");
  auto post = [&](const std::string& body, const std::string& type = "application/json") {
    return client_->Post("/api/v1/films", {{"Authorization", "Bearer tok"}}, body, type.c_str());
  };
  expect_error(post("{\"manuscript\": "), 400, "truncated JSON", "invalid_json");
  expect_error(post("not json at all"), 400, "not JSON", "invalid_json");
  expect_error(post(""), 400, "empty body", "invalid_json");
  expect_error(post("[1, 2]"), 400, "array body");
  expect_error(post("{}"), 400, "no manuscript");
  expect_error(post(json{{"manuscript", 42}}.dump()), 400, "manuscript not a string");
  expect_error(post(json{{"manuscript", ""}}.dump()), 400, "empty manuscript");
  expect_error(post(json{{"manuscript", "A red circle."}, {"fps", "fast"}}.dump()), 400, "fps a string");
  expect_error(post(json{{"manuscript", "A red circle."}, {"fps", 1000}}.dump()), 400, "fps too high");
  expect_error(post(json{{"manuscript", "A red circle."}, {"width", 33}}.dump()), 400, "odd width");
  expect_error(post(json{{"manuscript", "A red circle."}, {"width", 1.5}}.dump()), 400, "fractional width");
  expect_error(post(json{{"manuscript", "A red circle."}, {"size", "big"}}.dump()), 400, "size big");
  expect_error(post(json{{"manuscript", "A red circle."}, {"steps", 0}}.dump()), 400, "zero steps");
  expect_error(post(json{{"manuscript", "A red circle."}, {"seed", -1}}.dump()), 400, "negative seed");
  expect_error(post(json{{"manuscript", "A red circle."}, {"format", "docx"}}.dump()), 400, "unknown format");
  expect_error(post(json{{"manuscript", "A red circle."}, {"denoiser", 3}}.dump()), 400, "denoiser a number");
  expect_error(post(json{{"manuscript", "A red circle."}, {"attribution_maps", "yes"}}.dump()), 400, "maps a string");
  expect_error(post(json{{"manuscript", "A red circle."}, {"colour", "red"}}.dump()), 400, "unknown field");
  expect_error(post(json{{"manuscript", "A red circle."}}.dump(), "text/plain"), 415, "text/plain body");
  expect_error(post(json{{"manuscript", std::string(70 << 10, 'a')}}.dump()), 413, "manuscript over its limit");
  expect_error(post(std::string(2 << 20, ' ')), 413, "body over the server's limit");
  expect_error(post("{\"manuscript\": \"\xff\xfe bad utf-8\"}"), 400, "invalid UTF-8 in the JSON", "invalid_json");
  expect_error(post(json{{"manuscript", "\n\n   \n"}}.dump()), 422, "a manuscript without shots", "invalid_manuscript");
  expect_error(post(json{{"manuscript", "A red circle. [[strength: 0:(9)]]"}}.dump()), 422, "parameter out of range", "invalid_manuscript");
  expect_error(post(json{{"manuscript", "A red circle. [[duration: 9999s]]"}}.dump()), 422, "too many frames", "too_long");
  // Still alive, nothing queued.
  EXPECT_EQ(get_json("/api/v1/health", 200)["status"], "ok");
  EXPECT_TRUE(get_json("/api/v1/films", 200)["films"].empty());
}

TEST_F(FilmsApiTest, PostTakesThePlanningControlsAndSaysWhatEachShotFound) {
  start("tok");
  // A dry run: the plan, no film, no job.
  auto res = post_film({{"manuscript", kManuscript}, {"dry_run", true}}, "tok");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json plan = json::parse(res->body);
  EXPECT_TRUE(plan["dry_run"].get<bool>());
  EXPECT_EQ(plan["pictures"]["own"], 2) << plan.dump();
  EXPECT_TRUE(plan["warnings"].empty());
  ASSERT_EQ(plan["shots"].size(), 2u);
  EXPECT_EQ(plan["shots"][0]["pictures"]["status"], "own");
  EXPECT_EQ(plan["shots"][0]["keyframes"][0]["record_id"], images_[0]);
  EXPECT_TRUE(get_json("/api/v1/films", 200)["films"].empty());

  // Excluded records are never used; pins win; kinds and archive restrict the search.
  res = post_film({{"manuscript", kManuscript}, {"dry_run", true}, {"exclude", {images_[0]}}, {"pins", {{"1", {images_[2]}}}}}, "tok");
  ASSERT_EQ(res->status, 200) << res->body;
  plan = json::parse(res->body);
  for (const json& shot : plan["shots"])
    for (const json& k : shot["keyframes"]) EXPECT_NE(k["record_id"], images_[0]) << shot.dump();
  EXPECT_EQ(plan["shots"][1]["keyframes"][0]["record_id"], images_[2]);
  EXPECT_TRUE(plan["shots"][1]["keyframes"][0]["pinned"].get<bool>());
  res = post_film({{"manuscript", kManuscript}, {"dry_run", true}, {"kinds", {"text"}}, {"borrow_seconds", 0}}, "tok");
  ASSERT_EQ(res->status, 200) << res->body;
  plan = json::parse(res->body);
  EXPECT_EQ(plan["pictures"]["empty"], 2) << plan.dump();
  ASSERT_EQ(plan["warnings"].size(), 2u);
  EXPECT_EQ(plan["warnings"][0].get<std::string>().rfind("shot 0 (line 5)", 0), 0u) << plan["warnings"].dump();

  expect_error(post_film({{"manuscript", kManuscript}, {"archive", "nope"}}, "tok"), 404, "unknown archive", "not_found");
  expect_error(post_film({{"manuscript", kManuscript}, {"pins", {{"1", {99999}}}}}, "tok"), 404, "unknown pinned record", "not_found");
  expect_error(post_film({{"manuscript", kManuscript}, {"pins", {{"9", {images_[1]}}}}}, "tok"), 422, "pin past the last shot");
  expect_error(post_film({{"manuscript", kManuscript}, {"pins", {{"one", {images_[1]}}}}}, "tok"), 400, "pin shot not a number");
  expect_error(post_film({{"manuscript", kManuscript}, {"exclude", {"x"}}}, "tok"), 400, "exclude not ids");
  expect_error(post_film({{"manuscript", kManuscript}, {"kinds", {"painting"}}}, "tok"), 400, "unknown kind");
  expect_error(post_film({{"manuscript", kManuscript}, {"threshold", "high"}}, "tok"), 400, "threshold a string");
  expect_error(post_film({{"manuscript", kManuscript}, {"borrow_seconds", -1}}, "tok"), 400, "negative borrowing");
  expect_error(post_film({{"manuscript", kManuscript}, {"dry_run", "yes"}}, "tok"), 400, "dry_run a string");
  EXPECT_TRUE(get_json("/api/v1/films", 200)["films"].empty());

  // The same manuscript planned the same way again is the same film, its job answered as it is.
  res = post_film({{"manuscript", kManuscript}, {"title", "Again"}}, "tok");
  ASSERT_EQ(res->status, 202) << res->body;
  const json first = json::parse(res->body);
  EXPECT_FALSE(first["reused"].get<bool>());
  EXPECT_EQ(first["pictures"]["own"], 2);
  res = post_film({{"manuscript", kManuscript}, {"title", "Again"}}, "tok");
  ASSERT_EQ(res->status, 202) << res->body;
  const json second = json::parse(res->body);
  EXPECT_TRUE(second["reused"].get<bool>());
  EXPECT_EQ(second["id"], first["id"]);
  EXPECT_EQ(second["job"]["id"], first["job"]["id"]);
  EXPECT_EQ(get_json("/api/v1/films", 200)["films"].size(), 1u);
  const json film = get_json("/api/v1/films/" + std::to_string(first["id"].get<std::int64_t>()), 200);
  EXPECT_EQ(film["title"], "Again");
  EXPECT_EQ(film["pictures"]["own"], 2);
  EXPECT_TRUE(film["warnings"].empty());
  EXPECT_EQ(film["shots"][0]["pictures"]["status"], "own");
  EXPECT_EQ(film["shots"][0]["keyframes"][0]["record"]["id"], images_[0]);
}

TEST_F(FilmsApiTest, PathTraversalInEveryFilmPathParameter) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string f = std::to_string(id);
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/films/..%2F..%2Fetc%2Fpasswd", "/api/v1/films/../../etc/passwd", "/api/v1/films/%2e%2e/video.mp4",
        "/api/v1/films/" + f + "/frames/..%2F..%2F..%2Fetc%2Fpasswd.png", "/api/v1/films/" + f + "/frames/../../film.mp4",
        "/api/v1/films/" + f + "/frames/%2e%2e%2fframes%2f000000.png", "/api/v1/films/" + f + "/frames/0%00.png",
        "/api/v1/films/" + f + "/frames/..%2F0/map.png", "/api/v1/films/" + f + "/frames/%2F/provenance",
        "/api/v1/films/%00/provenance", "/api/v1/films/1;rm/timeline.otio", "/api/v1/films/" + f + "/frames/000000.png/../..",
        "/api/v1/films/" + f + "/frames/0.png%2F..%2F..%2Fetc%2Fpasswd"}) {
    auto res = client_->Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_TRUE(res->status == 400 || res->status == 404) << path << " -> " << res->status << " " << res->body;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
    EXPECT_EQ(res->body.find("\x89PNG"), std::string::npos) << path;
  }
  EXPECT_EQ(get_json("/api/v1/health", 200)["status"], "ok");
}

TEST_F(FilmsApiTest, ForeignHostHeaderIsRefused) {
  start();
  // DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends its own Host.
  expect_error(client_->Get("/api/v1/films", {{"Host", "evil.example:8080"}}), 403, "foreign host", "forbidden_host");
  auto local = client_->Get("/api/v1/films", {{"Host", "localhost:8080"}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
}

TEST_F(FilmsApiTest, EveryDocumentedFilmRouteIsServed) {
  const std::int64_t id = make_fake_film();
  start();
  // DELETE last: it removes the film the others need.
  auto routes = server::documented_routes();
  std::stable_partition(routes.begin(), routes.end(), [](const auto& r) { return r.method != "delete"; });
  for (const auto& route : routes) {
    if (route.path.rfind("/api/v1/films", 0) != 0) continue;
    std::string path = route.path;
    if (auto at = path.find("{id}"); at != std::string::npos) path.replace(at, 4, std::to_string(id));
    if (auto at = path.find("{n}"); at != std::string::npos) path.replace(at, 3, "0");
    httplib::Result res = route.method == "post"     ? post_film({{"manuscript", "A red circle over the sea."}, {"width", 32}, {"height", 24}, {"fps", 2}})
                          : route.method == "delete" ? client_->Delete(path.c_str())
                                                     : client_->Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_GE(res->status, 200) << route.method << " " << path;
    EXPECT_LT(res->status, 300) << route.method << " " << path << ": " << res->body;
  }
}

// The whole path: a manuscript in, a job queued and run by the server's worker, frames with
// provenance out.
TEST_F(FilmsApiTest, PostedManuscriptIsPlannedAndRendered) {
  start("tok", /*workers=*/1);
  auto res = post_film({{"manuscript", kManuscript}, {"format", "fountain"}, {"size", "32x24"}, {"fps", 4},
                        {"steps", 4}, {"seed", 7}, {"denoiser", "global"}},
                       "tok");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  auto body = json::parse(res->body);
  const std::int64_t id = body["id"];
  EXPECT_EQ(res->get_header_value("Location"), "/api/v1/films/" + std::to_string(id));
  EXPECT_EQ(body["title"], "Two Stills");
  EXPECT_EQ(body["frame_count"], 8);
  EXPECT_TRUE(body["job"].is_object());
  auto film = wait_for_film(id, [](const json& f) { return f["status"] == "done" || f["status"] == "failed"; });
  ASSERT_EQ(film["status"], "done") << film.dump();
  EXPECT_EQ(film["job"]["state"], "done");
  EXPECT_EQ(film["frames_rendered"], 8);
  auto p = get_json("/api/v1/films/" + std::to_string(id) + "/frames/5/provenance", 200);
  EXPECT_EQ(p["shot"]["index"], 1);
  ASSERT_FALSE(p["entries"].empty());

  // One provenance shape: the API's frame (less its links, record summaries and map colours), the
  // film's provenance.json and `palimpsest provenance --frame --json` say the same thing the same way.
  json api = {{"frame", p["frame"]},
              {"shot", p["shot"]["index"]},
              {"diffused", p["diffused"]},
              {"entries", p["entries"]},
              {"heard", p["heard"]},
              {"metrics", p["metrics"]}};
  for (json& e : api["entries"]) {
    e.erase("record");
    e.erase("colour");  // the map colour is the API's, for the viewer's legend
  }
  // The server's films have sound; stills are silent, so frame 5 hears nothing.
  EXPECT_EQ(api["heard"]["records"], json::array()) << p.dump();
  std::string output_dir;
  {
    Catalog catalog(db_);
    output_dir = catalog.films().get(id, false)->output_dir;
  }
  const json file = json::parse(testing::read_file(fs::path(output_dir) / "provenance.json"));
  ASSERT_EQ(file["frames"].size(), 8u);
  EXPECT_EQ(file["frames"][5], api);
  const auto cli = testing::run_palimpsest({"--db", db_.string(), "provenance", std::to_string(id), "--frame", "5", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json from_cli = json::parse(cli.out);
  EXPECT_EQ(from_cli["film_id"], id);
  from_cli.erase("film_id");
  EXPECT_EQ(from_cli, api);
  auto video = client_->Get(film["video_url"].get<std::string>().c_str(), {{"Range", "bytes=4-11"}});
  ASSERT_TRUE(video);
  EXPECT_EQ(video->status, 206);
  EXPECT_EQ(video->body, "ftypisom");
}

// The provenance of a film's sound: one shape for a frame in the API (less its links, record
// summaries and map colours), provenance.json and `palimpsest provenance --frame --json`; each record's share of
// the sound; and where a record is heard (reverse provenance).
TEST_F(FilmsApiTest, SoundProvenanceHasOneShapeEverywhere) {
  testing::SoundArchive archive;
  {
    Catalog catalog(db_);
    archive = testing::make_sound_archive(catalog, dir_.path());
    FilmMakeOptions options;
    options.settings.denoiser = DenoiserKind::global;
    make_film(catalog, archive.film, options);
  }
  start();
  const std::string base = "/api/v1/films/" + std::to_string(archive.film);
  json p = get_json(base + "/frames/60/provenance", 200);
  ASSERT_EQ(p["heard"]["records"].size(), 2u) << p.dump();
  EXPECT_EQ(p["heard"]["records"][1]["record"]["kind"], "audio");
  EXPECT_EQ(p["heard"]["records"][0]["record"]["kind"], "frame");
  json api = {{"frame", p["frame"]}, {"shot", p["shot"]["index"]}, {"diffused", p["diffused"]}, {"entries", p["entries"]},
              {"heard", p["heard"]}, {"metrics", p["metrics"]}};
  for (json& e : api["entries"]) {
    e.erase("record");
    e.erase("colour");
  }
  for (json& h : api["heard"]["records"]) h.erase("record");
  Catalog catalog(db_);
  const json file = json::parse(testing::read_file(fs::path(catalog.films().get(archive.film, false)->output_dir) / "provenance.json"));
  EXPECT_EQ(file["frames"][60], api);
  const auto cli = testing::run_palimpsest({"--db", db_.string(), "provenance", std::to_string(archive.film), "--frame", "60", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json from_cli = json::parse(cli.out);
  from_cli.erase("film_id");
  EXPECT_EQ(from_cli, api);

  // The film: each record's share of the sound, with its summary.
  json film = get_json(base + "/provenance", 200);
  ASSERT_TRUE(film["sound"].is_object()) << film.dump();
  EXPECT_EQ(film["sound"]["interval"], "frame");
  EXPECT_NEAR(film["sound"]["output_lufs"].get<double>(), -23.0, 1.0);
  ASSERT_EQ(film["sound"]["shares"].size(), 3u);
  double total = 0;
  for (json& s : film["sound"]["shares"]) {
    total += s["share"].get<double>();
    EXPECT_TRUE(s["record"].is_object());
    s.erase("record");
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(film["sound"], file["sound"]);

  // Reverse provenance: where the tone is heard (it is in no picture's pixels, only guidance).
  json uses = get_json("/api/v1/records/" + std::to_string(archive.tone_record) + "/films", 200);
  ASSERT_EQ(uses["films"].size(), 1u) << uses.dump();
  EXPECT_EQ(uses["films"][0]["film_id"], archive.film);
  ASSERT_EQ(uses["films"][0]["heard"].size(), 24u);
  EXPECT_GE(uses["films"][0]["heard"][0]["first_frame"].get<int>(), 48);
  json seen = get_json("/api/v1/records/" + std::to_string(archive.still) + "/films", 200);
  ASSERT_EQ(seen["films"].size(), 1u);
  EXPECT_EQ(seen["films"][0]["heard"], json::array()) << "a still is seen, never heard";
  EXPECT_FALSE(seen["films"][0]["frames"].empty());
}

TEST_F(FilmsApiTest, PostedFilmsMayBeSilent) {
  start("tok");
  auto bad = post_film({{"manuscript", "A red circle."}, {"sound", "no"}}, "tok");
  expect_error(bad, 400, "sound as a string", "bad_request");
  auto res = post_film({{"manuscript", "A red circle."}, {"size", "32x24"}, {"sound", false}}, "tok");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  Catalog catalog(db_);
  const auto job = catalog.jobs().latest(json::parse(res->body)["id"].get<std::int64_t>());
  ASSERT_TRUE(job);
  EXPECT_EQ(job->options["sound"], false);
}

// A job left "running" by a server that died is resumed by the next one; one that died too often
// is failed with the reason. Neither stays "running".
TEST_F(FilmsApiTest, OrphanedJobsAreResumedOrFailed) {
  std::int64_t resumed_film = 0, failed_film = 0;
  {
    Catalog catalog(db_);
    TimelineOptions options;
    options.fps = 4;
    options.width = 32;
    options.height = 24;
    for (std::int64_t* film : {&resumed_film, &failed_film}) {
      Timeline t = plan_shots("A red circle over the sea. [[duration: 1s]]\n", ManuscriptFormat::text, options, "m.txt");
      t.shots[0].keyframes.push_back({images_[0], 0, false, 1});
      t.planned = true;
      *film = catalog.films().create("orphan", "m.txt", t.to_json(true), json::object());
      catalog.films().set_output(*film, "", "", t.frame_count);
      catalog.jobs().create(*film, {{"denoiser", "global"}});
    }
    // A dead server claimed both: the first once, the second as often as allowed.
    ASSERT_TRUE(catalog.jobs().claim("dead-host:1:x"));
    for (int i = 0; i < 3; ++i) {
      auto j = catalog.jobs().claim("dead-host:1:x");
      ASSERT_TRUE(j);
      if (i < 2) ASSERT_TRUE(catalog.jobs().finish(j->id, "dead-host:1:x", JobState::queued));
    }
    catalog.films().set_render(resumed_film, FilmStatus::rendering, 0.25);
    EXPECT_EQ(catalog.jobs().count(JobState::running), 2);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  start("", /*workers=*/1, /*stale_s=*/0.5);
  auto resumed = wait_for_film(resumed_film, [](const json& f) { return f["status"] == "done" || f["status"] == "failed"; });
  EXPECT_EQ(resumed["status"], "done") << resumed.dump();
  EXPECT_EQ(resumed["job"]["state"], "done");
  EXPECT_EQ(resumed["job"]["attempts"], 2);
  auto failed = get_json("/api/v1/films/" + std::to_string(failed_film) + "?timeline=0", 200);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["job"]["state"], "failed");
  EXPECT_NE(failed["error"].get<std::string>().find("interrupted"), std::string::npos) << failed.dump();
  Catalog catalog(db_);
  EXPECT_EQ(catalog.jobs().count(JobState::running), 0);
}

// Deleting a film while the server renders it cancels the job and removes its files.
TEST_F(FilmsApiTest, DeleteWhileRenderingCancelsTheJob) {
  start("", /*workers=*/1);
  auto res = post_film({{"manuscript", "A red circle over the sea. [[duration: 20s]]\n"}, {"format", "text"},
                        {"size", "64x48"}, {"fps", 4}, {"steps", 8}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::int64_t id = json::parse(res->body)["id"];
  auto film = wait_for_film(id, [](const json& f) { return f["frames_rendered"].get<int>() >= 1 || f["status"] != "planned"; });
  auto del = client_->Delete(("/api/v1/films/" + std::to_string(id)).c_str());
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 200) << del->body;
  auto body = json::parse(del->body);
  if (body["was_rendering"].get<bool>()) EXPECT_TRUE(body["files_removed"].get<bool>()) << del->body;
  expect_error(client_->Get(("/api/v1/films/" + std::to_string(id)).c_str()), 404, "deleted film");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(fs::exists(dir_ / ("films/c.db." + std::to_string(id)))) << "a cancelled render wrote files after the delete";
  Catalog catalog(db_);
  EXPECT_EQ(catalog.jobs().count(JobState::running), 0);
  EXPECT_EQ(get_json("/api/v1/health", 200)["status"], "ok");
}

// Stopping the server mid-render hands the job back; the next server finishes it.
TEST_F(FilmsApiTest, RestartResumesARender) {
  start("", /*workers=*/1);
  auto res = post_film({{"manuscript", "A red circle over the sea. [[duration: 6s]]\n\nA blue square in the snow. [[duration: 6s]]\n"},
                        {"format", "text"}, {"size", "64x48"}, {"fps", 4}, {"steps", 8}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::int64_t id = json::parse(res->body)["id"];
  wait_for_film(id, [](const json& f) { return f["frames_rendered"].get<int>() >= 2 || f["status"] == "done"; });
  stop();
  {
    Catalog catalog(db_);
    auto job = catalog.jobs().latest(id);
    ASSERT_TRUE(job);
    auto film = catalog.films().get(id);
    if (film->status != FilmStatus::done) {
      EXPECT_EQ(job->state, JobState::queued) << job->error;
    }
  }
  start("", /*workers=*/1);
  auto film = wait_for_film(id, [](const json& f) { return f["status"] == "done" || f["status"] == "failed"; });
  EXPECT_EQ(film["status"], "done") << film.dump();
  EXPECT_EQ(film["frames_rendered"], 48);
}

// ---- What the viewer reads: map colours, render states, credits ----

using server::record_colour_hex;

// The map legend matches map pixels to records by colour: each pixel entry and share carries the
// colour synth draws the record in; guidance, which lends no pixels, has none.
TEST_F(FilmsApiTest, ProvenanceCarriesEachRecordsMapColour) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string base = "/api/v1/films/" + std::to_string(id);
  const json p = get_json(base + "/frames/1/provenance", 200);
  std::set<std::string> colours;
  for (const json& e : p["entries"]) {
    if (e["role"] == "guidance") {
      EXPECT_TRUE(e["colour"].is_null()) << e.dump();
      continue;
    }
    EXPECT_EQ(e["colour"], record_colour_hex(e["record_id"].get<std::int64_t>())) << e.dump();
    colours.insert(e["colour"].get<std::string>());
  }
  EXPECT_EQ(colours.size(), 2u);  // images 0 and 2: two records, two colours
  const json film = get_json(base + "/provenance", 200);
  for (const json& s : film["shares"])
    if (s["role"] != "guidance") EXPECT_EQ(s["colour"], record_colour_hex(s["record_id"].get<std::int64_t>())) << s.dump();
  for (const json& s : film["shots"][0]["shares"])
    if (s["role"] != "guidance") EXPECT_EQ(s["colour"], record_colour_hex(s["record_id"].get<std::int64_t>())) << s.dump();
}

// A film left "rendering" by a process that died (no job, no progress) is shown as stopped, with
// how to resume it, not as rendering forever; a done film stays done.
TEST_F(FilmsApiTest, ARenderWithoutProgressIsStopped) {
  const std::int64_t done = make_fake_film();
  const std::int64_t id = make_fake_film();
  Catalog(db_).films().set_render(id, FilmStatus::rendering, 0.4);
  start();
  const std::string path = "/api/v1/films/" + std::to_string(id) + "?timeline=0";
  EXPECT_EQ(get_json(path, 200)["render"]["state"], "rendering");  // progress just now
  stop();
  render_stale_s_ = 0;
  start();
  const json film = get_json(path, 200);
  EXPECT_EQ(film["status"], "rendering");  // the catalog's word, unchanged
  EXPECT_EQ(film["render"]["state"], "stopped");
  EXPECT_NE(film["render"]["note"].get<std::string>().find("palimpsest make --film " + std::to_string(id)), std::string::npos)
      << film["render"].dump();
  for (const json& f : get_json("/api/v1/films", 200)["films"]) {
    EXPECT_EQ(f["render"]["state"], f["id"] == id ? "stopped" : "done") << f.dump();
    if (f["id"] == done) EXPECT_TRUE(f["render"]["note"].is_null());
  }
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') rows.back().back() += text[i++];
      else if (c == '"') quoted = false;
      else rows.back().back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

// "0-3 5" -> {0, 1, 2, 3, 5}
std::set<std::int64_t> expand_ranges(const std::string& text) {
  std::set<std::int64_t> out;
  std::istringstream in(text);
  std::string range;
  while (in >> range) {
    const auto dash = range.find('-');
    const std::int64_t first = std::stoll(range.substr(0, dash));
    const std::int64_t last = dash == std::string::npos ? first : std::stoll(range.substr(dash + 1));
    for (std::int64_t f = first; f <= last; ++f) out.insert(f);
  }
  return out;
}

// The credits report says what the provenance API says: a line per record and role with the same
// share and frame count as /films/{id}/provenance, frame ranges that are exactly the frames whose
// provenance names the record in that role, and the record's source file.
TEST_F(FilmsApiTest, CreditsAgreeWithTheProvenanceApi) {
  const std::int64_t id = make_fake_film();
  start();
  const std::string base = "/api/v1/films/" + std::to_string(id);
  auto csv = client_->Get((base + "/credits.csv").c_str());
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("film-" + std::to_string(id) + "-credits.csv"), std::string::npos);
  const auto rows = parse_csv(csv->body);
  ASSERT_GE(rows.size(), 2u) << csv->body;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"record_id", "kind", "title", "source", "role", "share", "frames",
                                                "seconds", "frame_ranges"}));
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> lines;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 9u) << csv->body;
    EXPECT_TRUE(lines.emplace(std::make_pair(std::stoll(rows[i][0]), rows[i][4]), rows[i]).second) << "twice: " << rows[i][0];
  }
  const json provenance = get_json(base + "/provenance", 200);
  ASSERT_EQ(lines.size(), provenance["shares"].size()) << csv->body;
  for (const json& share : provenance["shares"]) {
    const auto it = lines.find({share["record_id"].get<std::int64_t>(), share["role"].get<std::string>()});
    ASSERT_NE(it, lines.end()) << share.dump();
    EXPECT_NEAR(std::stod(it->second[5]), share["share"].get<double>(), 1e-6) << share.dump();
    EXPECT_EQ(it->second[6], std::to_string(share["frames"].get<std::int64_t>())) << share.dump();
  }
  std::map<std::pair<std::int64_t, std::string>, std::set<std::int64_t>> frames_of;
  for (int n = 0; n < 6; ++n) {
    const json frame = get_json(base + "/frames/" + std::to_string(n) + "/provenance", 200);
    for (const json& e : frame["entries"]) frames_of[{e["record_id"].get<std::int64_t>(), e["role"].get<std::string>()}].insert(n);
  }
  for (const auto& [key, row] : lines) EXPECT_EQ(expand_ranges(row[8]), frames_of[key]) << row[0] << " " << row[4];
  auto line = [&](std::int64_t record, const std::string& role) { return lines[{record, role}]; };
  const auto key0 = line(images_[0], "keyframe");
  EXPECT_EQ(key0[8], "0-3");
  EXPECT_EQ(key0[1], "image");
  EXPECT_EQ(key0[2], "red circle over the sea");
  EXPECT_EQ(fs::path(key0[3]).filename(), "still0.png");
  EXPECT_EQ(line(images_[1], "keyframe")[8], "4-5");
  EXPECT_EQ(line(text_id_, "guidance")[8], "0-3");

  auto html = client_->Get((base + "/credits.html").c_str());
  ASSERT_TRUE(html);
  ASSERT_EQ(html->status, 200);
  EXPECT_EQ(html->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(html->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  std::size_t trs = 0;
  for (std::size_t at = html->body.find("<tr data-record="); at != std::string::npos; at = html->body.find("<tr data-record=", at + 1)) ++trs;
  EXPECT_EQ(trs, lines.size());
  EXPECT_NE(html->body.find("<a href=\"/#/film/" + std::to_string(id) + "/0\">0&ndash;3</a>"), std::string::npos);
  EXPECT_NE(html->body.find("red circle over the sea"), std::string::npos);

  expect_error(client_->Get("/api/v1/films/999/credits.csv"), 404, "no film", "not_found");
  expect_error(client_->Get("/api/v1/films/x/credits.html"), 400, "bad id");
}

}  // namespace
}  // namespace palimpsest

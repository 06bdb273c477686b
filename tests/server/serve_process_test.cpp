// `palimpsest serve` as a child process: hostile load under an address-space limit (issue 15.3,
// 15.4, 15.5: each reproducer took gigabytes), and a SIGKILL in the middle of a render job (the
// job resumes on the next start).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "schema/job_queue.h"
#include "synth/film_maker.h"
#include "tests/common/png_bomb.h"
#include "tests/common/test_support.h"
#include "tests/server/raw_http.h"

namespace palimpsest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A `palimpsest serve` child on a free loopback port; killed (SIGKILL) when destroyed.
class ServeProcess {
 public:
  ServeProcess(const fs::path& db, const fs::path& log, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {testing::palimpsest_binary(), "--db", db.string(), "serve", "--port", "0",
                                     "--token", "tok"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 2);
      dup2(fd, 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const std::regex serving("serving .* on http://127\\.0\\.0\\.1:([0-9]+)/");
    for (int i = 0; i < 600 && port_ == 0 && alive(); ++i) {
      std::smatch m;
      const std::string text = testing::read_file(log);
      if (std::regex_search(text, m, serving)) port_ = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~ServeProcess() { kill(); }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // A field of /proc/<pid>/status in bytes (VmRSS, VmHWM, VmSize).
  std::uint64_t status_bytes(const std::string& field) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
    return 0;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

json get_json(int port, const std::string& path) {
  testing::RawConnection c(port);
  c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const testing::RawResponse r = c.read_response(30);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return json::parse(r.body, nullptr, false);
}

// A catalog with captioned stills to plan films against (lexical search: no model).
fs::path make_catalog(const testing::TempDir& dir) {
  const fs::path db = dir / "c.db";
  Catalog catalog(db);
  const std::int64_t archive = catalog.ensure_archive("demo", dir.path().string());
  const char* titles[] = {"red circle over the sea", "blue square in the snow", "green ring in the forest"};
  for (int i = 0; i < 3; ++i) {
    RgbImage img(64, 48);
    for (std::size_t k = 0; k < img.pixels.size(); ++k) img.pixels[k] = static_cast<std::uint8_t>(k * (i + 3));
    const fs::path file = dir / ("still" + std::to_string(i) + ".png");
    testing::write_file(file, encode_png(img));
    SourceRow src;
    src.archive_id = archive;
    src.uri = file.string();
    src.sha256 = "sha" + std::to_string(i);
    src.kind = SourceKind::image;
    auto w = catalog.replace_source(src);
    RecordRow r;
    r.kind = RecordKind::image;
    r.title = titles[i];
    r.width = 64;
    r.height = 48;
    w.add_record(r, encode_jpeg(img));
    w.commit();
  }
  return db;
}

// Issue 15.3/15.4/15.5 under an address-space limit: four decompression bombs, four 256 MB header
// bombs and two 1 GiB chunked bodies at once. The server answers each with its refusal, stays up,
// and its peak memory grows by little (the reproducers took 3.4 GB, 9.1 GB and 2.17 GB).
TEST(ServeProcess, HostileLoadStaysWithinAnAddressSpaceLimit) {
  testing::TempDir dir;
  const fs::path db = make_catalog(dir);
  ServeProcess serve(db, dir / "serve.log", {"--threads", "4"});
  ASSERT_GT(serve.port(), 0) << testing::read_file(dir / "serve.log");
  const int port = serve.port();
  for (int i = 0; i < 20; ++i) get_json(port, "/api/v1/health");
  get_json(port, "/api/v1/search?q=red");
  const std::uint64_t idle_rss = serve.status_bytes("VmRSS");
  const std::uint64_t start_hwm = serve.status_bytes("VmHWM");
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = serve.status_bytes("VmSize") + (768ull << 20);
  ASSERT_EQ(prlimit(serve.pid(), RLIMIT_AS, &limit, nullptr), 0);

  const std::string bomb = testing::png_bomb(16000, 16000, 16000);
  std::atomic<int> bombs_refused{0}, headers_refused{0}, bodies_refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      testing::RawConnection c(port);
      c.send("POST /api/v1/search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: " +
             std::to_string(bomb.size()) + "\r\n\r\n" + bomb);
      const testing::RawResponse r = c.read_response(60);
      if (r.status == 413 && r.body.find("image_too_large") != std::string::npos) ++bombs_refused;
    });
    clients.emplace_back([&] {
      testing::RawConnection c(port);
      std::atomic<bool> done{false};
      std::thread bomber([&] {
        std::string lines;
        for (int k = 0; k < 4096; ++k) lines += "X-Bomb-" + std::to_string(k) + ": " + std::string(50, 'h') + "\r\n";
        c.send("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (std::uint64_t sent = 0; sent < (256ull << 20) && !done && c.send(lines); sent += lines.size()) {
        }
      });
      const testing::RawResponse r = c.read_response(60);
      done = true;
      bomber.join();
      if (r.status == 431) ++headers_refused;
    });
  }
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {
      testing::RawConnection c(port);
      std::atomic<bool> done{false};
      std::thread sender([&] {
        const std::string chunk = "100000\r\n" + std::string(1 << 20, 'c') + "\r\n";
        c.send("POST /api/v1/search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int k = 0; k < 1024 && !done && c.send(chunk); ++k) {
        }
      });
      const testing::RawResponse r = c.read_response(60);
      done = true;
      sender.join();
      if (r.status == 413) ++bodies_refused;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_TRUE(serve.alive()) << testing::read_file(dir / "serve.log");
  EXPECT_EQ(bombs_refused, 4);
  EXPECT_EQ(headers_refused, 4);
  EXPECT_EQ(bodies_refused, 2);
  EXPECT_EQ(get_json(port, "/api/v1/health")["status"], "ok");
  const std::uint64_t peak = serve.status_bytes("VmHWM");
  EXPECT_LT(peak, std::max(idle_rss, start_hwm) + (256ull << 20))
      << "idle " << (idle_rss >> 20) << " MiB, peak " << (peak >> 20) << " MiB";
}

// "SIGKILL of serve in the middle of a render job": the job resumes on the next start, keeps the
// frames already rendered, and finishes.
TEST(ServeProcess, KilledMidRenderTheJobResumesOnTheNextStart) {
  testing::TempDir dir;
  const fs::path db = make_catalog(dir);
  std::int64_t film = 0;
  struct stat first_frame {};
  {
    ServeProcess serve(db, dir / "serve1.log", {"--render-workers", "1"});
    ASSERT_GT(serve.port(), 0) << testing::read_file(dir / "serve1.log");
    const std::string body = json{{"manuscript", "A red circle over the sea. [[duration: 20s]]\n\n"
                                                 "A blue square in the snow. [[duration: 20s]]\n"},
                                  {"format", "text"}, {"size", "64x48"}, {"fps", 4}, {"steps", 8}}.dump();
    testing::RawConnection c(serve.port());
    c.send("POST /api/v1/films HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\n"
           "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    const testing::RawResponse r = c.read_response(60);
    ASSERT_EQ(r.status, 202) << r.body;
    film = json::parse(r.body)["id"];
    json f;
    for (int i = 0; i < 1200; ++i) {
      f = get_json(serve.port(), "/api/v1/films/" + std::to_string(film) + "?timeline=0");
      if (f["frames_rendered"].get<int>() >= 3 || f["status"] == "done" || f["status"] == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_GE(f["frames_rendered"].get<int>(), 3) << f.dump();
    ASSERT_NE(f["status"], "done") << "the render finished before the kill";
    const fs::path frame0 = dir / "films" / ("c.db." + std::to_string(film)) / "frames" / frame_file_name(0);
    ASSERT_EQ(::stat(frame0.c_str(), &first_frame), 0) << frame0;
    serve.kill();
  }
  {
    Catalog catalog(db);
    auto job = catalog.jobs().latest(film);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, JobState::running) << "a killed server cannot hand its job back";
  }
  ServeProcess again(db, dir / "serve2.log", {"--render-workers", "1"});
  ASSERT_GT(again.port(), 0) << testing::read_file(dir / "serve2.log");
  json f;
  // The dead server's heartbeat must first go stale (20 s), then the job runs again.
  for (int i = 0; i < 1800; ++i) {
    f = get_json(again.port(), "/api/v1/films/" + std::to_string(film) + "?timeline=0");
    if (f["status"] == "done" || f["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(f["status"], "done") << f.dump() << testing::read_file(dir / "serve2.log");
  EXPECT_EQ(f["frames_rendered"], 160);
  EXPECT_EQ(f["job"]["attempts"], 2);
  struct stat after {};
  const fs::path frame0 = dir / "films" / ("c.db." + std::to_string(film)) / "frames" / frame_file_name(0);
  ASSERT_EQ(::stat(frame0.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, first_frame.st_ino) << "a frame finished before the kill was rendered again";
  EXPECT_EQ(after.st_mtim.tv_nsec, first_frame.st_mtim.tv_nsec);
  EXPECT_TRUE(fs::exists(dir / "films" / ("c.db." + std::to_string(film)) / "film.mp4"));
  Catalog catalog(db);
  EXPECT_EQ(catalog.integrity_check(), "ok");
  EXPECT_EQ(catalog.jobs().count(JobState::running), 0);
}

// The limits a user may raise or lower on `serve` (schema/limits.h): a film longer than
// --max-film-frames is 422 too_long naming the flag; a body over --max-body-mb is 413.
TEST(ServeProcess, LimitFlagsSetTheServedLimits) {
  testing::TempDir dir;
  const fs::path db = make_catalog(dir);
  ServeProcess serve(db, dir / "serve.log", {"--render-workers", "0", "--max-film-frames", "24", "--max-body-mb", "1"});
  ASSERT_GT(serve.port(), 0) << testing::read_file(dir / "serve.log");
  auto post = [&](const std::string& target, const std::string& type, const std::string& body) {
    testing::RawConnection c(serve.port());
    c.send("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return c.read_response(60);
  };
  const auto film = [](int seconds) {
    return json{{"manuscript", "A red circle over the sea. [[duration: " + std::to_string(seconds) + "s]]"},
                {"format", "text"}, {"fps", 4}}.dump();
  };
  const testing::RawResponse long_film = post("/api/v1/films", "application/json", film(10));
  EXPECT_EQ(long_film.status, 422) << long_film.body;
  EXPECT_NE(long_film.body.find("too_long"), std::string::npos) << long_film.body;
  EXPECT_NE(long_film.body.find("this server's film length limit is 24 frames (palimpsest serve --max-film-frames raises it)"),
            std::string::npos)
      << long_film.body;
  EXPECT_EQ(post("/api/v1/films", "application/json", film(6)).status, 202);
  EXPECT_EQ(post("/api/v1/search?q=x", "image/png", std::string((1 << 20) + 1, 'x')).status, 413);
}

}  // namespace
}  // namespace palimpsest

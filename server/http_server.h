#pragma once
// The HTTP API and the viewer (cpp-httplib). JSON everywhere; errors are
// {"error": {"code", "message"}} with a proper status. Binds 127.0.0.1 by default; a bearer token
// guards mutating endpoints, and every endpoint when bound to a non-loopback address.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace palimpsest {

struct ServerOptions {
  std::filesystem::path db;
  std::string bind = "127.0.0.1";
  int port = 8080;                       // 0: any free port (tests)
  std::string token;                     // bearer token; required for non-loopback binds
  int threads = 8;                       // bounded worker pool
  std::size_t max_body_bytes = 8 << 20;  // request body limit (image search uploads)
  int read_timeout_s = 10;
  int write_timeout_s = 30;
  std::filesystem::path model_dir;       // CLIP model for dense search; empty: default lookup
  // Render jobs (POST /api/v1/films) run in this process, in a bounded pool.
  int render_workers = 1;                // jobs rendering at once; 0: jobs queue but never run
  double job_heartbeat_s = 2;            // a running job's heartbeat interval
  double job_stale_after_s = 20;         // a running job without a heartbeat this long is orphaned
  int job_max_attempts = 3;              // an orphaned job is resumed this many times, then failed
  std::size_t max_manuscript_bytes = 1 << 20;
  std::int64_t max_film_frames = 7200;   // longest film POST /api/v1/films accepts
  std::function<void(const std::string&)> log;  // access log lines; null: stderr
};

class HttpServer {
 public:
  // Validates options (a non-loopback bind without a token is refused) and opens the catalog.
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (port 0 picks a free one) and returns the bound port; throws when it cannot bind.
  int bind();
  // Serves until stop(); call after bind().
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

bool is_loopback_address(const std::string& host);

}  // namespace palimpsest

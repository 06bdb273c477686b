#pragma once
// The HTTP API and the viewer (cpp-httplib). JSON everywhere; errors are
// {"error": {"code", "message"}} with a proper status. Binds 127.0.0.1 by default; a bearer token
// guards mutating endpoints, and every endpoint when bound to a non-loopback address.
// Connections are read by an event loop in front of cpp-httplib (server/connection_loop.h): slow
// or hostile clients cannot hold the worker threads, and every request is refused before it is
// buffered when its head or body crosses a limit below.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "schema/limits.h"

namespace palimpsest {

struct ServerOptions {
  std::filesystem::path db;
  std::string bind = "127.0.0.1";
  int port = 8080;                       // 0: any free port (tests)
  std::string token;                     // bearer token; required for non-loopback binds
  int threads = 8;                       // bounded worker pool (requests being handled at once)
  // Limits: the served column of schema/limits.h unless a `serve` flag raised them.
  std::size_t max_body_bytes = served_limit(Limit::body_bytes);  // request body (image uploads), any framing
  std::size_t max_head_bytes = served_limit(Limit::head_bytes);  // request line and header fields together
  int max_header_fields = static_cast<int>(served_limit(Limit::header_fields));
  int max_connections = static_cast<int>(served_limit(Limit::connections));  // past it the longest-waiting unfinished one goes
  int max_connections_per_client = static_cast<int>(served_limit(Limit::connections_per_client));
  std::int64_t max_image_pixels = served_limit(Limit::image_pixels);  // search-by-image: larger JPEGs decoded reduced, others refused (413)
  std::size_t max_manuscript_bytes = served_limit(Limit::manuscript_bytes);
  FilmLimits film_limits = FilmLimits::served();  // POST /api/v1/films and the render jobs
  int read_timeout_s = 10;               // the longest pause while a request body arrives
  int write_timeout_s = 30;              // the longest wait for a client to take more of a response
  double head_timeout_s = 10;            // a request head must be complete this long after its first byte
  double idle_timeout_s = 5;             // a kept-alive connection waits this long for its next request
  std::filesystem::path model_dir;       // CLIP model for dense search; empty: default lookup
  // Render jobs (POST /api/v1/films) run in this process, in a bounded pool.
  int render_workers = 1;                // jobs rendering at once; 0: jobs queue but never run
  double job_heartbeat_s = 2;            // a running job's heartbeat interval
  double job_stale_after_s = 20;         // a running job without a heartbeat this long is orphaned
  int job_max_attempts = 3;              // an orphaned job is resumed this many times, then failed
  double render_stale_after_s = 120;     // a film "rendering" without a live job or progress this long: "stopped"
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

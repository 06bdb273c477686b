#include "server/http_server.h"

#include <arpa/inet.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <thread>
#include <cstdio>
#include <iostream>

#include "server/api_context.h"
#include "server/render_jobs.h"

namespace palimpsest {

bool is_loopback_address(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

namespace {

// Compares without an early exit, so response time does not leak how much of a token matched.
bool same_token(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % std::max<std::size_t>(1, expected.size())]);
  return diff == 0;
}

bool is_mutating(const httplib::Request& req) {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return false;
  // Image search is a query that happens to carry a body.
  return !(req.method == "POST" && req.path == "/api/v1/search");
}

std::string bearer_token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0) return header.substr(7);
  // <img>/<video> elements cannot send headers; the viewer passes the token as a parameter.
  return req.get_param_value("access_token");
}

// The Host header of a request to a loopback server: empty (HTTP/1.0), localhost, 127.x.y.z or
// [::1], with any port.
bool loopback_host_header(const std::string& host) {
  if (host.empty()) return true;
  std::string name = host;
  if (name.front() == '[') {
    const auto close = name.find(']');
    if (close == std::string::npos) return false;
    name = name.substr(1, close - 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return is_loopback_address(name);
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  std::unique_ptr<server::ApiContext> context;
  std::unique_ptr<server::RenderJobs> jobs;
  httplib::Server http;
  int port = 0;
  // stop() may race with run() entering httplib's accept loop: both sides look at these.
  std::atomic<bool> stop_requested{false};
  std::atomic<int> run_state{0};  // 0 not started, 1 in run(), 2 returned

  void log(const std::string& line) const {
    if (options.log) options.log(line);
    else std::fprintf(stderr, "%s\n", line.c_str());
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  const bool loopback = is_loopback_address(s.options.bind);
  if (!loopback && s.options.token.empty())
    throw std::invalid_argument("binding to " + s.options.bind +
                                " (not loopback) needs a token: --token or $PALIMPSEST_TOKEN");
  if (s.options.threads < 1) throw std::invalid_argument("threads must be at least 1");
  if (s.options.render_workers < 0) throw std::invalid_argument("render_workers must be at least 0");
  s.context = std::make_unique<server::ApiContext>(s.options);
  s.jobs = std::make_unique<server::RenderJobs>(s.options, [this](const std::string& line) { impl_->log(line); });

  const int threads = s.options.threads;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  s.http.set_payload_max_length(s.options.max_body_bytes);
  s.http.set_read_timeout(s.options.read_timeout_s, 0);
  s.http.set_write_timeout(s.options.write_timeout_s, 0);
  s.http.set_keep_alive_max_count(1000);
  // Headers and body go out in separate writes: with Nagle's algorithm the body waits for the
  // client's delayed ACK, 40 ms on Linux, on every keep-alive response.
  s.http.set_tcp_nodelay(true);

  s.http.set_pre_routing_handler([this, loopback](const httplib::Request& req, httplib::Response& res) {
    // DNS rebinding: a web page whose name resolves to 127.0.0.1 would otherwise be same-origin
    // with a loopback server. Its requests carry its own name in Host; refuse them.
    if (loopback && !loopback_host_header(req.get_header_value("Host"))) {
      server::send_error(res, 403, "forbidden_host", "this server answers only to a loopback Host");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string& token = impl_->options.token;
    const bool api = req.path.rfind("/api/", 0) == 0;
    const bool needs_token = !token.empty() && (is_mutating(req) || (!loopback && api));
    if (needs_token && !same_token(bearer_token(req), token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      server::send_error(res, 401, "unauthorized", "a valid bearer token is required");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  s.http.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const Error& e) {
      if (e.http_status() < 500) {
        server::send_error(res, e.http_status(), e.code(), e.what());
      } else {
        // Details go to the log, never to the client.
        impl_->log("error: " + req.method + " " + req.path + ": " + e.what());
        server::send_error(res, e.http_status(), e.code(), e.http_status() == 500 ? "internal error" : e.what());
      }
    } catch (const std::exception& e) {
      // Details go to the log, never to the client.
      impl_->log("error: " + req.method + " " + req.path + ": " + e.what());
      server::send_error(res, 500, "internal", "internal error");
    } catch (...) {
      server::send_error(res, 500, "internal", "internal error");
    }
  });

  // Unmatched routes and httplib's own refusals (413, 400...) get the JSON error shape too.
  s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string code = res.status == 404 ? "not_found"
                             : res.status == 413 ? "payload_too_large"
                             : res.status == 405 ? "method_not_allowed"
                                                 : "error";
    const std::string message = res.status == 404 ? "no such endpoint"
                                : res.status == 413 ? "request body too large"
                                : res.status == 405 ? "method not allowed"
                                                    : "request refused (HTTP " + std::to_string(res.status) + ")";
    server::send_error(res, res.status, code, message);
  });

  s.http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    impl_->log(req.remote_addr + " \"" + req.method + " " + req.path + "\" " + std::to_string(res.status) +
               " " + std::to_string(res.body.size()));
  });

  server::register_record_routes(s.http, *s.context);
  server::register_search_routes(s.http, *s.context);
  server::register_film_routes(s.http, *s.context, *s.jobs);
  server::register_static_routes(s.http);
}

HttpServer::~HttpServer() {
  stop();
  if (impl_ && impl_->jobs) impl_->jobs->stop();
}

int HttpServer::bind() {
  Impl& s = *impl_;
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.bind);
  } else {
    s.port = s.http.bind_to_port(s.options.bind, s.options.port) ? s.options.port : -1;
  }
  if (s.port <= 0)
    throw std::runtime_error("cannot listen on " + s.options.bind + ":" + std::to_string(s.options.port));
  return s.port;
}

void HttpServer::run() {
  impl_->run_state = 1;
  if (!impl_->stop_requested) {
    impl_->jobs->start();
    impl_->http.listen_after_bind();
  }
  // Here rather than in stop(), which may run in a signal handler: running renders are handed
  // back to the queue between two frames.
  impl_->jobs->stop();
  impl_->run_state = 2;
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->stop_requested = true;
  // httplib's stop() does nothing until its loop runs; keep asking until run() has returned.
  while (impl_->run_state == 1) {
    impl_->http.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace palimpsest

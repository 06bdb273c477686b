#include "server/http_server.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>

#include "indexer/text/printable.h"
#include "server/access_policy.h"
#include "server/api_context.h"
#include "server/connection_loop.h"
#include "server/render_jobs.h"

namespace palimpsest {

bool is_loopback_address(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

namespace {

server::ConnectionLimits connection_limits(const ServerOptions& o) {
  server::ConnectionLimits l;
  l.head.max_head_bytes = o.max_head_bytes;
  l.head.max_header_fields = o.max_header_fields;
  l.head.max_body_bytes = o.max_body_bytes;
  l.head_timeout_s = o.head_timeout_s;
  l.body_timeout_s = o.read_timeout_s;
  l.idle_timeout_s = o.idle_timeout_s;
  l.write_timeout_s = o.write_timeout_s;
  l.max_connections = o.max_connections;
  l.max_connections_per_client = o.max_connections_per_client;
  // Bodies held at once (being received or handled): 64 MiB, or one whole body if that is larger.
  l.max_buffered_body_bytes = std::max<std::uint64_t>(o.max_body_bytes, 64ull << 20);
  return l;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;  // options.log is replaced by log() below, so that every part logs through it
  std::function<void(const std::string&)> sink;  // the caller's log; null: stderr
  std::unique_ptr<server::ApiContext> context;
  std::unique_ptr<server::RenderJobs> jobs;
  server::RoutedServer http;
  std::unique_ptr<server::AccessPolicy> access;
  std::unique_ptr<server::ConnectionLoop> connections;
  int port = 0;
  std::atomic<bool> stop_requested{false};

  // Every line the server logs (access, refusals, errors, render jobs) passes here: escaped (a file
  // name or a request may hold newlines or terminal escapes) and capped. Never throws: a line that
  // cannot be written is lost, the request still answered.
  void log(const std::string& line) const noexcept {
    try {
      const std::string safe = printable_excerpt(line, 4000);
      if (sink) sink(safe);
      else std::fprintf(stderr, "%s\n", safe.c_str());
    } catch (...) {
    }
  }

  // The JSON error for an exception a handler let through. Details of internal errors go to the
  // log, never to the client.
  void answer_exception(const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) const {
    const std::string where = req.method + " " + server::log_safe(req.path);
    try {
      std::rethrow_exception(ep);
    } catch (const Error& e) {
      if (e.http_status() >= 500) log("error: " + where + ": " + e.what());
      server::send_error(res, e.http_status(), e.code(), e.http_status() == 500 ? "internal error" : e.what());
    } catch (const std::exception& e) {
      log("error: " + where + ": " + e.what());
      server::send_error(res, 500, "internal", "internal error");
    } catch (...) {
      log("error: " + where + ": an exception that is not a std::exception");
      server::send_error(res, 500, "internal", "internal error");
    }
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  s.sink = std::move(s.options.log);
  s.options.log = [this](const std::string& line) { impl_->log(line); };
  const bool loopback = is_loopback_address(s.options.bind);
  if (!loopback && s.options.token.empty())
    throw std::invalid_argument("binding to " + s.options.bind +
                                " (not loopback) needs a token: --token or $PALIMPSEST_TOKEN");
  if (s.options.threads < 1) throw std::invalid_argument("threads must be at least 1");
  if (s.options.render_workers < 0) throw std::invalid_argument("render_workers must be at least 0");
  s.context = std::make_unique<server::ApiContext>(s.options);
  s.jobs = std::make_unique<server::RenderJobs>(s.options, s.options.log);

  s.access = std::make_unique<server::AccessPolicy>(s.options.token, loopback);
  // The connection loop reads every request; cpp-httplib's own timeouts and pool are not used,
  // but its Keep-Alive response header should tell what the loop does.
  s.http.set_keep_alive_timeout(static_cast<time_t>(s.options.idle_timeout_s));
  s.http.set_keep_alive_max_count(1000);
  s.http.set_payload_max_length(s.options.max_body_bytes);
  s.connections = std::make_unique<server::ConnectionLoop>(
      s.http, connection_limits(s.options), s.options.threads,
      [this](const server::RequestHead& head) {
        return impl_->access->check({head.method, server::target_path(head.target), head.field("Host"),
                                     head.field("Authorization"), server::query_parameter(head.target, "access_token")});
      },
      [this](const std::string& line) { impl_->log(line); });

  // The same policy on the request as cpp-httplib routes it (the loop asked it on the raw head).
  s.http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string access_token = req.get_param_value("access_token");
    const std::optional<server::HttpRefusal> refusal = impl_->access->check(
        {req.method, req.path, req.get_header_value("Host"), req.get_header_value("Authorization"), access_token});
    if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
    for (const auto& [name, value] : refusal->headers) res.set_header(name, value);
    server::send_error(res, refusal->status, refusal->code, refusal->message);
    return httplib::Server::HandlerResponse::Handled;
  });

  s.http.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    // Nothing may leave this handler: cpp-httplib would drop the connection without an answer.
    try {
      impl_->answer_exception(req, res, ep);
    } catch (...) {
      res.status = 500;
      res.set_content(R"({"error":{"code":"internal","message":"internal error"}})", "application/json");
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
    impl_->log(req.remote_addr + " \"" + req.method + " " + server::log_safe(req.path) + "\" " + std::to_string(res.status) +
               " " + std::to_string(res.body.size()));
  });

  server::register_record_routes(s.http, *s.context);
  server::register_search_routes(s.http, *s.context);
  server::register_model_routes(s.http, *s.context);
  server::register_film_routes(s.http, *s.context, *s.jobs);
  server::register_sweep_routes(s.http, *s.context, *s.jobs);
  server::register_credits_routes(s.http, *s.context);
  server::register_static_routes(s.http);
}

HttpServer::~HttpServer() {
  stop();
  if (impl_ && impl_->jobs) impl_->jobs->stop();
}

int HttpServer::bind() {
  Impl& s = *impl_;
  try {
    s.port = s.connections->bind(s.options.bind, s.options.port);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + s.options.bind + ":" + std::to_string(s.options.port) + ": " +
                             e.what());
  }
  return s.port;
}

void HttpServer::run() {
  if (!impl_->stop_requested) {
    impl_->jobs->start();
    impl_->connections->run();
  }
  // Here rather than in stop(), which may run on another thread while requests finish: running
  // renders are handed back to the queue between two frames.
  impl_->jobs->stop();
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->stop_requested = true;
  impl_->connections->stop();
}

}  // namespace palimpsest

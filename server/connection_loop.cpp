#include "server/connection_loop.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/chunked_body.h"

namespace palimpsest::server {
namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

enum class Phase { idle, head, body, dispatched, linger };

struct Connection {
  Fd fd;
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  Phase phase = Phase::idle;
  bool peer_closed = false;  // the client half-closed (EOF): answer what is complete, then close
  bool in_epoll = false;
  std::string buffer;        // received and not yet consumed
  std::optional<HeadScanner> scanner;
  std::optional<RequestHead> head;
  std::optional<ChunkedDecoder> chunked;
  std::string body;
  std::uint64_t reserved = 0;  // body bytes counted against max_buffered_body_bytes
  std::uint64_t since = 0;     // when the current phase began, in the loop's own order of events
  Clock::time_point deadline;
  std::uint64_t linger_left = 0;  // bytes still read and dropped after a refusal
  int requests = 0;
};

// A request for cpp-httplib: the head it should see and the body from memory; the response goes
// to the socket. A write waits for the socket at most write_timeout, and not at all once the loop
// stops.
class RequestStream final : public httplib::Stream {
 public:
  RequestStream(const Connection& c, std::string head, int stop_fd, double write_timeout_s)
      : c_(c), head_(std::move(head)), stop_fd_(stop_fd),
        write_timeout_ms_(static_cast<int>(write_timeout_s * 1000)) {}

  bool is_readable() const override { return pos_ < head_.size() + c_.body.size(); }
  bool is_writable() const override { return wait_writable(); }

  ssize_t read(char* ptr, size_t size) override {
    std::size_t n = 0;
    while (n < size && pos_ < head_.size() + c_.body.size()) {
      const bool in_head = pos_ < head_.size();
      const std::string& from = in_head ? head_ : c_.body;
      const std::size_t at = in_head ? pos_ : pos_ - head_.size();
      const std::size_t k = std::min(size - n, from.size() - at);
      std::memcpy(ptr + n, from.data() + at, k);
      n += k;
      pos_ += k;
    }
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    std::size_t sent = 0;
    while (sent < size) {
      const ssize_t n = ::send(c_.fd.get(), ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait_writable()) return -1;
      } else {
        return -1;
      }
    }
    return static_cast<ssize_t>(sent);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.peer_ip;
    port = c_.peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd.get(); }

 private:
  bool wait_writable() const {
    pollfd fds[2] = {{c_.fd.get(), POLLOUT, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, write_timeout_ms_);
    return n > 0 && (fds[0].revents & POLLOUT) && !(fds[1].revents & POLLIN) &&
           !(fds[0].revents & (POLLERR | POLLNVAL));
  }

  const Connection& c_;
  std::string head_;
  std::size_t pos_ = 0;
  int stop_fd_;
  int write_timeout_ms_;
};

// A complete response carrying {"error": {"code", "message"}}; the connection closes after it.
std::string refusal_response(const HttpRefusal& r) {
  const nlohmann::json body = {{"error", {{"code", r.code}, {"message", r.message}}}};
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string response = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
                         "\r\nConnection: close\r\n";
  for (const auto& [name, value] : r.headers) response += name + ": " + value + "\r\n";
  return response + "\r\n" + text;
}

const HttpRefusal kBusy{503, "busy", "the server is receiving too many requests; try again soon", {{"Retry-After", "1"}}};

// The head cpp-httplib sees: the request line and fields as sent, framed by Content-Length alone
// (the body is already whole in memory), without Expect (already answered).
std::string head_for_httplib(const RequestHead& head, std::size_t body_size) {
  std::string text = head.method + " " + head.target + " " + head.version + "\r\n";
  for (const auto& [name, value] : head.fields) {
    if (equal_ignoring_case(name, "Content-Length") || equal_ignoring_case(name, "Transfer-Encoding") ||
        equal_ignoring_case(name, "Expect"))
      continue;
    text += name + ": " + value + "\r\n";
  }
  // cpp-httplib reads a body for these methods until the connection closes when no length is
  // given; a request without framing has an empty body (RFC 9112 6.3).
  const bool expects_content = head.method == "POST" || head.method == "PUT" || head.method == "PATCH" ||
                               head.method == "DELETE" || head.method == "PRI";
  if (body_size > 0 || expects_content) text += "Content-Length: " + std::to_string(body_size) + "\r\n";
  text += "\r\n";
  return text;
}

}  // namespace

struct ConnectionLoop::Impl {
  RoutedServer& http;
  ConnectionLimits limits;
  int worker_count;
  Gate gate;
  Log log;

  Fd listener, epoll, wake, stop_event;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> buffered{0};  // bytes reserved by bodies

  // Loop thread only.
  std::unordered_map<int, std::unique_ptr<Connection>> connections;  // those the loop holds
  std::unordered_map<std::string, int> per_client;                   // every open connection
  int open = 0;
  std::uint64_t phase_changes = 0;  // orders phase changes (two in the same instant are still ordered)
  Clock::time_point last_sweep;

  // Loop -> workers.
  std::mutex work_mutex;
  std::condition_variable work_ready;
  std::deque<std::unique_ptr<Connection>> work;
  // Workers -> loop: (connection, keep it open).
  std::mutex done_mutex;
  std::vector<std::pair<std::unique_ptr<Connection>, bool>> finished;

  Impl(RoutedServer& h, ConnectionLimits l, int w, Gate g, Log lg)
      : http(h), limits(l), worker_count(w), gate(std::move(g)), log(std::move(lg)) {
    epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
    wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    stop_event = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (epoll.get() < 0 || wake.get() < 0 || stop_event.get() < 0)
      throw std::runtime_error(std::string("cannot create the server's event loop: ") + std::strerror(errno));
    add_to_epoll(wake.get(), EPOLLIN);
  }

  void add_to_epoll(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }

  void notify(int fd) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
  }

  // --- connections ---------------------------------------------------------------------------

  // False when epoll will not take the socket (out of memory): the caller closes it.
  bool watch(Connection& c) {
    if (c.in_epoll || c.peer_closed) return true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c.fd.get();
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0) return false;
    c.in_epoll = true;
    return true;
  }
  void unwatch(Connection& c) {
    if (!c.in_epoll) return;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    c.in_epoll = false;
  }

  void release_body(Connection& c) {
    buffered -= c.reserved;
    c.reserved = 0;
  }

  void close_connection(std::unique_ptr<Connection> c) {
    unwatch(*c);
    release_body(*c);
    if (--per_client[c->peer_ip] <= 0) per_client.erase(c->peer_ip);
    --open;
  }
  void close_held(int fd) {
    auto it = connections.find(fd);
    if (it == connections.end()) return;
    std::unique_ptr<Connection> c = std::move(it->second);
    connections.erase(it);
    close_connection(std::move(c));
  }

  void to_idle(Connection& c, Clock::time_point now) {
    c.phase = Phase::idle;
    c.since = ++phase_changes;
    c.deadline = now + seconds(limits.idle_timeout_s);
    c.scanner.emplace(limits.head);
    c.head.reset();
    c.chunked.reset();
    c.body.clear();
    c.body.shrink_to_fit();
  }

  void log_refusal(const Connection& c, const HttpRefusal& r) {
    if (!log) return;
    const std::string request = c.head ? c.head->method + " " + log_safe(c.head->target) : std::string("-");
    log(c.peer_ip + " \"" + request + "\" " + std::to_string(r.status) + " 0 (" + r.message + ")");
  }

  // Answers with a JSON error and closes: the rest of the request is read and dropped for a
  // moment, so that a client still sending sees the answer instead of a reset connection.
  void refuse(Connection& c, const HttpRefusal& r, Clock::time_point now) {
    log_refusal(c, r);
    const std::string response = refusal_response(r);
    // A fresh answer on an idle socket fits its send buffer; a client that does not take it loses it.
    [[maybe_unused]] ssize_t n = ::send(c.fd.get(), response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(c.fd.get(), SHUT_WR);
    release_body(c);
    c.phase = Phase::linger;
    c.since = ++phase_changes;
    c.deadline = now + seconds(limits.linger_s);
    c.buffer.clear();
    c.buffer.shrink_to_fit();
    c.body.clear();
    c.body.shrink_to_fit();
    // A client may still be sending the body of a refused request, and some (cpp-httplib's own
    // client) read the answer only once it is sent: that much is read and dropped. A head that
    // broke a limit has no such excuse.
    const bool body_pending = c.head && c.head->framing != BodyFraming::none;
    const std::uint64_t declared = c.head && c.head->framing == BodyFraming::length ? c.head->content_length
                                                                                     : limits.linger_bytes;
    c.linger_left = body_pending ? std::min(declared, limits.linger_bytes) + (64 << 10) : 64 << 10;
    if (c.peer_closed) close_held(c.fd.get());
  }

  // Makes room for a new connection from `ip`: closes the loop's longest-waiting unfinished
  // connection (idle ones first), from that address when `same_client`. False when none can go.
  bool evict(const std::string& ip, bool same_client) {
    Connection* victim = nullptr;
    for (auto& [fd, c] : connections) {
      if (same_client && c->peer_ip != ip) continue;
      if (c->phase == Phase::dispatched) continue;
      auto rank = [](const Connection& x) { return x.phase == Phase::linger ? 0 : x.phase == Phase::idle ? 1 : 2; };
      if (!victim || rank(*c) < rank(*victim) || (rank(*c) == rank(*victim) && c->since < victim->since))
        victim = c.get();
    }
    if (!victim) return false;
    if (log && victim->phase != Phase::idle && victim->phase != Phase::linger)
      log(victim->peer_ip + " connection closed to make room (" +
          (same_client ? "connections per client" : "connections in all") + " at the limit)");
    close_held(victim->fd.get());
    return true;
  }

  void admit(int raw_fd, Clock::time_point now) {
    auto c = std::make_unique<Connection>();
    c->fd = Fd(raw_fd);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(raw_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, c->peer_ip, c->peer_port);
    len = sizeof addr;
    if (::getsockname(raw_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, c->local_ip, c->local_port);
    const int one = 1;
    ::setsockopt(raw_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    const bool client_full = per_client[c->peer_ip] >= limits.max_connections_per_client;
    if ((client_full && !evict(c->peer_ip, true)) ||
        (open >= limits.max_connections && !evict(c->peer_ip, false))) {
      if (per_client[c->peer_ip] == 0) per_client.erase(c->peer_ip);
      const std::string busy = refusal_response(kBusy);
      [[maybe_unused]] ssize_t n = ::send(raw_fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (log) log(c->peer_ip + " connection refused (503): every connection is busy with a request");
      return;  // c's destructor closes the socket
    }
    to_idle(*c, now);
    if (!watch(*c)) return;
    ++per_client[c->peer_ip];
    ++open;
    const int fd = c->fd.get();
    connections.emplace(fd, std::move(c));
  }

  // --- reading requests ----------------------------------------------------------------------

  void on_readable(Connection& c, Clock::time_point now) {
    char chunk[64 << 10];
    const ssize_t n = ::recv(c.fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
      // EOF (the client half-closed, or left) or an error.
      if (c.phase == Phase::linger || n < 0 || (c.phase == Phase::idle && c.buffer.empty())) {
        close_held(c.fd.get());
        return;
      }
      c.peer_closed = true;
      unwatch(c);
      advance(c, now);
      return;
    }
    if (c.phase == Phase::linger) {
      if (static_cast<std::uint64_t>(n) >= c.linger_left) close_held(c.fd.get());
      else c.linger_left -= static_cast<std::uint64_t>(n);
      return;
    }
    c.buffer.append(chunk, static_cast<std::size_t>(n));
    if (c.phase == Phase::body) c.deadline = now + seconds(limits.body_timeout_s);
    advance(c, now);
  }

  // Moves a connection's request on as far as its buffered bytes allow; dispatches it to a worker
  // when it is complete. May close the connection (so the caller must not touch `c` afterwards).
  void advance(Connection& c, Clock::time_point now) {
    if (c.phase == Phase::idle) {
      if (c.buffer.empty()) {
        if (c.peer_closed) close_held(c.fd.get());
        return;
      }
      c.phase = Phase::head;
      c.since = ++phase_changes;
      c.deadline = now + seconds(limits.head_timeout_s);
    }
    if (c.phase == Phase::head) {
      const std::optional<std::size_t> end = c.scanner->scan(c.buffer);
      if (c.scanner->refusal()) return refuse(c, *c.scanner->refusal(), now);
      if (!end) {
        if (c.peer_closed) {
          // Only blank lines before the close: nothing to answer.
          if (c.buffer.find_first_not_of("\r\n") == std::string::npos) return close_held(c.fd.get());
          return refuse(c, {400, "bad_request", "the connection was closed before the request head was complete", {}}, now);
        }
        return;
      }
      auto parsed = parse_request_head(std::string_view(c.buffer).substr(0, *end), limits.head);
      if (auto* r = std::get_if<HttpRefusal>(&parsed)) return refuse(c, *r, now);
      c.head = std::move(std::get<RequestHead>(parsed));
      c.buffer.erase(0, *end);
      if (gate) {
        if (auto r = gate(*c.head)) return refuse(c, *r, now);
      }
      if (c.head->framing == BodyFraming::length) {
        if (buffered + c.head->content_length > limits.max_buffered_body_bytes)
          return refuse(c, kBusy, now);
        c.reserved = c.head->content_length;
        buffered += c.reserved;
      }
      if (c.head->framing == BodyFraming::chunked) c.chunked.emplace(limits.head.max_body_bytes);
      if (c.head->expects_continue && c.head->framing != BodyFraming::none && c.buffer.empty()) {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        [[maybe_unused]] ssize_t n = ::send(c.fd.get(), kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      c.phase = Phase::body;
      c.since = ++phase_changes;
      c.deadline = now + seconds(limits.body_timeout_s);
    }
    if (c.phase == Phase::body) {
      bool complete = false;
      switch (c.head->framing) {
        case BodyFraming::none: complete = true; break;
        case BodyFraming::length:
          if (c.buffer.size() >= c.head->content_length) {
            c.body = c.buffer.substr(0, c.head->content_length);
            c.buffer.erase(0, c.head->content_length);
            complete = true;
          }
          break;
        case BodyFraming::chunked: {
          const std::size_t used = c.chunked->feed(c.buffer);
          c.buffer.erase(0, used);
          if (c.chunked->refusal()) return refuse(c, *c.chunked->refusal(), now);
          const std::uint64_t grown = c.chunked->body().size() - c.reserved;
          if (buffered + grown > limits.max_buffered_body_bytes)
            return refuse(c, kBusy, now);
          c.reserved += grown;
          buffered += grown;
          if (c.chunked->done()) {
            c.body = std::move(c.chunked->body());
            c.chunked.reset();
            complete = true;
          }
          break;
        }
      }
      if (!complete) {
        if (c.peer_closed)
          return refuse(c, {400, "bad_request", "the connection was closed before the request body was complete", {}}, now);
        return;
      }
      dispatch(c);
    }
  }

  void dispatch(Connection& c) {
    unwatch(c);
    c.phase = Phase::dispatched;
    auto it = connections.find(c.fd.get());
    std::unique_ptr<Connection> owned = std::move(it->second);
    connections.erase(it);
    {
      std::lock_guard<std::mutex> lock(work_mutex);
      work.push_back(std::move(owned));
    }
    work_ready.notify_one();
  }

  // A connection back from a worker: closed, or waiting for its next request (which may already
  // be buffered: pipelining).
  void take_back(std::unique_ptr<Connection> c, bool keep, Clock::time_point now) {
    release_body(*c);
    if (!keep || stopping) return close_connection(std::move(c));
    to_idle(*c, now);
    if (!watch(*c)) return close_connection(std::move(c));
    const int fd = c->fd.get();
    Connection& ref = *c;
    connections.emplace(fd, std::move(c));
    advance(ref, now);
  }

  void sweep(Clock::time_point now) {
    std::vector<int> expired;
    for (auto& [fd, c] : connections)
      if (c->phase != Phase::dispatched && now >= c->deadline) expired.push_back(fd);
    for (int fd : expired) {
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      Connection& c = *it->second;
      switch (c.phase) {
        case Phase::head:
          refuse(c, {408, "request_timeout", "the request head did not arrive within " +
                                                  std::to_string(static_cast<int>(limits.head_timeout_s)) + " s", {}}, now);
          break;
        case Phase::body:
          refuse(c, {408, "request_timeout", "the request body stalled for " +
                                                  std::to_string(static_cast<int>(limits.body_timeout_s)) + " s", {}}, now);
          break;
        default: close_held(fd); break;
      }
    }
  }

  // --- workers -------------------------------------------------------------------------------

  void worker() {
    for (;;) {
      std::unique_ptr<Connection> c;
      {
        std::unique_lock<std::mutex> lock(work_mutex);
        work_ready.wait(lock, [this] { return stopping || !work.empty(); });
        if (work.empty()) return;  // stopping
        c = std::move(work.front());
        work.pop_front();
      }
      bool keep = false;
      if (!stopping) {
        ++c->requests;
        const bool close = !c->head->keep_alive || c->peer_closed ||
                           c->requests >= limits.max_requests_per_connection;
        bool closed = false;
        try {
          RequestStream stream(*c, head_for_httplib(*c->head, c->body.size()), stop_event.get(),
                               limits.write_timeout_s);
          keep = http.process(stream, close, closed) && !close && !closed;
        } catch (const std::exception& e) {
          if (log) log(c->peer_ip + " request failed outside its handler: " + e.what());
        }
      }
      c->body.clear();
      {
        std::lock_guard<std::mutex> lock(done_mutex);
        finished.emplace_back(std::move(c), keep);
      }
      notify(wake.get());
    }
  }

  void take_back_finished(Clock::time_point now) {
    std::vector<std::pair<std::unique_ptr<Connection>, bool>> done;
    {
      std::lock_guard<std::mutex> lock(done_mutex);
      done.swap(finished);
    }
    for (auto& [c, keep] : done) {
      const int fd = c->fd.get();
      const std::string peer = c->peer_ip;
      try {
        take_back(std::move(c), keep, now);
      } catch (const std::exception& e) {
        if (log) log(peer + " connection closed: " + e.what());
        close_held(fd);
      }
    }
  }

  // --- the loop ------------------------------------------------------------------------------

  void accept_all(Clock::time_point now) {
    for (;;) {
      const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        admit(fd, now);
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: make room instead of spinning on a listener that stays readable.
        if (!evict({}, false)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return;
    }
  }

  void loop() {
    std::vector<std::thread> workers;
    for (int i = 0; i < worker_count; ++i) workers.emplace_back([this] { worker(); });
    http.set_listening_socket(listener.get());
    epoll_event events[256];
    last_sweep = Clock::now();
    while (!stopping) {
      const int n = ::epoll_wait(epoll.get(), events, 256, 50);
      const Clock::time_point now = Clock::now();
      for (int i = 0; i < n && !stopping; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listener.get()) {
          accept_all(now);
        } else if (fd == wake.get()) {
          std::uint64_t value;
          [[maybe_unused]] ssize_t r = ::read(wake.get(), &value, sizeof value);
          take_back_finished(now);
        } else if (auto it = connections.find(fd); it != connections.end()) {
          // Whatever one connection does (even running this process out of memory), the loop
          // goes on: that connection is closed.
          const std::string peer = it->second->peer_ip;
          try {
            on_readable(*it->second, now);
          } catch (const std::exception& e) {
            if (log) log(peer + " connection closed: " + e.what());
            close_held(fd);
          }
        }
      }
      if (now - last_sweep >= std::chrono::milliseconds(50)) {
        sweep(now);
        last_sweep = now;
      }
    }
    // Stopping: no new requests; those in workers finish (their writes stop waiting).
    http.set_listening_socket(INVALID_SOCKET);
    listener.reset();
    {
      std::lock_guard<std::mutex> lock(work_mutex);
      work_ready.notify_all();
    }
    for (std::thread& t : workers) t.join();
    take_back_finished(Clock::now());
    for (auto& c : work) close_connection(std::move(c));
    work.clear();
    std::vector<int> fds;
    for (auto& [fd, c] : connections) fds.push_back(fd);
    for (int fd : fds) close_held(fd);
  }
};

ConnectionLoop::ConnectionLoop(RoutedServer& http, ConnectionLimits limits, int workers, Gate gate, Log log)
    : impl_(std::make_unique<Impl>(http, limits, workers, std::move(gate), std::move(log))) {
  if (workers < 1) throw std::invalid_argument("the server needs at least one worker thread");
}

ConnectionLoop::~ConnectionLoop() = default;

int ConnectionLoop::bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + gai_strerror(rc));
  std::string error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) continue;
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
      error = std::strerror(errno);
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    std::string ip;
    int bound = 0;
    address_of(addr, ip, bound);
    impl_->listener = std::move(fd);
    impl_->add_to_epoll(impl_->listener.get(), EPOLLIN);
    ::freeaddrinfo(found);
    return bound;
  }
  ::freeaddrinfo(found);
  throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + error);
}

void ConnectionLoop::run() {
  if (impl_->listener.get() < 0) throw std::logic_error("ConnectionLoop::run before bind");
  impl_->loop();
}

void ConnectionLoop::stop() {
  impl_->stopping = true;
  impl_->notify(impl_->stop_event.get());
  impl_->notify(impl_->wake.get());
}

}  // namespace palimpsest::server

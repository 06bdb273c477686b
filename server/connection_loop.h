#pragma once
// The server's connections, in front of cpp-httplib (internal to server/).
//
// Debian's cpp-httplib 0.11.4 is a compiled library: a worker thread reads each request itself,
// with no limit on the number or total size of header fields, no deadline for the whole head, no
// body limit for chunked bodies or bodies without a length, and a keep-alive loop that holds the
// thread while a client is silent; and it never answers a client that half-closed its socket. So
// this layer owns the sockets and gives cpp-httplib only complete, validated requests:
// - One thread runs an epoll loop: it accepts connections and reads every request head and body
//   without blocking, whatever the number of slow clients, with deadlines (the whole head within
//   head_timeout_s of its first byte; no pause longer than body_timeout_s in a body; an idle
//   kept-alive connection is closed after idle_timeout_s) and limits (HeadLimits; connections in
//   all and per client address; the bytes of all bodies held at once).
// - As soon as a head is complete it is validated (request_head.h) and the access policy is asked
//   (401/403 before any body byte is read); a declared body over the limit is refused (413), a
//   chunked one when its decoded size crosses the limit. Refusals are JSON errors; then the rest of
//   a refused request's body is read and dropped for a moment (linger_s, up to linger_bytes; 64 KiB
//   after a refused head) so that a client still sending sees the answer rather than a reset.
// - A complete request goes to a pool of `workers` threads, which hand it to cpp-httplib
//   (routing, handlers, responses are cpp-httplib's) as a Content-Length request read from memory;
//   the response is written straight to the socket. The connection then returns to the loop.
// So slow or hostile clients cost a socket and a bounded buffer each, never a worker thread.
// When the connection limit is reached, the longest-waiting unfinished request (idle connections
// first) is closed to make room; a worker never waits on a client except while writing a response
// (write_timeout_s per write).

#include <httplib.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/request_head.h"

namespace palimpsest::server {

struct ConnectionLimits {
  HeadLimits head;
  double head_timeout_s = 10;   // a request head must be complete this long after its first byte
  double body_timeout_s = 10;   // the longest pause while a body arrives
  double idle_timeout_s = 5;    // how long a kept-alive connection waits for its next request
  double write_timeout_s = 30;  // the longest wait for a client to take more of a response
  int max_connections = 512;
  int max_connections_per_client = 128;                // per remote address
  std::uint64_t max_buffered_body_bytes = 64ull << 20;  // bodies being received or served, together
  int max_requests_per_connection = 1000;
  double linger_s = 2;                       // after a refusal, the rest of a body is read and
  std::uint64_t linger_bytes = 16ull << 20;  // dropped this long, up to this many bytes
};

// cpp-httplib's server with its request processing reachable: it reads one request from a stream
// and writes the response to it.
class RoutedServer : public httplib::Server {
 public:
  bool process(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }
  // cpp-httplib streams a content provider's body only while its listening socket is set (it
  // takes an invalid one for a server shutting down); the loop owns the socket and says so.
  void set_listening_socket(int fd) { svr_sock_ = fd; }
};

class ConnectionLoop {
 public:
  // Decides, from the head alone, whether a request may go on; nullopt: it may.
  using Gate = std::function<std::optional<HttpRefusal>(const RequestHead&)>;
  using Log = std::function<void(const std::string&)>;

  ConnectionLoop(RoutedServer& http, ConnectionLimits limits, int workers, Gate gate, Log log);
  ~ConnectionLoop();
  ConnectionLoop(const ConnectionLoop&) = delete;
  ConnectionLoop& operator=(const ConnectionLoop&) = delete;

  // Listens on host:port (port 0: any free port); returns the port. Throws std::runtime_error.
  int bind(const std::string& host, int port);
  // Serves until stop(); returns at once when stop() came first.
  void run();
  // From any thread, any number of times. In-flight requests finish; writes to clients stop.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest::server

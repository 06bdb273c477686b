#pragma once
// A raw HTTP/1.1 client for hostile-input tests: it sends exactly the bytes it is given (split,
// dripped, half-closed, endless) and reads responses with a deadline. Header-only, for the server
// test suite.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace palimpsest::testing {

struct RawResponse {
  int status = 0;  // 0: no (complete) response
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False once the server has closed its side or reset the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response (an interim 1xx one included) within `seconds`.
  RawResponse read_response(double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    RawResponse r;
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return r;
    const std::string head = pending_.substr(0, head_end);
    pending_.erase(0, head_end + 4);
    const auto sp = head.find(' ');
    r.status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos && at < head.size()) {
      const std::size_t next = head.find("\r\n", at + 2);
      const std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[name] = value;
      }
      at = next;
    }
    if (r.status >= 100 && r.status < 200) return r;
    const std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (pending_.size() < length)
      if (!fill(deadline)) {
        r.status = 0;
        return r;
      }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }

  // True when the server closes the connection (EOF or reset) within `seconds`; what it sends
  // meanwhile is dropped.
  bool closed_by_server(double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    for (;;) {
      pending_.clear();
      const int got = fill_once(deadline);
      if (got <= 0) return got == 0 || got == -2;
    }
  }

  int fd() const { return fd_; }

 private:
  // >0 bytes read; 0 EOF; -1 timeout; -2 error (reset).
  int fill_once(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return -1;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return -2;
    pending_.append(buffer, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }
  bool fill(std::chrono::steady_clock::time_point deadline) { return fill_once(deadline) > 0; }

  int fd_ = -1;
  std::string pending_;
};

}  // namespace palimpsest::testing

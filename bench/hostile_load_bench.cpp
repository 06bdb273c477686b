// Hostile load (issue 15.6): GET /api/v1/health latency while slowloris clients and header-bomb
// clients attack a `palimpsest serve` child, against the same probes on the idle server in the same
// run; and the server's memory (VmRSS) under attack against idle.
//
// usage: hostile_load_bench [--bin build/palimpsest] [--seconds 20] [--slowloris 64] [--bombs 8]
//                           [--drip-ms 1000] [--probe-ms 20] [--threads 8]
// - slowloris: connections that send a request line, then one header line every --drip-ms, and
//   reconnect when the server closes them (it answers 408 once a head is overdue);
// - bombs: clients that send a request line and then header lines as fast as the socket takes
//   them (each line 60 bytes), and reconnect when refused (431);
// - probes: one GET /api/v1/health on a fresh connection every --probe-ms, 2 s timeout (a probe
//   that times out counts as failed, with 2000 ms in the percentiles).
// Targets: health p99 <= 50 ms under attack, server RSS <= 2x idle.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "schema/catalog.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

// One health probe on a fresh connection: milliseconds, or -1 when it failed or took over 2 s.
double probe(int port) {
  const auto start = Clock::now();
  const int fd = connect_to(port);
  if (fd < 0) return -1;
  send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string got;
  char buffer[4096];
  bool ok = false;
  while (true) {
    const auto left = std::chrono::milliseconds(2000) - (Clock::now() - start);
    const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
    pollfd p{fd, POLLIN, 0};
    if (ms <= 0 || ::poll(&p, 1, ms) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      ok = got.rfind("HTTP/1.1 200", 0) == 0 && got.find("\"ok\"") != std::string::npos;
      break;
    }
    got.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!ok) return -1;
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Probes {
  std::vector<double> ms;  // failures as 2000
  int failed = 0;
};

Probes run_probes(int port, double seconds, int every_ms) {
  Probes p;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const auto next = Clock::now() + std::chrono::milliseconds(every_ms);
    const double ms = probe(port);
    if (ms < 0) ++p.failed;
    p.ms.push_back(ms < 0 ? 2000 : ms);
    std::this_thread::sleep_until(next);
  }
  return p;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * (v.size() - 1) + 0.5))];
}

std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin = "build/palimpsest";
  double seconds = 20;
  int slowloris = 64, bombs = 8, drip_ms = 1000, probe_ms = 20, threads = 8;
  std::ostringstream command;
  for (int i = 0; i < argc; ++i) command << (i ? " " : "") << argv[i];
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--bin") bin = value;
    else if (flag == "--seconds") seconds = std::stod(value);
    else if (flag == "--slowloris") slowloris = std::stoi(value);
    else if (flag == "--bombs") bombs = std::stoi(value);
    else if (flag == "--drip-ms") drip_ms = std::stoi(value);
    else if (flag == "--probe-ms") probe_ms = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else {
      std::cerr << "unknown argument " << flag << "\n";
      return 2;
    }
  }
  const fs::path work = fs::temp_directory_path() / ("hostile-load-" + std::to_string(getpid()));
  fs::create_directories(work);
  const fs::path db = work / "c.db";
  { palimpsest::Catalog catalog(db); }
  const fs::path log = work / "serve.log";
  const pid_t server = fork();
  if (server == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string threads_text = std::to_string(threads);
    execl(bin.c_str(), bin.c_str(), "--db", db.c_str(), "serve", "--port", "0", "--threads", threads_text.c_str(),
          "--model", (work / "no-model").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 600 && port == 0; ++i) {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch m;
    if (std::regex_search(text, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)/"))) port = std::stoi(m[1]);
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (port == 0) {
    std::cerr << "the server did not start (" << bin << "); see " << log << "\n";
    ::kill(server, SIGKILL);
    return 1;
  }
  for (int i = 0; i < 50; ++i) probe(port);

  std::printf("== %s\n", command.str().c_str());
  std::printf("== server pid %d on port %d, --threads %d; %u cores; client and server on one machine\n", server, port,
              threads, std::thread::hardware_concurrency());
  const Probes idle = run_probes(port, seconds / 2, probe_ms);
  const std::uint64_t idle_rss = status_kib(server, "VmRSS");

  std::atomic<bool> attacking{true};
  std::atomic<long> slow_connections{0}, slow_timeouts{0}, bomb_requests{0}, bomb_refused{0};
  std::atomic<std::uint64_t> bomb_bytes{0};
  std::vector<std::thread> attackers;
  attackers.emplace_back([&] {  // all slowloris connections, one thread
    std::vector<int> fds(static_cast<std::size_t>(slowloris), -1);
    for (int line = 0; attacking; ++line) {
      for (int& fd : fds) {
        if (fd < 0) {
          fd = connect_to(port);
          if (fd < 0) continue;
          ++slow_connections;
          send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0 && std::string(buffer, static_cast<std::size_t>(n)).rfind("HTTP/1.1 408", 0) == 0) ++slow_timeouts;
        if (n >= 0 || !send_all(fd, "X-Slow-" + std::to_string(line) + ": 1\r\n")) {
          ::close(fd);
          fd = -1;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(drip_ms));
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  });
  for (int b = 0; b < bombs; ++b) {
    attackers.emplace_back([&] {
      std::string lines;
      for (int k = 0; k < 1024; ++k) {
        char line[64];
        std::snprintf(line, sizeof line, "X-Bomb-%04d: %046d\r\n", k, 0);
        lines += line;
      }
      while (attacking) {
        const int fd = connect_to(port);
        if (fd < 0) continue;
        ++bomb_requests;
        send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        while (attacking && send_all(fd, lines)) bomb_bytes += lines.size();
        char buffer[256];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0 && std::string(buffer, static_cast<std::size_t>(n)).rfind("HTTP/1.1 431", 0) == 0) ++bomb_refused;
        ::close(fd);
      }
    });
  }
  std::atomic<std::uint64_t> peak_rss{0};
  std::thread sampler([&] {
    while (attacking) {
      peak_rss = std::max<std::uint64_t>(peak_rss, status_kib(server, "VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the attack build up
  const Probes attacked = run_probes(port, seconds, probe_ms);
  const std::uint64_t end_rss = status_kib(server, "VmRSS");
  attacking = false;
  for (std::thread& t : attackers) t.join();
  sampler.join();
  const std::uint64_t hwm = status_kib(server, "VmHWM");
  const bool alive = ::waitpid(server, nullptr, WNOHANG) == 0;
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);

  auto row = [](const char* name, const Probes& p) {
    std::printf("%-26s probes %5zu  failed %4d  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", name, p.ms.size(), p.failed,
                percentile(p.ms, 0.5), percentile(p.ms, 0.99), percentile(p.ms, 1.0));
  };
  row("health, idle server", idle);
  row("health, under attack", attacked);
  std::printf("p99 under attack / idle p99: %.2f (target: p99 <= 50 ms)\n",
              percentile(attacked.ms, 0.99) / std::max(0.001, percentile(idle.ms, 0.99)));
  std::printf("slowloris: %d connections, %ld opened in all, %ld answered 408\n", slowloris, slow_connections.load(),
              slow_timeouts.load());
  std::printf("header bombs: %d clients, %ld requests, %.0f MiB of header lines written (the server reads 96 KiB of "
              "each request and drops the rest unread), %ld seen answered 431\n",
              bombs,
              bomb_requests.load(), static_cast<double>(bomb_bytes.load()) / (1 << 20), bomb_refused.load());
  std::printf("server RSS: idle %.1f MiB, peak under attack %.1f MiB (%.2fx idle), at the end %.1f MiB; VmHWM %.1f MiB "
              "(target: <= 2x idle)\n",
              idle_rss / 1024.0, peak_rss / 1024.0, static_cast<double>(peak_rss) / std::max<std::uint64_t>(1, idle_rss),
              end_rss / 1024.0, hwm / 1024.0);
  std::printf("server %s\n", alive ? "alive throughout" : "DIED during the attack");
  std::error_code ec;
  fs::remove_all(work, ec);
  return alive ? 0 : 1;
}

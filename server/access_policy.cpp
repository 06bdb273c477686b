#include "server/access_policy.h"

#include <algorithm>
#include <cctype>

#include "server/http_server.h"

namespace palimpsest::server {
namespace {

// Compares without an early exit, so response time does not leak how much of a token matched.
bool same_token(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % std::max<std::size_t>(1, expected.size())]);
  return diff == 0;
}

bool is_mutating(std::string_view method, std::string_view path) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return false;
  // Image search is a query that happens to carry a body.
  return !(method == "POST" && path == "/api/v1/search");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 5 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U') &&
               hex_value(text[i + 2]) >= 0 && hex_value(text[i + 3]) >= 0 && hex_value(text[i + 4]) >= 0 &&
               hex_value(text[i + 5]) >= 0) {
      unsigned code = 0;
      for (int k = 2; k <= 5; ++k) code = code * 16 + static_cast<unsigned>(hex_value(text[i + k]));
      append_utf8(out, code);
      i += 5;
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string target_path(std::string_view target) {
  return percent_decode(target.substr(0, target.find('?')), false);
}

std::string query_parameter(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq), true) == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string bearer_token(std::string_view authorization) {
  const auto space = authorization.find_first_of(" \t");
  if (space == std::string_view::npos || !equal_ignoring_case(authorization.substr(0, space), "bearer")) return {};
  std::string_view token = authorization.substr(space);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  return std::string(token);
}

// The Host field of a request to a loopback server: empty (HTTP/1.0), localhost, 127.x.y.z or
// [::1], with any port.
bool is_loopback_host_field(const std::string& host) {
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

std::optional<HttpRefusal> AccessPolicy::check(const AccessRequest& r) const {
  if (loopback_ && !is_loopback_host_field(std::string(r.host)))
    return HttpRefusal{403, "forbidden_host", "this server answers only to a loopback Host", {}};
  const bool api = r.path.rfind("/api/", 0) == 0;
  const bool needs_token = !token_.empty() && (is_mutating(r.method, r.path) || (!loopback_ && api));
  if (!needs_token) return std::nullopt;
  const std::string bearer = bearer_token(r.authorization);
  if (same_token(bearer.empty() ? r.access_token : std::string_view(bearer), token_)) return std::nullopt;
  return HttpRefusal{401, "unauthorized", "a valid bearer token is required", {{"WWW-Authenticate", "Bearer"}}};
}

}  // namespace palimpsest::server

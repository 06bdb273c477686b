#pragma once
// Who may make a request (internal to server/). One policy, asked twice: by the connection layer
// as soon as a request head is complete (so no body is read for a request that will be refused),
// and by cpp-httplib's pre-routing handler on the request it routes (so a difference between the
// two readings of a target can never let a request through).
// Rules:
// - A server bound to a loopback address answers 403 to a Host that is not a loopback name
//   (DNS rebinding: a page whose name resolves to 127.0.0.1 would otherwise be same-origin).
// - With a token: mutating requests need it, and every /api/ request when bound elsewhere than
//   loopback. It comes as "Authorization: Bearer <token>" (the scheme in any case, RFC 9110
//   section 11.1) or as ?access_token= where a browser cannot send the header (<img>, <video>).

#include <optional>
#include <string>
#include <string_view>

#include "server/request_head.h"

namespace palimpsest::server {

struct AccessRequest {
  std::string_view method;
  std::string_view path;           // percent-decoded, without the query
  std::string_view host;           // the Host field; empty when absent
  std::string_view authorization;  // the Authorization field; empty when absent
  std::string_view access_token;   // the decoded ?access_token= parameter; empty when absent
};

class AccessPolicy {
 public:
  AccessPolicy(std::string token, bool loopback_bind) : token_(std::move(token)), loopback_(loopback_bind) {}
  // nullopt: allowed; otherwise the 401 or 403 to answer.
  std::optional<HttpRefusal> check(const AccessRequest& request) const;

 private:
  std::string token_;
  bool loopback_;
};

// The token of "Bearer <token>" (scheme compared without case; empty for another scheme).
std::string bearer_token(std::string_view authorization);
// %XX (and cpp-httplib's %uXXXX) decoded; '+' as a space when `plus_as_space` (query strings).
std::string percent_decode(std::string_view text, bool plus_as_space);
// The decoded path of a request target (before '?'), and the first decoded value of a query
// parameter (empty when absent).
std::string target_path(std::string_view target);
std::string query_parameter(std::string_view target, std::string_view name);

bool is_loopback_host_field(const std::string& host);

}  // namespace palimpsest::server

#pragma once
// Every API route the server registers, as written in docs/openapi.yaml. A test checks the two
// agree, and calls each route to prove it is really served.

#include <string>
#include <vector>

namespace palimpsest::server {

struct DocumentedRoute {
  std::string method;  // "get", "post", "delete"
  std::string path;    // OpenAPI template, e.g. /api/v1/records/{id}
};

const std::vector<DocumentedRoute>& documented_routes();

}  // namespace palimpsest::server

#include "server/documented_routes.h"

namespace palimpsest::server {

const std::vector<DocumentedRoute>& documented_routes() {
  static const std::vector<DocumentedRoute> routes = {
      {"get", "/api/v1/health"},
      {"get", "/api/v1/archives"},
      {"get", "/api/v1/records"},
      {"get", "/api/v1/records/{id}"},
      {"get", "/api/v1/records/{id}/thumbnail.jpg"},
      {"get", "/api/v1/records/{id}/media"},
      {"get", "/api/v1/records/{id}/films"},
      {"get", "/api/v1/search"},
      {"post", "/api/v1/search"},
  };
  return routes;
}

}  // namespace palimpsest::server

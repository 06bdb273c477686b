#include "server/documented_routes.h"

namespace palimpsest::server {

const std::vector<DocumentedRoute>& documented_routes() {
  static const std::vector<DocumentedRoute> routes = {
      {"get", "/api/v1/health"},
      {"get", "/api/v1/archives"},
      {"get", "/api/v1/models"},
      {"get", "/api/v1/records"},
      {"get", "/api/v1/records/{id}"},
      {"get", "/api/v1/records/{id}/thumbnail.jpg"},
      {"get", "/api/v1/records/{id}/media"},
      {"get", "/api/v1/records/{id}/films"},
      {"get", "/api/v1/records/{id}/similar"},
      {"get", "/api/v1/search"},
      {"post", "/api/v1/search"},
      {"get", "/api/v1/films"},
      {"post", "/api/v1/films"},
      {"get", "/api/v1/films/{id}"},
      {"delete", "/api/v1/films/{id}"},
      {"get", "/api/v1/films/{id}/video.mp4"},
      {"get", "/api/v1/films/{id}/frames"},
      {"get", "/api/v1/films/{id}/frames/{n}.png"},
      {"get", "/api/v1/films/{id}/frames/{n}/map.png"},
      {"get", "/api/v1/films/{id}/frames/{n}/provenance"},
      {"get", "/api/v1/films/{id}/provenance"},
      {"get", "/api/v1/films/{id}/timeline.otio"},
      {"get", "/api/v1/films/{id}/metrics"},
      {"get", "/api/v1/films/{id}/credits.csv"},
      {"get", "/api/v1/films/{id}/credits.html"},
      {"get", "/api/v1/films/{id}/sweeps"},
      {"post", "/api/v1/sweeps"},
      {"get", "/api/v1/sweeps/{id}"},
      {"get", "/api/v1/sweeps/{id}/sheet.png"},
  };
  return routes;
}

}  // namespace palimpsest::server

#pragma once
// What a film's render is doing now, as the viewer shows it (internal to server/). The catalog
// keeps the film's status and its newest job; neither alone tells a render that is working from
// one whose process died: `palimpsest make` killed mid-film leaves the film "rendering" with no
// job at all, and a server that died leaves its job "running" with a heartbeat that stopped.
//
// Rules (first that applies):
//   done, failed                                   -> the film's status
//   a queued job                                   -> queued
//   a running job, heartbeat within job_stale_s    -> rendering
//   a running job with a stale heartbeat           -> stopped (its process is gone)
//   film "rendering", progress within render_stale_s -> rendering (a `make` of the CLI)
//   film "rendering" otherwise                     -> stopped (no progress since updated_at)
//   else                                           -> planned

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "schema/catalog_rows.h"
#include "server/http_server.h"

namespace palimpsest::server {

struct RenderStaleness {
  double job_stale_s = 20;      // ServerOptions::job_stale_after_s
  double render_stale_s = 120;  // ServerOptions::render_stale_after_s
};

// {"state": planned|queued|rendering|stopped|done|failed, "note": why (null unless stopped or
// failed)}. `now_s` is the Unix time to judge by.
nlohmann::json render_state_json(const FilmRow& film, const std::optional<JobRow>& job,
                                 const RenderStaleness& staleness, double now_s);
// The same, now, with the server's staleness limits.
nlohmann::json render_state_json(const FilmRow& film, const std::optional<JobRow>& job, const ServerOptions& options);

// A catalog timestamp (SQLite's strftime('%Y-%m-%dT%H:%M:%fZ'), UTC) as Unix seconds; nullopt
// when it does not read.
std::optional<double> catalog_time_s(const std::string& text);

}  // namespace palimpsest::server

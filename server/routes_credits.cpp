// GET /api/v1/films/{id}/credits.csv and /credits.html: the film's credits (server/film_credits.h),
// downloadable as CSV or readable as a page.
#include "schema/film_store.h"
#include "server/api_context.h"
#include "server/film_credits.h"

namespace palimpsest::server {
namespace {

FilmCredits credits_of(ApiContext& context, const std::string& id_text) {
  Catalog& catalog = context.catalog();
  const std::int64_t id = parse_id(id_text, "film id");
  const std::optional<FilmRow> film = catalog.films().get(id);
  if (!film) throw ApiError{404, "not_found", "no film " + std::to_string(id)};
  const double fps = film->timeline.is_object() && film->timeline.contains("fps") && film->timeline["fps"].is_number()
                         ? film->timeline["fps"].get<double>()
                         : 12.0;
  return film_credits(catalog, *film, fps);
}

}  // namespace

void register_credits_routes(httplib::Server& server, ApiContext& context) {
  server.Get(R"(/api/v1/films/([^/]+)/credits\.csv)", [&](const httplib::Request& req, httplib::Response& res) {
    const FilmCredits credits = credits_of(context, req.matches[1]);
    res.set_header("Content-Disposition",
                   "attachment; filename=\"film-" + std::to_string(credits.film_id) + "-credits.csv\"");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(credits_csv(credits), "text/csv; charset=utf-8");
  });
  server.Get(R"(/api/v1/films/([^/]+)/credits\.html)", [&](const httplib::Request& req, httplib::Response& res) {
    const FilmCredits credits = credits_of(context, req.matches[1]);
    // The page has no scripts and loads nothing: say so to the browser.
    res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(credits_html(credits), "text/html; charset=utf-8");
  });
}

}  // namespace palimpsest::server

// The viewer: "/" and "/static/<name>", served from files compiled into the binary. The name is
// looked up in a fixed table; nothing from the request reaches the filesystem.
#include "schema/embedded_file.h"
#include "server/api_context.h"

namespace palimpsest::server {
namespace {

std::string content_type(std::string_view name) {
  auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.substr(name.size() - s.size()) == s; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

const EmbeddedFile* find_web_file(std::string_view name) {
  for (const EmbeddedFile& f : embedded_web_files())
    if (f.name == name) return &f;
  return nullptr;
}

void serve(const std::string& name, httplib::Response& res) {
  const EmbeddedFile* file = find_web_file(name);
  if (!file) throw ApiError{404, "not_found", "no such page"};
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(file->content), content_type(name));
}

}  // namespace

void register_static_routes(httplib::Server& server) {
  // The viewer is a single page; its routes (#/film/3, #/record/12) live in the fragment.
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { serve("index.html", res); });
  server.Get(R"(/static/([A-Za-z0-9_.-]+))",
             [](const httplib::Request& req, httplib::Response& res) { serve(req.matches[1], res); });
}

}  // namespace palimpsest::server

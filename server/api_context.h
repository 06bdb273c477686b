#pragma once
// What every route handler shares: per-thread catalogs, the search machinery, JSON helpers.
// Internal to server/.

#include <httplib.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "retrieval/dense_index.h"
#include "schema/catalog.h"
#include "server/http_server.h"

namespace palimpsest::server {

// An error a handler raises; turned into {"error": {...}} with the status.
struct ApiError {
  int status;
  std::string code;
  std::string message;
};

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// Parses a path or query integer strictly (digits only, in range); throws ApiError(400) otherwise.
std::int64_t parse_id(const std::string& text, const std::string& what);
std::optional<std::int64_t> query_int(const httplib::Request& req, const std::string& name,
                                      std::int64_t min, std::int64_t max);

class ApiContext {
 public:
  explicit ApiContext(const ServerOptions& options);

  const ServerOptions& options() const { return options_; }
  // This thread's connection to the catalog (SQLite connections are per thread).
  Catalog& catalog();

  // Dense search state, loaded once; null encoder when no model is available.
  ClipEncoder* encoder();
  // The dense index for the encoder's model, rebuilt when the catalog's embeddings changed.
  // Shared so that a rebuild never pulls it from under a running search.
  std::shared_ptr<DenseIndex> dense_index(Catalog& catalog);
  std::mutex& encoder_mutex() { return encoder_mutex_; }  // libtorch modules: one caller at a time

 private:
  ServerOptions options_;
  std::once_flag encoder_once_;
  std::unique_ptr<ClipEncoder> encoder_;
  std::mutex encoder_mutex_;
  std::mutex index_mutex_;
  std::shared_ptr<DenseIndex> index_;
  std::int64_t index_count_ = -1;
};

class RenderJobs;

void register_record_routes(httplib::Server& server, ApiContext& context);
void register_film_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs);
void register_search_routes(httplib::Server& server, ApiContext& context);
void register_static_routes(httplib::Server& server);

}  // namespace palimpsest::server

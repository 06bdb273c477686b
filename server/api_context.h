#pragma once
// What every route handler shares: per-thread catalogs, the search machinery, JSON helpers.
// Internal to server/.

#include <httplib.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "retrieval/search/dense_index.h"
#include "schema/catalog.h"
#include "schema/error.h"
#include "server/http_server.h"

namespace palimpsest::server {

// An error a handler raises; turned into {"error": {"code", "message"}} with the status. Any
// other palimpsest::Error a handler lets through is answered the same way from its own status
// and code (server/http_server.cpp).
class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : Error(message, 1, status, std::move(code)) {}
};

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// Parses a path or query integer strictly (digits only, in range); throws ApiError(400) otherwise.
std::int64_t parse_id(const std::string& text, const std::string& what);
std::optional<std::int64_t> query_int(const httplib::Request& req, const std::string& name,
                                      std::int64_t min, std::int64_t max);
// The `kind` query parameter: absent, or a record kind; throws ApiError(400) naming the kinds.
std::optional<RecordKind> kind_parameter(const httplib::Request& req);

class ApiContext;

// An encoder borrowed from the context's pool for one request; returned on destruction.
// libtorch modules are not shared between concurrent callers: each concurrent request gets its
// own copy of the (small) model, up to one per core, instead of queueing behind one lock.
class EncoderLease {
 public:
  EncoderLease() = default;
  EncoderLease(ApiContext* context, ClipEncoder* encoder) : context_(context), encoder_(encoder) {}
  EncoderLease(EncoderLease&& o) noexcept : context_(o.context_), encoder_(o.encoder_) { o.encoder_ = nullptr; }
  EncoderLease& operator=(EncoderLease&&) = delete;
  ~EncoderLease();
  ClipEncoder* get() const { return encoder_; }

 private:
  ApiContext* context_ = nullptr;
  ClipEncoder* encoder_ = nullptr;
};

class ApiContext {
 public:
  explicit ApiContext(const ServerOptions& options);

  const ServerOptions& options() const { return options_; }
  // This thread's connection to the catalog (SQLite connections are per thread).
  Catalog& catalog();

  // The model's description (name, weights): the first encoder, loaded once; null when no model
  // is available. Do not run it: lease one for that.
  ClipEncoder* encoder();
  // An encoder for this request's own use (waits while one per core is busy); its get() is null
  // when no model is available. The calling thread's libtorch intra-op threads are set to 1:
  // requests run side by side, one core each.
  EncoderLease lease_encoder();
  // The dense index for the encoder's model, rebuilt when the catalog's embeddings changed.
  // Shared so that a rebuild never pulls it from under a running search.
  std::shared_ptr<DenseIndex> dense_index(Catalog& catalog);

 private:
  ServerOptions options_;
  std::once_flag encoder_once_;
  friend class EncoderLease;
  void give_back(ClipEncoder* encoder);
  std::unique_ptr<ClipEncoder> encoder_;
  std::filesystem::path encoder_dir_;
  std::mutex pool_mutex_;
  std::condition_variable pool_returned_;
  std::vector<std::unique_ptr<ClipEncoder>> pool_;  // copies beyond encoder_
  std::vector<ClipEncoder*> idle_;
  int leased_ = 0;
  std::mutex index_mutex_;
  std::shared_ptr<DenseIndex> index_;
  std::int64_t index_count_ = -1;
};

class RenderJobs;

void register_record_routes(httplib::Server& server, ApiContext& context);
void register_film_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs);
void register_sweep_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs);
void register_search_routes(httplib::Server& server, ApiContext& context);
void register_model_routes(httplib::Server& server, ApiContext& context);
void register_credits_routes(httplib::Server& server, ApiContext& context);
void register_static_routes(httplib::Server& server);

}  // namespace palimpsest::server

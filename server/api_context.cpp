#include "server/api_context.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "indexer/clip/model_location.h"
#include "indexer/runtime/runtime_info.h"
#include "schema/embedding_store.h"

namespace palimpsest::server {

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, {{"error", {{"code", code}, {"message", message}}}}, status);
}

std::int64_t parse_id(const std::string& text, const std::string& what) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0)
    throw ApiError{400, "bad_request", what + " must be a non-negative integer"};
  return value;
}

std::optional<std::int64_t> query_int(const httplib::Request& req, const std::string& name,
                                      std::int64_t min, std::int64_t max) {
  if (!req.has_param(name.c_str())) return std::nullopt;
  const std::string text = req.get_param_value(name.c_str());
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max)
    throw ApiError{400, "bad_request", name + " must be an integer in [" + std::to_string(min) + ", " +
                                           std::to_string(max) + "]"};
  return value;
}

ApiContext::ApiContext(const ServerOptions& options) : options_(options) {
  Catalog probe(options_.db);  // fail at start-up, not on the first request
}

Catalog& ApiContext::catalog() {
  // One connection per worker thread, opened on first use and kept for the thread's life.
  thread_local std::unique_ptr<Catalog> connection;
  thread_local std::string connection_db;
  if (!connection || connection_db != options_.db.string()) {
    connection = std::make_unique<Catalog>(options_.db);
    connection_db = options_.db.string();
  }
  return *connection;
}

ClipEncoder* ApiContext::encoder() {
  std::call_once(encoder_once_, [this] {
    try {
      std::optional<std::filesystem::path> dir =
          options_.model_dir.empty() ? default_model_dir() : std::optional(options_.model_dir);
      if (dir) {
        encoder_ = ClipEncoder::load(*dir);
        encoder_dir_ = *dir;
      }
    } catch (const std::exception& e) {
      if (options_.log) options_.log(std::string("model not loaded: ") + e.what());
    }
  });
  return encoder_.get();
}

EncoderLease::~EncoderLease() {
  if (encoder_) context_->give_back(encoder_);
}

EncoderLease ApiContext::lease_encoder() {
  ClipEncoder* first = encoder();
  if (!first) return {};
  use_one_torch_thread_here();
  const int max_encoders = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_lock<std::mutex> lock(pool_mutex_);
  if (idle_.empty() && leased_ == 0 && pool_.empty()) idle_.push_back(first);  // the first lease
  for (;;) {
    if (!idle_.empty()) {
      ClipEncoder* e = idle_.back();
      idle_.pop_back();
      ++leased_;
      return EncoderLease(this, e);
    }
    if (leased_ < max_encoders) {
      ++leased_;  // reserve the slot, load without the lock
      lock.unlock();
      std::unique_ptr<ClipEncoder> copy;
      try {
        copy = ClipEncoder::load(encoder_dir_);
      } catch (...) {
        lock.lock();
        --leased_;
        pool_returned_.notify_one();
        throw;
      }
      lock.lock();
      pool_.push_back(std::move(copy));
      return EncoderLease(this, pool_.back().get());
    }
    pool_returned_.wait(lock);
  }
}

void ApiContext::give_back(ClipEncoder* encoder) {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  idle_.push_back(encoder);
  --leased_;
  pool_returned_.notify_one();
}

std::shared_ptr<DenseIndex> ApiContext::dense_index(Catalog& catalog) {
  ClipEncoder* enc = encoder();
  if (!enc) return nullptr;
  auto model = catalog.embeddings().find_model(enc->info().name, enc->info().weights_sha256);
  if (!model) return nullptr;
  const std::int64_t count = catalog.embeddings().count(model->id);
  if (count == 0) return nullptr;
  std::lock_guard<std::mutex> lock(index_mutex_);
  if (!index_ || count != index_count_) {
    index_ = open_dense_index(catalog, model->id);
    index_count_ = count;
  }
  return index_;
}

}  // namespace palimpsest::server

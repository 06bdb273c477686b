#include "indexer/ingest/claim_heartbeat.h"

#include <chrono>
#include <memory>

#include "schema/catalog.h"
#include "schema/work_claims.h"

namespace palimpsest {

ClaimHeartbeat::ClaimHeartbeat(std::filesystem::path catalog, std::string owner, double interval_s)
    : catalog_(std::move(catalog)), owner_(std::move(owner)), interval_s_(interval_s) {
  thread_ = std::thread([this] { beat(); });
}

ClaimHeartbeat::~ClaimHeartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

void ClaimHeartbeat::beat() {
  const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(interval_s_ * 1000));
  std::unique_ptr<Catalog> catalog;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_requested_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    try {
      if (!catalog) catalog = std::make_unique<Catalog>(catalog_);
      catalog->claims().touch(owner_);
    } catch (const std::exception&) {
      // Busy or unreachable for now: the next beat tries again (see the header).
    }
    lock.lock();
  }
}

ClaimRelease::~ClaimRelease() {
  try {
    release_();
  } catch (const std::exception&) {
  }
}

}  // namespace palimpsest

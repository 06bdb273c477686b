#pragma once
// The life of ingest's work claims (schema/work_claims.h) on the claimant's side.
// ClaimHeartbeat keeps an owner's claims fresh while it works: a thread with its own catalog
// connection touches them every `interval_s` until destroyed. A beat the catalog is too busy to
// take is simply late: while another connection holds the write lock (a long video being
// written), no other process can take the claims over either. ClaimRelease gives claims back when
// the work they guard is over, however it ends.

#include <condition_variable>
#include <functional>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace palimpsest {

class ClaimHeartbeat {
 public:
  ClaimHeartbeat(std::filesystem::path catalog, std::string owner, double interval_s);
  ~ClaimHeartbeat();  // stops and joins the thread
  ClaimHeartbeat(const ClaimHeartbeat&) = delete;
  ClaimHeartbeat& operator=(const ClaimHeartbeat&) = delete;

 private:
  void beat();

  std::filesystem::path catalog_;
  std::string owner_;
  double interval_s_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;
};

// Runs `release` on destruction: after the work's commit, or its failure, or an exception. A
// release that fails (the catalog's disk is full) is dropped: the claim then goes stale.
class ClaimRelease {
 public:
  explicit ClaimRelease(std::function<void()> release) : release_(std::move(release)) {}
  ~ClaimRelease();
  ClaimRelease(const ClaimRelease&) = delete;
  ClaimRelease& operator=(const ClaimRelease&) = delete;

 private:
  std::function<void()> release_;
};

}  // namespace palimpsest

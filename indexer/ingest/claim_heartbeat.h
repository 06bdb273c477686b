#pragma once
// Keeps an owner's work claims (schema/work_claims.h) fresh while it works: a thread with its own
// catalog connection touches them every `interval_s` until destroyed. A beat the catalog is too
// busy to take is simply late: while another connection holds the write lock (a long video being
// written), no other process can take the claims over either.

#include <condition_variable>
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

}  // namespace palimpsest

#pragma once
// Render jobs in the server process (internal to server/): POST /api/v1/films queues a job in the
// catalog; a bounded pool of workers claims jobs and runs make_film on them (or run_sweep_job for
// the sweep jobs POST /api/v1/sweeps queues: server/sweep_jobs.h).
//
// Durability: the queue is the catalog's jobs table. A worker refreshes its job's heartbeat every
// ServerOptions::job_heartbeat_s; a monitor re-queues running jobs whose heartbeat is older than
// job_stale_after_s (their process died; make_film resumes from the frames already written), or
// fails them (and their film) after job_max_attempts. A graceful stop hands running jobs back to
// the queue. So no job stays "running" after its server is gone.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "schema/catalog.h"
#include "server/http_server.h"

namespace palimpsest::server {

class RenderJobs {
 public:
  using Log = std::function<void(const std::string&)>;
  RenderJobs(const ServerOptions& options, Log log);
  ~RenderJobs();
  RenderJobs(const RenderJobs&) = delete;
  RenderJobs& operator=(const RenderJobs&) = delete;

  // Recovers orphaned jobs, then starts the workers and the monitor. Idempotent.
  void start();
  // Stops claiming; running renders are cancelled between frames and their jobs queued again.
  void stop();
  // A job was queued: wake an idle worker.
  void wake();
  // Cancels the film's render if a worker of this process runs it, waiting (bounded) until the
  // worker has let go of the film's files. Returns whether it was running here.
  bool cancel_film(std::int64_t film_id, double wait_s = 30);

  const std::string& owner() const { return owner_; }

 private:
  struct Active {  // a job rendering in this process
    std::int64_t job_id = 0;
    std::int64_t film_id = 0;
    double progress = 0;
    bool cancel = false;
  };
  void worker_loop(int index);
  void monitor_loop();
  void run_job(Catalog& catalog, const JobRow& job);

  ServerOptions options_;
  Log log_;
  std::string owner_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;      // workers and the monitor wait on this
  std::condition_variable released_;  // cancel_film waits on this
  std::map<std::int64_t, int> running_;          // film id -> running renders of it here
  std::map<std::int64_t, Active*> active_;       // job id -> its state (guarded by mutex_)
  std::vector<std::thread> threads_;
};

}  // namespace palimpsest::server

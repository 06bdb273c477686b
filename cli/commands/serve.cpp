// palimpsest serve : the HTTP API and the browser viewer.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "indexer/runtime/runtime_info.h"
#include "server/http_server.h"

namespace palimpsest::cli {
namespace {
// The handler only sets a flag (it may run on any thread, and stop() waits for run() to return);
// a watcher thread stops the server.
std::atomic<bool> stop_signalled{false};
void stop_on_signal(int) { stop_signalled = true; }
}  // namespace

void register_serve(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  auto options = std::make_shared<ServerOptions>();
  auto model = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP API and the viewer");
  cmd->add_option("--bind", options->bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--token", options->token, "Bearer token for mutating requests (default $PALIMPSEST_TOKEN)");
  cmd->add_option("--threads", options->threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--render-workers", options->render_workers,
                  "Render jobs (POST /api/v1/films) running at once; 0 queues them without rendering")
      ->capture_default_str()->check(CLI::Range(0, 64));
  cmd->add_option("--model", *model, "CLIP model for dense search: a store name or a folder (default: the catalog's current model)");
  // The limits a user may need to raise (schema/limits.h has them all).
  struct Limits {
    std::int64_t body_mb = served_limit(Limit::body_bytes) >> 20;
    std::int64_t image_mpx = served_limit(Limit::image_pixels) / 1'000'000;
  };
  auto limits = std::make_shared<Limits>();
  cmd->add_option("--max-film-frames", options->film_limits.max_frames, "Longest film POST /api/v1/films accepts, in frames")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-mb", limits->body_mb, "Largest request body (image search uploads), MiB")
      ->capture_default_str()->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}));
  cmd->add_option("--max-image-mpx", limits->image_mpx, "Largest picture search-by-image decodes, megapixels")
      ->capture_default_str()->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
  cmd->add_option("--max-connections", options->max_connections, "Connections open at once")
      ->capture_default_str()->check(CLI::Range(16, 65536));
  cmd->callback([&globals, &dispatch, options, model, limits] {
    dispatch.action = [&globals, options, model, limits]() -> int {
      // The server reads a catalog; it never makes an empty one where the user mistyped a path.
      open_existing_catalog(globals.db);
      options->db = globals.db;
      options->max_body_bytes = static_cast<std::size_t>(limits->body_mb) << 20;
      options->max_image_pixels = limits->image_mpx * 1'000'000;
      options->model_dir = model_argument(globals.db, *model).value_or(std::filesystem::path());
      if (options->token.empty())
        if (const char* env = std::getenv("PALIMPSEST_TOKEN"); env && *env) options->token = env;
      // Requests run side by side, one core each: OpenBLAS's own threads would only spin
      // (sched_yield) against them, which took a third of the CPU under search load.
      set_blas_threads(1);
      HttpServer server(*options);
      const int port = server.bind();
      std::cerr << "palimpsest: serving " << globals.db << " on http://" << options->bind << ":" << port
                << "/ (Ctrl-C stops)\n";
      std::signal(SIGINT, stop_on_signal);
      std::signal(SIGTERM, stop_on_signal);
      std::atomic<bool> finished{false};
      std::thread watcher([&] {
        while (!finished && !stop_signalled) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (stop_signalled) server.stop();
      });
      server.run();
      finished = true;
      watcher.join();
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

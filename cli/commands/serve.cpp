// palimpsest serve : the HTTP API and the browser viewer.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "server/http_server.h"

namespace palimpsest::cli {
namespace {
HttpServer* running_server = nullptr;
void stop_on_signal(int) {
  if (running_server) running_server->stop();
}
}  // namespace

void register_serve(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  auto options = std::make_shared<ServerOptions>();
  auto model = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP API and the viewer");
  cmd->add_option("--bind", options->bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--token", options->token, "Bearer token for mutating requests (default $PALIMPSEST_TOKEN)");
  cmd->add_option("--threads", options->threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--model", *model, "CLIP model folder for dense search (default: palimpsest-tiny)");
  cmd->callback([&globals, &dispatch, options, model] {
    dispatch.action = [&globals, options, model]() -> int {
      options->db = globals.db;
      options->model_dir = *model;
      if (options->token.empty())
        if (const char* env = std::getenv("PALIMPSEST_TOKEN"); env && *env) options->token = env;
      HttpServer server(*options);
      const int port = server.bind();
      std::cerr << "palimpsest: serving " << globals.db << " on http://" << options->bind << ":" << port
                << "/ (Ctrl-C stops)\n";
      running_server = &server;
      std::signal(SIGINT, stop_on_signal);
      std::signal(SIGTERM, stop_on_signal);
      server.run();
      running_server = nullptr;
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

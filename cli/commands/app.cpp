#include "cli/commands/app.h"

#include <cstdlib>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "indexer/runtime/runtime_info.h"
#include "schema/catalog.h"

extern "C" {
#include <libavutil/log.h>
}

namespace palimpsest::cli {

namespace {
// libav logs to stderr on its own; the CLI reports every problem once, as one line naming the
// file, so libav is kept quiet unless $PALIMPSEST_AV_LOG asks for its messages.
void quiet_libav() {
  const char* level = std::getenv("PALIMPSEST_AV_LOG");
  av_log_set_level(level && *level ? std::atoi(level) : AV_LOG_FATAL);
}
}  // namespace

int run(int argc, char** argv) {
  quiet_libav();
  CLI::App app{"Palimpsest: archive indexing and retrieval-guided film synthesis"};
  app.require_subcommand(0, 1);
  GlobalOptions globals;
  const char* env_db = std::getenv("PALIMPSEST_DB");
  globals.db = env_db && *env_db ? env_db : "palimpsest.db";
  auto* db_option =
      app.add_option("--db", globals.db, "Catalog database (default $PALIMPSEST_DB or ./palimpsest.db)")
          ->capture_default_str();
  bool version = false;
  app.add_flag("--version", version, "Print the version and the native libraries in use");

  Dispatch dispatch;
  register_ingest(app, globals, dispatch);
  register_records(app, globals, dispatch);
  register_search(app, globals, dispatch);
  register_serve(app, globals, dispatch);
  register_plan(app, globals, dispatch);
  register_demo(app, globals, dispatch);
  register_embed(app, globals, dispatch);
  register_train(app, globals, dispatch);
  register_make(app, globals, dispatch);
  register_provenance(app, globals, dispatch);
  register_sweep(app, globals, dispatch);
  register_model(app, globals, dispatch);
  register_reembed(app, globals, dispatch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  globals.db_explicit = db_option->count() > 0 || (env_db && *env_db);
  if (version) {
    std::cout << "palimpsest " << PALIMPSEST_VERSION << " (catalog schema "
              << Catalog::code_schema_version() << ")\n"
              << runtime_versions() << "\n";
    return kExitOk;
  }
  if (!dispatch.action) {
    std::cout << app.help();
    return kExitUsage;
  }
  try {
    return dispatch.action();
  } catch (const Error& e) {
    std::cerr << "palimpsest: error: " << error_line(e.what()) << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "palimpsest: error: " << error_line(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace palimpsest::cli

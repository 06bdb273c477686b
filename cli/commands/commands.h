#pragma once
// Each subcommand registers itself on the CLI11 app and sets `action` when it is chosen.
// Commands hold no logic of their own beyond argument handling and output formatting.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace palimpsest::cli {

struct GlobalOptions {
  std::string db;            // --db, else $PALIMPSEST_DB, else ./palimpsest.db
  bool db_explicit = false;  // set by --db or $PALIMPSEST_DB rather than defaulted
};

struct Dispatch {
  std::function<int()> action;
};

void register_ingest(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_records(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_search(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_serve(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_plan(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_demo(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_embed(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_train(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_make(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_provenance(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_sweep(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_model(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);
void register_reembed(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch);

}  // namespace palimpsest::cli

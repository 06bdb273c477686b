// palimpsest reembed [--model NAME|DIR] [--json] [-q] : embeds the whole archive with a model.
//
// Every record that has no vector of the model yet is embedded (embed_missing_records), so a run
// that was interrupted (even by kill -9) resumes where it stopped, and a second run finds nothing
// to do. The new vectors sit beside the other models' in the catalog: searches, plans and servers
// keep using the model they were given (or the catalog's current model) until `model use NAME`.
#include <filesystem>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "cli/commands/ingest_report.h"
#include "cli/commands/progress.h"
#include "cli/commands/terminal_text.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_store.h"
#include "schema/catalog_json.h"

namespace palimpsest::cli {

void register_reembed(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string model;
    std::string device = "cpu";
    bool json = false;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("reembed", "Embed every record of the catalog with a model (resumable)");
  cmd->add_option("--model", args->model,
                  "CLIP model: a store name or a folder (default: the catalog's current model)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the embedding report as JSON");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (!std::filesystem::exists(globals.db)) {
        std::cerr << "palimpsest reembed: no catalog at " << shown(globals.db) << " (ingest an archive first)\n";
        return kExitFailure;
      }
      const auto dir = model_argument(globals.db, args->model);
      if (!dir) {
        std::cerr << "palimpsest reembed: no model found: pass --model NAME or DIR\n";
        return kExitFailure;
      }
      auto encoder = ClipEncoder::load(*dir, args->device);
      Catalog catalog(globals.db);
      const bool tty = ProgressLine::stderr_is_terminal();
      const EmbeddingReport report =
          embed_with_progress(catalog, *encoder, tty && !args->quiet, !tty && !args->quiet && !args->json);
      if (args->json) {
        std::cout << json_text(embedding_report_json(report), 2) << "\n";
      } else {
        print_embedding_report(std::cout, report);
        const auto current = current_model(globals.db);
        if (report.model != current.value_or(kEmbeddedModelName))
          std::cout << "  search uses " << current.value_or(kEmbeddedModelName) << " until `palimpsest --db "
                    << shown(globals.db) << " model use " << report.model << "`\n";
      }
      return report.failures.empty() ? kExitOk : kExitFailure;
    };
  });
}

}  // namespace palimpsest::cli

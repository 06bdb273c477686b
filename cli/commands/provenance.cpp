// palimpsest provenance FILM [--frame N] [--json] : which records made a frame (or the whole
// film), in which role and how much.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"

namespace palimpsest::cli {
namespace {

std::string describe(Catalog& catalog, std::int64_t record_id) {
  auto r = catalog.record(record_id);
  if (!r) return "(deleted record)";
  std::string what = std::string(to_string(r->kind)) + "  " + (r->title.empty() ? r->text : r->title);
  if (what.size() > 70) what = what.substr(0, 67) + "...";
  return what;
}

}  // namespace

void register_provenance(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::int64_t film = 0;
    std::int64_t frame = -1;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("provenance", "Show which records made a frame of a film, or the whole film");
  cmd->add_option("film", args->film, "Film id")->required();
  cmd->add_option("--frame", args->frame, "Frame number (default: the whole film)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      Catalog catalog = open_existing_catalog(globals.db);
      auto film = catalog.films().get(args->film, /*with_timeline=*/false);
      if (!film) {
        std::cerr << "palimpsest: no film " << args->film << "\n";
        return kExitFailure;
      }
      if (args->frame >= 0) {
        auto frame = catalog.films().frame(args->film, args->frame);
        if (!frame) {
          std::cerr << "palimpsest: film " << args->film << " has no rendered frame " << args->frame << " ("
                    << film->frames_rendered << " of " << film->frame_count << " frames rendered)\n";
          return kExitFailure;
        }
        const auto rows = catalog.films().frame_provenance(args->film, args->frame);
        if (args->json) {
          nlohmann::json out = frame_provenance_json(*frame, rows);
          out["film_id"] = args->film;
          std::cout << out.dump(2) << "\n";
          return kExitOk;
        }
        std::printf("film %lld frame %lld (shot %lld, %s)\n", static_cast<long long>(args->film),
                    static_cast<long long>(args->frame), static_cast<long long>(frame->shot),
                    frame->diffused ? "diffused" : "in-between: warped and blended");
        for (const auto& p : rows)
          std::printf("  #%-6lld %-9s %6.1f%%  %s\n", static_cast<long long>(p.record_id), std::string(to_string(p.role)).c_str(),
                      100 * p.weight, describe(catalog, p.record_id).c_str());
        return kExitOk;
      }
      const auto shares = catalog.films().shares(args->film);
      if (args->json) {
        std::cout << nlohmann::json{{"film_id", args->film}, {"frames_rendered", film->frames_rendered},
                                    {"shares", shares_json(shares)}}.dump(2)
                  << "\n";
        return kExitOk;
      }
      std::printf("film %lld \"%s\": %lld of %lld frames rendered, %s\n", static_cast<long long>(args->film),
                  film->title.c_str(), static_cast<long long>(film->frames_rendered),
                  static_cast<long long>(film->frame_count), std::string(to_string(film->status)).c_str());
      for (const auto& s : shares)
        std::printf("  #%-6lld %-9s %6.1f%% of the film, in %lld frames  %s\n", static_cast<long long>(s.record_id),
                    std::string(to_string(s.role)).c_str(), 100 * s.share, static_cast<long long>(s.frames), describe(catalog, s.record_id).c_str());
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

// palimpsest provenance FILM [--frame N] [--json] : which records made a frame (or the whole
// film), in which role and how much, and which records are heard there, at which gain.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "schema/catalog.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"

namespace palimpsest::cli {
namespace {

std::string describe(Catalog& catalog, std::int64_t record_id) {
  auto r = catalog.record(record_id);
  if (!r) return "(deleted record)";
  return std::string(to_string(r->kind)) + "  " + one_line(r->title.empty() ? r->text : r->title, 60);
}

// "01:02.500"
std::string clock(double seconds) {
  const long long ms = std::llround(seconds * 1000);
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld.%03lld", ms / 60000, (ms / 1000) % 60, ms % 1000);
  return text;
}

void print_heard(Catalog& catalog, const std::optional<SoundInterval>& heard) {
  if (!heard) {
    std::printf("heard: nothing (the film was rendered without sound)\n");
    return;
  }
  std::printf("heard %s-%s:%s\n", clock(heard->from_s).c_str(), clock(heard->to_s).c_str(),
              heard->records.empty() ? " silence" : "");
  for (const HeardRow& h : heard->records)
    std::printf("  #%-6lld gain %6.4f  %s\n", static_cast<long long>(h.record_id), h.gain,
                describe(catalog, h.record_id).c_str());
}

void print_sound(Catalog& catalog, const std::optional<FilmSoundtrackRow>& t, const std::vector<SoundShareRow>& shares) {
  if (!t) {
    std::printf("sound: none (rendered without sound)\n");
    return;
  }
  std::printf("sound: %.2f s, provenance per %s, %lld clips, ", t->duration_s(), t->per_frame() ? "frame" : "second",
              static_cast<long long>(t->clips));
  if (t->mix_lufs)
    std::printf("normalised by %+.1f dB to %.1f LUFS (true peak %.1f dBTP)\n", t->gain_db, t->output_lufs.value_or(-70),
                t->true_peak_dbtp.value_or(-70));
  else
    std::printf("silent\n");
  for (const std::string& w : t->warnings) std::printf("  warning: %s\n", w.c_str());
  for (const SoundShareRow& s : shares)
    std::printf("  #%-6lld %6.1f%% of the sound, mean gain %.3f, heard %.1f s  %s\n", static_cast<long long>(s.record_id),
                100 * s.share, s.mean_gain, s.seconds, describe(catalog, s.record_id).c_str());
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
        const auto heard = catalog.films().heard_at_frame(args->film, args->frame);
        if (args->json) {
          nlohmann::json out = frame_provenance_json(*frame, rows, heard);
          out["film_id"] = args->film;
          std::cout << json_text(out, 2) << "\n";
          return kExitOk;
        }
        std::printf("film %lld frame %lld (shot %lld, %s)\n", static_cast<long long>(args->film),
                    static_cast<long long>(args->frame), static_cast<long long>(frame->shot),
                    frame->diffused ? "diffused" : "in-between: warped and blended");
        for (const auto& p : rows)
          std::printf("  #%-6lld %-9s %6.1f%%  %s\n", static_cast<long long>(p.record_id), std::string(to_string(p.role)).c_str(),
                      100 * p.weight, describe(catalog, p.record_id).c_str());
        print_heard(catalog, heard);
        return kExitOk;
      }
      const auto shares = catalog.films().shares(args->film);
      const auto soundtrack = catalog.films().soundtrack(args->film);
      const auto sound_shares = catalog.films().sound_shares(args->film);
      if (args->json) {
        std::cout << json_text({{"film_id", args->film}, {"frames_rendered", film->frames_rendered},
                                {"shares", shares_json(shares)},
                                {"sound", soundtrack_json(soundtrack, sound_shares)}}, 2)
                  << "\n";
        return kExitOk;
      }
      std::printf("film %lld \"%s\": %lld of %lld frames rendered, %s\n", static_cast<long long>(args->film),
                  shown(film->title).c_str(), static_cast<long long>(film->frames_rendered),
                  static_cast<long long>(film->frame_count), std::string(to_string(film->status)).c_str());
      for (const auto& s : shares)
        std::printf("  #%-6lld %-9s %6.1f%% of the film, in %lld frames  %s\n", static_cast<long long>(s.record_id),
                    std::string(to_string(s.role)).c_str(), 100 * s.share, static_cast<long long>(s.frames), describe(catalog, s.record_id).c_str());
      print_sound(catalog, soundtrack, sound_shares);
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

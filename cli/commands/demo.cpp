// palimpsest demo : the main job on the embedded default. Generates the procedural demo archive,
// ingests and embeds it, plans the embedded demo manuscript against it, renders the film with its
// soundtrack, and says where to look.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/film_sound_summary.h"
#include "cli/commands/ingest_report.h"
#include "cli/commands/timeline_arguments.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"
#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/embedded_file.h"
#include "synth/film_maker.h"

namespace palimpsest::cli {

void register_demo(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string out = "palimpsest-demo";
    std::uint64_t seed = 1;
    int images = 48;
    bool film = true;
    std::string size = "320x192";
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("demo", "Generate the demo archive, ingest it, render the demo film, show where to look");
  cmd->add_option("--out", args->out, "Folder for the demo archive and its catalog")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the procedural archive")->capture_default_str();
  cmd->add_option("--images", args->images, "Number of generated stills")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--size", args->size, "Film size WIDTHxHEIGHT")->capture_default_str();
  cmd->add_flag("!--no-film", args->film, "Stop after ingesting (no planning, no rendering)");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      namespace fs = std::filesystem;
      const fs::path out = fs::absolute(args->out);
      const fs::path archive_dir = out / "archive";
      const std::string db = globals.db_explicit ? globals.db : (out / "palimpsest.db").string();

      TimelineOptions film_options;
      if (auto usage = apply_timeline_arguments(film_options, args->size)) {
        std::cerr << "palimpsest demo: " << *usage << "\n";
        return kExitUsage;
      }
      const int stages = args->film ? 4 : 2;
      std::cout << "1/" << stages << " generating the demo archive in " << archive_dir.string() << " (seed "
                << args->seed << ")...\n";
      demo::DemoArchiveOptions options;
      options.seed = args->seed;
      options.image_count = args->images;
      const demo::DemoArchiveManifest manifest = demo::write_demo_archive(archive_dir, options);
      std::cout << "    " << manifest.images.size() << " captioned stills, " << manifest.shots.size() << "-shot "
                << (manifest.narration.empty() ? "" : "narrated ") << "video (" << manifest.video_duration_s
                << " s) with subtitles, a text document, a scanned page\n";
      for (const std::string& w : manifest.warnings) std::cerr << "palimpsest demo: warning: " << w << "\n";

      std::cout << "2/" << stages << " ingesting into " << db << "...\n";
      Catalog catalog(db);
      IngestOptions ingest_options;
      ingest_options.archive = "demo";
      Ingester ingester(catalog, ingest_options);
      const IngestSummary summary = ingester.run({archive_dir});
      print_ingest_summary(std::cout, summary, db);
      if (auto model = default_model_dir()) {
        auto encoder = ClipEncoder::load(*model);
        print_embedding_report(std::cout, embed_missing_records(catalog, *encoder));
      } else {
        std::cout << "  (no embedding model found: records were not embedded)\n";
      }

      std::optional<std::int64_t> film_id;
      if (args->film) {
        const EmbeddedFile& script = embedded_demo_files().front();
        std::cout << "3/4 planning the demo manuscript (" << script.name << ") against the archive...\n";
        Timeline timeline = plan_shots(script.content, ManuscriptFormat::fountain, film_options, std::string(script.name));
        PlanningModel model = load_planning_model(catalog, std::nullopt);
        PlannedFilm planned = plan_film(catalog, std::move(timeline), std::string(script.name), model.encoder.get(),
                                        model.index.get(), model.model_id);
        std::printf("    film %lld: %zu shots, %lld frames at %g fps, %dx%d, planned in %.0f ms\n",
                    static_cast<long long>(planned.film_id), planned.timeline.shots.size(),
                    static_cast<long long>(planned.timeline.frame_count), planned.timeline.fps,
                    planned.timeline.width, planned.timeline.height, planned.planning_seconds * 1000);
        std::cout << "4/4 rendering the film (archive denoiser, provenance per frame)...\n" << std::flush;
        FilmMakeOptions make;
        std::int64_t reported = 0;
        make.progress = [&](const FilmProgress& p) {
          if (p.stage == "done") return;
          if (p.stage == "frames") {
            if (p.frames_done - reported < std::max<std::int64_t>(1, p.frame_count / 4) && p.frames_done != p.frame_count) return;
            if (p.frames_done == reported && reported != 0) return;
          }
          reported = p.frames_done;
          std::printf("    %lld/%lld frames%s\n", static_cast<long long>(p.frames_done),
                      static_cast<long long>(p.frame_count),
                      p.stage == "video" ? ", encoding the video" : p.stage == "sound" ? ", mixing the soundtrack" : "");
          std::fflush(stdout);
        };
        const FilmResult film = make_film(catalog, planned.film_id, make);
        for (const std::string& w : film.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
        std::printf("    %s (%lld frames rendered, %lld reused, %.1f s)\n", film.video_path.string().c_str(),
                    static_cast<long long>(film.frames_rendered), static_cast<long long>(film.frames_reused),
                    film.seconds);
        std::printf("    %s\n", describe_soundtrack(film).c_str());
        for (const std::string& w : film.sound_warnings) std::cerr << "palimpsest demo: warning: sound: " << w << "\n";
        film_id = planned.film_id;
      }

      const std::string prefix = "palimpsest --db " + db;
      std::cout << "\nWhere to look:\n";
      if (film_id) {
        const std::string id = std::to_string(*film_id);
        std::cout << "  " << prefix << " serve\n"
                  << "      then open http://127.0.0.1:8080/#/film/" << id << "   the film, frame by frame, with its provenance\n"
                  << "  " << prefix << " provenance " << id << " --frame 0   which records made frame 0\n"
                  << "  " << prefix << " provenance " << id << "             each record's share of the film and its sound\n";
      }
      std::cout << "  " << prefix << " search \"a red circle over the sea\"\n"
                << "  " << prefix << " records --kind image     the captioned stills\n"
                << "  " << archive_dir.string() << "            the generated archive itself\n";
      return summary.count(FileOutcome::failed) > 0 ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

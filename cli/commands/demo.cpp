// palimpsest demo : the main job on the embedded default. Generates the procedural demo archive,
// ingests it, and says where to look.
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/ingest_report.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"

namespace palimpsest::cli {

void register_demo(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string out = "palimpsest-demo";
    std::uint64_t seed = 1;
    int images = 48;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("demo", "Generate the procedural demo archive, ingest it, show where to look");
  cmd->add_option("--out", args->out, "Folder for the demo archive and its catalog")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the procedural archive")->capture_default_str();
  cmd->add_option("--images", args->images, "Number of generated stills")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      namespace fs = std::filesystem;
      const fs::path out = fs::absolute(args->out);
      const fs::path archive_dir = out / "archive";
      const std::string db = globals.db_explicit ? globals.db : (out / "palimpsest.db").string();

      std::cout << "1/2 generating the demo archive in " << archive_dir.string() << " (seed "
                << args->seed << ")...\n";
      demo::DemoArchiveOptions options;
      options.seed = args->seed;
      options.image_count = args->images;
      const demo::DemoArchiveManifest manifest = demo::write_demo_archive(archive_dir, options);
      std::cout << "    " << manifest.images.size() << " captioned stills, "
                << manifest.shots.size() << "-shot video (" << manifest.video_duration_s
                << " s) with subtitles, a text document\n";

      std::cout << "2/2 ingesting into " << db << "...\n";
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

      const std::string prefix = "palimpsest --db " + db;
      std::cout << "\nWhere to look:\n"
                << "  " << prefix << " records --kind frame     the video's shots and samples\n"
                << "  " << prefix << " records --kind image     the captioned stills\n"
                << "  " << prefix << " record 1                 one record in detail\n"
                << "  " << archive_dir.string() << "            the generated archive itself\n";
      return summary.count(FileOutcome::failed) > 0 ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

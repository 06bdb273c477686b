// palimpsest ingest PATH... : files and folders into the catalog.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/ingest_report.h"
#include "cli/commands/progress.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"

namespace palimpsest::cli {
namespace {

// Draws files, frames, rate and ETA on a terminal; prints one plain line per file otherwise.
class IngestProgress : public IngestObserver {
 public:
  IngestProgress(bool bar, bool lines) : line_(bar), lines_(lines) {}

  void on_start(std::size_t files, std::uint64_t bytes) override {
    files_ = files;
    total_bytes_ = bytes;
    started_ = std::chrono::steady_clock::now();
  }
  void on_file_start(const std::filesystem::path& path, std::size_t index) override {
    index_ = index;
    current_ = path.filename().string();
    file_frames_ = 0;
    draw(0, 0, true);
  }
  void on_frames(std::int64_t frames, std::int64_t media_ms, std::int64_t duration_ms) override {
    file_frames_ = frames;
    draw(media_ms, duration_ms, false);
  }
  void on_file_done(const FileReport& report) override {
    done_bytes_ += static_cast<std::uint64_t>(std::max<std::int64_t>(0, report.bytes));
    frames_ += report.frames_decoded;
    line_.clear();
    if (report.outcome == FileOutcome::failed) {
      std::cerr << "palimpsest: " << report.path.string() << ": " << report.message << "\n";
    } else if (lines_) {
      std::cerr << "[" << (index_ + 1) << "/" << files_ << "] " << to_string(report.outcome) << " "
                << to_string(report.kind) << " " << report.path.string();
      for (const auto& [kind, n] : report.records) std::cerr << " " << n << " " << kind;
      if (report.outcome == FileOutcome::skipped) std::cerr << " (" << report.message << ")";
      std::cerr << "\n";
    }
    for (const std::string& w : report.warnings)
      std::cerr << "palimpsest: warning: " << report.path.string() << ": " << w << "\n";
  }

 private:
  void draw(std::int64_t media_ms, std::int64_t duration_ms, bool force) {
    if (!line_.enabled()) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double fraction = total_bytes_ ? static_cast<double>(done_bytes_) / total_bytes_ : 0;
    const double frames = static_cast<double>(frames_ + file_frames_);
    std::string text = progress_bar(fraction) + " " + std::to_string(index_ + 1) + "/" +
                       std::to_string(files_) + " files, " + std::to_string(frames_ + file_frames_) +
                       " frames";
    if (elapsed > 0.5) {
      char rate[48];
      std::snprintf(rate, sizeof rate, ", %.0f frames/s", frames / elapsed);
      text += rate;
      if (fraction > 0.01) text += ", ETA " + format_duration(elapsed / fraction - elapsed);
    }
    if (duration_ms > 0)
      text += " | " + current_ + " " + std::to_string(media_ms * 100 / duration_ms) + "%";
    else
      text += " | " + current_;
    line_.update(text, force);
  }

  ProgressLine line_;
  bool lines_;
  std::size_t files_ = 0, index_ = 0;
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0;
  std::int64_t frames_ = 0, file_frames_ = 0;
  std::string current_;
  std::chrono::steady_clock::time_point started_{};
};

// Embeds what the catalog lacks, with a progress line on a terminal (`bar`) or, piped, a plain
// line every tenth of the way (`lines`).
EmbeddingReport embed_records(Catalog& catalog, ClipEncoder& encoder, bool bar, bool lines) {
  ProgressLine line(bar);
  int tenths_said = -1;
  const auto started = std::chrono::steady_clock::now();
  EmbeddingPassOptions options;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char rate[64];
    std::snprintf(rate, sizeof rate, " %.0f records/s", elapsed > 0 ? done / elapsed : 0.0);
    line.update(progress_bar(total ? static_cast<double>(done) / total : 1) + " embedding " +
                std::to_string(done) + "/" + std::to_string(total) + rate);
    const int tenths = total > 0 ? static_cast<int>(done * 10 / total) : 10;
    if (lines && tenths > tenths_said) {
      tenths_said = tenths;
      std::cerr << "embedding " << done << "/" << total << " records" << rate << "\n";
    }
  };
  return embed_missing_records(catalog, encoder, options);
}

}  // namespace

void register_ingest(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  auto* cmd = app.add_subcommand("ingest", "Add files and folders (footage, images, texts, subtitles) to the catalog");
  struct Args {
    std::vector<std::string> paths;
    IngestOptions options;
    std::int64_t max_text_mb = 64;
    std::string model;     // empty: the default model when present
    std::string device = "cpu";
    bool no_embed = false;
    bool json = false;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("paths", args->paths, "Files or folders to ingest")->required();
  cmd->add_option("--archive", args->options.archive, "Archive name")->capture_default_str();
  cmd->add_option("--sample-fps", args->options.sample_fps, "Video frames sampled per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shot-threshold", args->options.shots.threshold,
                  "Cut threshold on HSV content difference (0-255)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 255.0));
  cmd->add_option("--max-text-mb", args->max_text_mb, "Refuse text/subtitle files larger than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--model", args->model,
                  "CLIP model folder for embeddings (default: the embedded palimpsest-tiny)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--no-embed", args->no_embed, "Only catalog the files; embed later");
  cmd->add_flag("--json", args->json, "Print a JSON summary on stdout");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      args->options.max_text_bytes = args->max_text_mb << 20;
      // The model is loaded first so that a bad --model fails before any work is done.
      std::unique_ptr<ClipEncoder> encoder;
      std::string embed_note;
      if (!args->no_embed) {
        if (!args->model.empty()) {
          encoder = ClipEncoder::load(args->model, args->device);
        } else if (auto dir = default_model_dir()) {
          encoder = ClipEncoder::load(*dir, args->device);
        } else {
          embed_note = "no embedding model found (data/models/palimpsest-tiny or $PALIMPSEST_MODEL); "
                       "records were not embedded: pass --model DIR";
        }
      }
      Catalog catalog(globals.db);
      Ingester ingester(catalog, args->options);
      const bool tty = ProgressLine::stderr_is_terminal();
      IngestProgress progress(tty && !args->quiet, !tty && !args->quiet && !args->json);
      std::vector<std::filesystem::path> paths(args->paths.begin(), args->paths.end());
      IngestSummary summary = ingester.run(paths, &progress);
      std::optional<EmbeddingReport> embedded;
      if (encoder) {
        embedded = embed_records(catalog, *encoder, tty && !args->quiet, !tty && !args->quiet && !args->json);
        summary.seconds += embedded->seconds;  // the time of the whole ingest, embedding included
      }
      if (args->json) {
        nlohmann::json j = summary.to_json();
        if (embedded) j["embeddings"] = embedding_report_json(*embedded);
        if (!embed_note.empty()) j["embeddings"] = {{"skipped", embed_note}};
        std::cout << j.dump(2) << "\n";
      } else {
        print_ingest_summary(std::cout, summary, globals.db);
        if (embedded) print_embedding_report(std::cout, *embedded);
      }
      if (!embed_note.empty()) std::cerr << "palimpsest: note: " << embed_note << "\n";
      const std::int64_t failed = summary.count(FileOutcome::failed);
      if (failed > 0) {
        std::cerr << "palimpsest: " << failed << (failed == 1 ? " file" : " files")
                  << " failed (see above); everything else was ingested\n";
        return kExitFailure;
      }
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli

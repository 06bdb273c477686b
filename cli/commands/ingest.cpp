// palimpsest ingest PATH... : files and folders into the catalog.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/ingest_report.h"
#include "cli/commands/progress.h"
#include "indexer/clip/clip_encoder.h"
#include "cli/commands/catalog_arguments.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"
#include "indexer/text/timecode.h"
#include "schema/catalog_json.h"

namespace palimpsest::cli {
namespace {

// Piped, a long phase prints a plain line at every tenth of the way: PDFs from this many pages,
// sound from this many milliseconds (deterministic, so short files print none).
constexpr std::int64_t kPipedPages = 50;
constexpr std::int64_t kPipedSoundMs = 5 * 60 * 1000;

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
    current_ = one_line(path.filename().native(), 40);
    file_frames_ = 0;
    phase_.clear();
    printed_tenth_ = 0;
    draw(0, 0, true);
  }
  void on_phase(std::string_view phase, std::int64_t done, std::int64_t total) override {
    if (phase != phase_) printed_tenth_ = 0;
    phase_ = phase;
    phase_done_ = done;
    phase_total_ = total;
    draw(0, 0, false);
    const bool long_phase = (phase == "pages" && total >= kPipedPages) || (phase == "sound" && total >= kPipedSoundMs);
    if (!lines_ || !long_phase || total <= 0) return;
    const std::int64_t tenth = done * 10 / total;
    if (tenth <= printed_tenth_ || tenth >= 10) return;
    printed_tenth_ = tenth;
    std::cerr << "  " << current_ << ": " << phase_text() << "\n";
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
      std::cerr << "palimpsest: " << shown(report.path.native()) << ": " << shown(report.message) << "\n";
    } else if (lines_) {
      std::cerr << "[" << (index_ + 1) << "/" << files_ << "] " << to_string(report.outcome) << " "
                << to_string(report.kind) << " " << shown(report.path.native());
      for (const auto& [kind, n] : report.records) std::cerr << " " << n << " " << kind;
      if (!report.message.empty()) std::cerr << " (" << shown(report.message) << ")";
      std::cerr << "\n";
    }
    for (const std::string& w : report.warnings)
      std::cerr << "palimpsest: warning: " << shown(report.path.native()) << ": " << shown(w) << "\n";
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
    if (!phase_.empty())
      text += " | " + current_ + " " + phase_text();
    else if (duration_ms > 0)
      text += " | " + current_ + " " + std::to_string(media_ms * 100 / duration_ms) + "%";
    else
      text += " | " + current_;
    line_.update(text, force);
  }

  // "page 120/5000", "sound 45% (01:30 of 03:20)", "speech 42 s transcribed".
  std::string phase_text() const {
    if (phase_ == "pages") return "page " + std::to_string(phase_done_) + "/" + std::to_string(phase_total_);
    if (phase_ == "speech") return "speech " + std::to_string(phase_done_ / 1000) + " s transcribed";
    std::string text = phase_;
    if (phase_total_ > 0)
      text += " " + std::to_string(std::min<std::int64_t>(100, phase_done_ * 100 / phase_total_)) + "% (" +
              format_timestamp(phase_done_) + " of " + format_timestamp(phase_total_) + ")";
    else
      text += " " + format_timestamp(phase_done_);
    return text;
  }

  ProgressLine line_;
  bool lines_;
  std::size_t files_ = 0, index_ = 0;
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0;
  std::int64_t frames_ = 0, file_frames_ = 0;
  std::string current_;
  std::string phase_;
  std::int64_t phase_done_ = 0, phase_total_ = 0, printed_tenth_ = 0;
  std::chrono::steady_clock::time_point started_{};
};

// Embeds what the catalog lacks, with a progress line on a terminal.

}  // namespace

void register_ingest(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  auto* cmd = app.add_subcommand(
      "ingest", "Add files and folders (footage, sound, images, PDFs, texts, subtitles) to the catalog");
  struct Args {
    std::vector<std::string> paths;
    IngestOptions options;
    std::int64_t max_text_mb = 64;
    bool no_speech = false;
    std::string ocr = "images";
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
  cmd->add_flag("--no-speech", args->no_speech, "Do not transcribe what is said in audio and videos");
  cmd->add_option("--speech-lang", args->options.speech_language,
                  "Language of the speech model (installed under /usr/share/pocketsphinx/model)")
      ->capture_default_str();
  cmd->add_option("--speech-threads", args->options.speech_threads, "Speech decoders in parallel (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_option("--ocr", args->ocr,
                  "Read writing in pictures: off, images (images and PDF pages without a text layer), "
                  "frames (also video keyframes)")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "images", "frames"}));
  cmd->add_option("--ocr-lang", args->options.ocr_languages, "OCR languages, tesseract's syntax (deu+eng)")
      ->capture_default_str();
  cmd->add_option("--model", args->model,
                  "CLIP model for embeddings: a name in the model store or a folder (default: the catalog's current model)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--no-embed", args->no_embed, "Only catalog the files; embed later");
  cmd->add_flag("--json", args->json, "Print a JSON summary on stdout");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      args->options.max_text_bytes = args->max_text_mb << 20;
      args->options.speech = !args->no_speech;
      args->options.ocr = parse_ocr_scope(args->ocr).value_or(OcrScope::images);
      // The model is loaded first so that a bad --model fails before any work is done.
      std::unique_ptr<ClipEncoder> encoder;
      std::string embed_note;
      if (!args->no_embed) {
        if (auto dir = model_argument(globals.db, args->model)) {
          encoder = ClipEncoder::load(*dir, args->device);
        } else {
          embed_note = "no embedding model found (data/models/palimpsest-tiny or $PALIMPSEST_MODEL); "
                       "records were not embedded: pass --model NAME or DIR";
        }
      }
      Catalog catalog(globals.db);
      Ingester ingester(catalog, args->options);
      for (const std::string& note : ingester.notes()) std::cerr << "palimpsest: " << note << "\n";
      const bool tty = ProgressLine::stderr_is_terminal();
      IngestProgress progress(tty && !args->quiet, !tty && !args->quiet && !args->json);
      std::vector<std::filesystem::path> paths(args->paths.begin(), args->paths.end());
      IngestSummary summary = ingester.run(paths, &progress);
      std::optional<EmbeddingReport> embedded;
      if (encoder && summary.stopped.empty()) {
        embedded = embed_with_progress(catalog, *encoder, tty && !args->quiet, !tty && !args->quiet && !args->json);
        summary.seconds += embedded->seconds;  // the time of the whole ingest, embedding included
      }
      if (args->json) {
        nlohmann::json j = summary.to_json();
        if (embedded) j["embeddings"] = embedding_report_json(*embedded);
        if (!embed_note.empty()) j["embeddings"] = {{"skipped", embed_note}};
        std::cout << json_text(j, 2) << "\n";
      } else {
        print_ingest_summary(std::cout, summary, globals.db);
        if (embedded) print_embedding_report(std::cout, *embedded);
      }
      if (!embed_note.empty()) std::cerr << "palimpsest: note: " << embed_note << "\n";
      if (!summary.stopped.empty()) {
        std::cerr << "palimpsest: error: ingest stopped: " << error_line(summary.stopped) << "\n";
        return kExitFailure;
      }
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

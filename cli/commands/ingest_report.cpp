#include "cli/commands/ingest_report.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/commands/progress.h"
#include "cli/commands/terminal_text.h"

namespace palimpsest::cli {

void print_ingest_summary(std::ostream& out, const IngestSummary& s, const std::string& db) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", s.seconds);
  out << "Ingested into archive \"" << shown(s.archive) << "\" (" << shown(db) << ") in " << seconds << " s\n";
  out << "  files:   " << s.files_seen << " seen, " << s.count(FileOutcome::added) << " added, "
      << s.count(FileOutcome::replaced) << " replaced, " << s.count(FileOutcome::unchanged)
      << " unchanged, " << s.count(FileOutcome::skipped) << " skipped, "
      << s.count(FileOutcome::failed) << " failed";
  if (const std::int64_t deferred = s.count(FileOutcome::deferred); deferred > 0)
    out << ", " << deferred << " left to another ingest running on this catalog";
  out << "\n";
  out << "  records:";
  if (s.records_added.empty()) out << " none added";
  bool first = true;
  for (const auto& [kind, n] : s.records_added) {
    out << (first ? " " : ", ") << n << " " << kind;
    first = false;
  }
  out << "\n";
  if (s.frames_decoded > 1 && s.media_ms > 0) {
    char line[128];
    std::snprintf(line, sizeof line, "  video:   %lld frames decoded, %.1f s of footage\n",
                  static_cast<long long>(s.frames_decoded), s.media_ms / 1000.0);
    out << line;
  }
  if (s.audio_ms > 0) {
    char line[256];
    std::snprintf(line, sizeof line, "  sound:   %.1f s of audio, %.1f s of it transcribed", s.audio_ms / 1000.0,
                  s.speech_ms / 1000.0);
    out << line;
    if (s.sound_seconds > 0) {
      std::snprintf(line, sizeof line, " (%.0fx real time)", s.audio_ms / 1000.0 / s.sound_seconds);
      out << line;
    }
    if (s.low_confidence > 0)
      out << "; " << s.low_confidence << " low-confidence utterance(s) kept flagged, out of search";
    out << "\n";
  }
  if (s.ocr_pictures > 0)
    out << "  OCR:     " << s.ocr_pictures << " picture(s) read, " << s.ocr_pictures - s.ocr_text_free
        << " with text, " << s.ocr_text_free << " without\n";
  if (s.pages > 0) out << "  PDF:     " << s.pages << " page(s)\n";
  if (s.subtitles_linked > 0) out << "  linked:  " << s.subtitles_linked << " subtitle file(s) to their video\n";
  for (const FileReport& r : s.skipped) out << "  skipped: " << shown(r.path.native()) << " (" << shown(r.message) << ")\n";
  for (const FileReport& r : s.failed) out << "  failed:  " << shown(r.path.native()) << ": " << shown(r.message) << "\n";
}

void print_embedding_report(std::ostream& out, const EmbeddingReport& r) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", r.seconds);
  out << "  embedded: " << r.embedded << " records with " << r.model << " in " << seconds << " s";
  bool first = true;
  for (const auto& [kind, n] : r.by_kind) {
    out << (first ? " (" : ", ") << n << " " << kind;
    first = false;
  }
  out << (first ? "" : ")");
  if (r.deferred > 0) out << "; " << r.deferred << " left to another ingest running on this catalog";
  out << "\n";
  for (const std::string& f : r.failures) out << "  not embedded: " << shown(f) << "\n";
  if (r.indexed > 0) out << "  indexed:  " << r.indexed << " vectors in the " << r.model << " vector index\n";
}

nlohmann::json embedding_report_json(const EmbeddingReport& r) {
  return {{"model", r.model}, {"model_id", r.model_id}, {"embedded", r.embedded},
          {"by_kind", r.by_kind}, {"failures", r.failures}, {"deferred", r.deferred}, {"seconds", r.seconds},
          {"indexed", r.indexed}, {"index_notes", r.index_notes}};
}

EmbeddingReport embed_with_progress(Catalog& catalog, ClipEncoder& encoder, bool bar, bool lines) {
  ProgressLine line(bar);
  const auto started = std::chrono::steady_clock::now();
  std::int64_t printed_tenth = 0;
  EmbeddingPassOptions options;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char rate[64];
    std::snprintf(rate, sizeof rate, " %.0f records/s", elapsed > 0 ? done / elapsed : 0.0);
    const std::string text = "embedding " + std::to_string(done) + "/" + std::to_string(total) + " records" + rate;
    if (line.enabled()) {
      line.update(progress_bar(total ? static_cast<double>(done) / total : 1) + " " + text);
    } else if (lines && total > 0) {
      const std::int64_t tenth = done * 10 / total;
      if (tenth > printed_tenth || done == total) {
        printed_tenth = tenth;
        std::cerr << text << "\n";
      }
    }
  };
  EmbeddingReport report = embed_missing_records(catalog, encoder, options);
  line.clear();
  return report;
}

}  // namespace palimpsest::cli

#include "indexer/ingest/ingester.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <utility>

#include "indexer/files/content_hash.h"
#include "indexer/ingest/claim_heartbeat.h"
#include "indexer/ingest/file_ingesters.h"
#include "indexer/ingest/ingest_engines.h"
#include "schema/work_claims.h"

namespace palimpsest {
namespace fs = std::filesystem;

std::string_view to_string(FileOutcome outcome) {
  switch (outcome) {
    case FileOutcome::added: return "added";
    case FileOutcome::replaced: return "replaced";
    case FileOutcome::unchanged: return "unchanged";
    case FileOutcome::skipped: return "skipped";
    case FileOutcome::deferred: return "deferred";
    case FileOutcome::failed: break;
  }
  return "failed";
}

std::string_view to_string(OcrScope scope) {
  switch (scope) {
    case OcrScope::off: return "off";
    case OcrScope::images: return "images";
    case OcrScope::frames: break;
  }
  return "frames";
}

std::optional<OcrScope> parse_ocr_scope(std::string_view name) {
  for (OcrScope s : {OcrScope::off, OcrScope::images, OcrScope::frames})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::int64_t IngestSummary::count(FileOutcome outcome) const {
  auto it = outcomes.find(outcome);
  return it == outcomes.end() ? 0 : it->second;
}

nlohmann::json IngestSummary::to_json() const {
  nlohmann::json j;
  j["archive"] = archive;
  j["files_seen"] = files_seen;
  for (FileOutcome o : {FileOutcome::added, FileOutcome::replaced, FileOutcome::unchanged,
                        FileOutcome::skipped, FileOutcome::failed, FileOutcome::deferred})
    j["files_" + std::string(to_string(o))] = count(o);
  j["records_added"] = records_added;
  auto list = [](const std::vector<FileReport>& reports) {
    nlohmann::json out = nlohmann::json::array();
    for (const FileReport& r : reports) out.push_back({{"path", r.path.string()}, {"reason", r.message}});
    return out;
  };
  j["skipped"] = list(skipped);
  j["failed"] = list(failed);
  j["warnings"] = warnings;
  j["subtitles_linked"] = subtitles_linked;
  j["frames_decoded"] = frames_decoded;
  j["audio_seconds"] = audio_ms / 1000.0;
  j["speech_seconds"] = speech_ms / 1000.0;
  j["sound_wall_seconds"] = sound_seconds;
  j["speech_low_confidence"] = low_confidence;
  j["ocr_pictures"] = ocr_pictures;
  j["ocr_text_free"] = ocr_text_free;
  j["pdf_pages"] = pages;
  j["notes"] = notes;
  j["seconds"] = seconds;
  if (!stopped.empty()) j["stopped"] = stopped;
  return j;
}

namespace {

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.size() > 1 && name[0] == '.' && name != "..";
}

// SQLite's own files (a catalog inside the archive folder) are never archive content.
bool is_catalog_file(const fs::path& path) {
  const std::string name = path.filename().string();
  for (std::string_view suffix : {".db-wal", ".db-shm", ".db-journal"})
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

FileReport failed_report(const fs::path& path, std::string message) {
  FileReport r;
  r.path = path;
  r.outcome = FileOutcome::failed;
  r.message = std::move(message);
  return r;
}

FileReport skipped_report(const fs::path& path, std::string message) {
  FileReport r = failed_report(path, std::move(message));
  r.outcome = FileOutcome::skipped;
  return r;
}

// Lists the files under `root` into `found`. Nothing stops the walk: a folder that cannot be listed
// is one failed report; a link is listed as the file it names, or, when it names nothing (dangling,
// a loop of links, unreachable), listed anyway so that ingesting it fails with the reason; a link
// to a folder is not followed (a skipped report), and a folder reached twice (a bind-mount loop) is
// listed once.
void walk_folder(const fs::path& root, std::vector<fs::path>& found, std::vector<FileReport>& reports) {
  std::set<std::pair<dev_t, ino_t>> listed;
  std::vector<fs::path> pending = {root};
  while (!pending.empty()) {
    const fs::path folder = pending.back();
    pending.pop_back();
    struct stat st{};
    if (::stat(folder.c_str(), &st) == 0 && !listed.insert({st.st_dev, st.st_ino}).second) {
      reports.push_back(skipped_report(folder, "a folder already listed (a mount loop): not listed again"));
      continue;
    }
    std::error_code ec;
    fs::directory_iterator it(folder, ec), end;
    if (ec) {
      reports.push_back(failed_report(folder, "cannot list folder: " + ec.message()));
      continue;
    }
    for (; it != end; it.increment(ec)) {
      const fs::path path = it->path();
      if (is_hidden(path)) continue;
      std::error_code link_ec, target_ec;
      const fs::file_status own = it->symlink_status(link_ec);
      if (link_ec) {
        found.push_back(path);  // ingesting it reports why it cannot be read
        continue;
      }
      if (fs::is_symlink(own)) {
        const fs::file_status target = fs::status(path, target_ec);
        if (!target_ec && fs::is_directory(target)) {
          reports.push_back(skipped_report(path, "a link to a folder: not followed"));
        } else if (target_ec || !is_catalog_file(path)) {
          found.push_back(path);
        }
        continue;
      }
      if (fs::is_directory(own)) pending.push_back(path);
      else if (!is_catalog_file(path)) found.push_back(path);
    }
    if (ec) reports.push_back(failed_report(folder, "cannot list folder: " + ec.message()));
  }
}

}  // namespace

std::vector<fs::path> list_input_files(const std::vector<fs::path>& inputs,
                                       std::vector<FileReport>& missing) {
  std::vector<fs::path> files;
  for (const fs::path& input : inputs) {
    std::error_code ec;
    const fs::file_status status = fs::status(input, ec);
    if (ec || !fs::exists(status)) {
      missing.push_back(failed_report(input, ec ? ec.message() : "no such file or directory"));
      continue;
    }
    if (!fs::is_directory(status)) {
      files.push_back(input);  // named explicitly: ingested (or reported) whatever it is
      continue;
    }
    std::vector<fs::path> found;
    walk_folder(input, found, missing);
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Ingester::Ingester(Catalog& catalog, IngestOptions options)
    : catalog_(catalog), options_(std::move(options)), owner_(new_work_owner()) {
  if (!(options_.sample_fps > 0)) throw std::invalid_argument("--sample-fps must be positive");
  if (options_.thumbnail_max_side < 16) throw std::invalid_argument("thumbnail size too small");
  engines_ = std::make_unique<IngestEngines>(options_);
}

Ingester::~Ingester() = default;

const std::vector<std::string>& Ingester::notes() const { return engines_->notes(); }

namespace {

SourceKind source_kind(FileKind kind) {
  switch (kind) {
    case FileKind::image: return SourceKind::image;
    case FileKind::video: return SourceKind::video;
    case FileKind::audio: return SourceKind::audio;
    case FileKind::pdf: return SourceKind::pdf;
    case FileKind::text: return SourceKind::text;
    case FileKind::subtitle:
    case FileKind::unknown: break;
  }
  return SourceKind::subtitle;
}

// "speech (pocketsphinx en-us 1a2b...)" for each stage whose engine differs from the stored one.
std::string changed_stages(const nlohmann::json& stored, const nlohmann::json& wanted) {
  std::string out;
  for (const auto& [stage, engine] : wanted.items()) {
    const auto it = stored.find(stage);
    if (it != stored.end() && *it == engine) continue;
    out += (out.empty() ? "" : ", ") + stage + (it == stored.end() ? " (new)" : " (new engine or model)");
  }
  return out;
}

}  // namespace

FileReport Ingester::ingest_file(std::int64_t archive_id, const fs::path& input,
                                 IngestObserver* observer) {
  FileReport report;
  report.path = input;
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(fs::absolute(input), ec);
  try {
    struct stat st{};
    if (::stat(input.c_str(), &st) != 0) throw std::runtime_error(std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error("not a regular file");
    report.bytes = st.st_size;
    {
      std::ifstream probe(input, std::ios::binary);
      if (!probe) throw std::runtime_error(std::string("cannot read: ") + std::strerror(errno));
    }
    const KindDetection kind = detect_file_kind(input);
    report.kind = kind.kind;
    report.format = kind.format;
    if (!kind.problem.empty()) throw std::runtime_error(kind.problem);
    if (kind.kind == FileKind::unknown) {
      report.outcome = FileOutcome::skipped;
      report.message = "not an image, video, audio, PDF, text or subtitle file";
      return report;
    }
    if ((kind.kind == FileKind::text || kind.kind == FileKind::subtitle) &&
        st.st_size > options_.max_text_bytes) {
      throw std::runtime_error("text file too large (" + std::to_string(st.st_size >> 20) +
                               " MiB; the limit is " + std::to_string(options_.max_text_bytes >> 20) +
                               " MiB, see --max-text-mb)");
    }

    const std::string uri = path.string();
    std::string holder;
    if (!catalog_.claims().claim_file(archive_id, uri, owner_, options_.claim_stale_after_s, &holder)) {
      report.outcome = FileOutcome::deferred;
      report.message = "another ingest (" + holder + ") is ingesting it";
      return report;
    }
    const ClaimRelease claim([&] { catalog_.claims().release_file(archive_id, uri, owner_); });
    const std::string sha = sha256_file(input);
    const auto existing = catalog_.find_source(archive_id, uri);
    const nlohmann::json derivations = engines_->derivations(kind.kind);
    if (existing && existing->sha256 == sha) {
      if (IngestEngines::up_to_date(existing->derived_with, derivations)) {
        report.outcome = FileOutcome::unchanged;
        return report;
      }
      // Same content, but this run derives more from it (or with another engine): made again.
      report.message = "derived again: " + changed_stages(existing->derived_with, derivations);
    }

    SourceRow source;
    source.archive_id = archive_id;
    source.uri = uri;
    source.sha256 = sha;
    source.size_bytes = st.st_size;
    source.kind = source_kind(kind.kind);
    source.derived_with = derivations;
    Catalog::SourceWriter writer = catalog_.replace_source(source);
    ingest_detail::FileContext file{writer, input, options_, *engines_, report, observer};
    switch (kind.kind) {
      case FileKind::image: ingest_detail::ingest_image(file); break;
      case FileKind::video: ingest_detail::ingest_video(file); break;
      case FileKind::audio: ingest_detail::ingest_sound(file, {}); break;
      case FileKind::pdf: ingest_detail::ingest_pdf(file); break;
      case FileKind::text: ingest_detail::ingest_text(file); break;
      case FileKind::subtitle: ingest_detail::ingest_subtitles(file); break;
      case FileKind::unknown: break;
    }
    writer.commit();
    report.outcome = existing ? FileOutcome::replaced : FileOutcome::added;
  } catch (const CatalogError& e) {
    if (e.disk_full()) throw;  // not this file's problem: run() stops
    report.outcome = FileOutcome::failed;
    report.message = e.what();
    report.records.clear();
  } catch (const std::exception& e) {
    report.outcome = FileOutcome::failed;
    // Engines name the file in their messages; the report names it already.
    report.message = ingest_detail::without_path(ingest_detail::without_path(e.what(), input), path);
    report.records.clear();
  }
  return report;
}

std::int64_t Ingester::link_subtitles(std::int64_t archive_id) {
  std::map<std::pair<fs::path, std::string>, std::int64_t> videos;  // (folder, stem) -> source
  std::vector<SourceRow> subtitles;
  for (SourceRow& s : catalog_.sources(archive_id)) {
    const fs::path p(s.uri);
    if (s.kind == SourceKind::video) videos[{p.parent_path(), p.stem().string()}] = s.id;
    if (s.kind == SourceKind::subtitle) subtitles.push_back(std::move(s));
  }
  std::int64_t linked = 0;
  for (const SourceRow& s : subtitles) {
    const fs::path p(s.uri);
    // "film.en.srt" belongs to "film.mp4" as well as "film.srt" does.
    std::string stem = p.stem().string();
    auto it = videos.find({p.parent_path(), stem});
    if (it == videos.end() && fs::path(stem).has_extension())
      it = videos.find({p.parent_path(), fs::path(stem).stem().string()});
    std::optional<std::int64_t> target;
    if (it != videos.end()) target = it->second;
    if (target != s.linked_source_id) {
      catalog_.set_source_link(s.id, target);
      if (target) ++linked;
    }
  }
  return linked;
}

IngestSummary Ingester::run(const std::vector<fs::path>& inputs, IngestObserver* observer) {
  const auto started = std::chrono::steady_clock::now();
  IngestSummary summary;
  summary.archive = options_.archive;
  summary.notes = engines_->notes();
  std::vector<FileReport> missing;
  const std::vector<fs::path> files = list_input_files(inputs, missing);
  const std::string root = inputs.empty() ? std::string() : fs::absolute(inputs.front()).lexically_normal().string();
  const std::int64_t archive_id = catalog_.ensure_archive(options_.archive, root);
  catalog_.claims().release_dead_owners();  // a run killed before this one left its claims

  std::uint64_t total_bytes = 0;
  for (const fs::path& f : files) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (!ec) total_bytes += size;
  }
  if (observer) observer->on_start(files.size(), total_bytes);
  auto account = [&](FileReport&& report) {
    ++summary.files_seen;
    ++summary.outcomes[report.outcome];
    for (const auto& [kind, n] : report.records) summary.records_added[kind] += n;
    for (const std::string& w : report.warnings) summary.warnings.push_back(report.path.string() + ": " + w);
    summary.frames_decoded += report.frames_decoded;
    summary.media_ms += report.media_ms;
    summary.audio_ms += report.audio_ms;
    summary.speech_ms += report.speech_ms;
    summary.sound_seconds += report.sound_seconds;
    summary.low_confidence += report.low_confidence;
    summary.ocr_pictures += report.ocr_pictures;
    summary.ocr_text_free += report.ocr_text_free;
    summary.pages += report.pages;
    if (observer) observer->on_file_done(report);
    if (report.outcome == FileOutcome::failed) summary.failed.push_back(std::move(report));
    else if (report.outcome == FileOutcome::skipped) summary.skipped.push_back(std::move(report));
  };
  for (FileReport& m : missing) account(std::move(m));
  std::error_code ec;
  const fs::path catalog_file = fs::weakly_canonical(catalog_.path(), ec);
  {
    const ClaimHeartbeat heartbeat(catalog_.path(), owner_, options_.claim_heartbeat_s);
    for (std::size_t i = 0; i < files.size(); ++i) {
      // The catalog may live inside the folder being ingested; it is never archive content.
      if (fs::weakly_canonical(files[i], ec) == catalog_file) continue;
      if (observer) observer->on_file_start(files[i], i);
      try {
        account(ingest_file(archive_id, files[i], observer));
      } catch (const CatalogError& e) {
        // A full disk: this file was rolled back; the files after it are left for the next run.
        account(failed_report(files[i], e.what()));
        summary.stopped = std::string(e.what()) + "; " + std::to_string(files.size() - i - 1) +
                          " more file(s) not ingested";
        break;
      }
    }
  }
  if (!summary.stopped.empty()) {
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
  }
  summary.subtitles_linked = link_subtitles(archive_id);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace palimpsest

#include "synth/film_maker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "indexer/audio/soundtrack_muxer.h"
#include "indexer/files/atomic_file.h"
#include "indexer/media/image_codec.h"
#include "indexer/media/video_writer.h"
#include "retrieval/timeline/timeline.h"
#include "retrieval/timeline/timeline_limits.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"
#include "synth/film_language.h"
#include "synth/latent_renderer.h"
#include "synth/soundtrack_plan.h"
#include "synth/timeline_plans.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What makes frames differ between two renders of the same film: when it changes, earlier
// frames are not reused.
nlohmann::json render_fingerprint(const FilmMakeOptions& o, const RenderSettings& s, const nlohmann::json& timeline,
                                  const std::string& clip_model) {
  return {{"timeline", std::to_string(std::hash<std::string>{}(json_text(timeline)))},
          {"backend", o.backend == SynthesisBackend::archive ? "archive" : "torchscript"},
          {"diffusion_model", o.diffusion_model.string()},
          {"width", s.width},
          {"height", s.height},
          {"denoiser", to_string(s.denoiser)},
          {"p_max", s.local.patch.p_max},
          {"window", s.local.search.window},
          {"coarse_factor", s.local.search.coarse_factor},
          {"max_pairs", s.local.search.max_pairs},
          {"schedule", s.schedule == ScheduleKind::cosine ? "cosine" : "scaled_linear"},
          {"eta", s.eta},
          {"colour_match", static_cast<int>(s.colour_match)},
          {"attribution_maps", s.attribution_maps},
          {"invert_keyframes", o.invert_keyframes},
          {"clip_model", clip_model}};
}

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::vector<ProvenanceRow> provenance_rows(const FrameProvenance& p) {
  std::vector<ProvenanceRow> rows;
  rows.reserve(p.entries.size());
  for (const ProvenanceEntry& e : p.entries) rows.push_back({e.record_id, e.role, e.weight});
  return rows;
}

// Fault injection for crash tests: with PALIMPSEST_CRASH_AT_FRAME=N the process kills itself
// (SIGKILL, as `kill -9`) after frame N's PNG is in place but before its catalog row is written,
// the spot where a resumed render must not trust the file alone.
void crash_point_after_frame_file(std::int64_t frame) {
  static const long long crash_at = [] {
    const char* v = std::getenv("PALIMPSEST_CRASH_AT_FRAME");
    return v ? std::atoll(v) : -1LL;
  }();
  if (crash_at >= 0 && frame == crash_at) ::kill(::getpid(), SIGKILL);
}

// Index of the first plan of the sequence (cut) holding plans[i].
std::size_t sequence_start(const std::vector<FramePlan>& plans, std::size_t i) {
  while (i > 0 && !plans[i].restart) --i;
  return i;
}

// Reads back a frame an earlier run wrote (lossless PNG: the same pixels it rendered).
RgbImage read_frame(const fs::path& frames_dir, std::int64_t frame) {
  std::ifstream in(frames_dir / frame_file_name(frame), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw FilmMakeError("frame " + std::to_string(frame) + " is missing from " + frames_dir.string());
  return decode_image_bytes(bytes);
}

void write_provenance_json(Catalog& catalog, std::int64_t film_id, const fs::path& path) {
  FilmStore& films = catalog.films();
  std::map<std::int64_t, std::vector<ProvenanceRow>> rows;
  for (auto& [frame, entries] : films.all_frame_provenance(film_id)) rows[frame] = std::move(entries);
  const std::optional<FilmSoundtrackRow> soundtrack = films.soundtrack(film_id);
  std::map<std::int64_t, std::vector<HeardRow>> heard;
  for (const HeardRow& h : films.all_heard(film_id)) heard[h.interval].push_back(h);
  nlohmann::json frames = nlohmann::json::array();
  for (const FilmFrameRow& f : films.frames(film_id)) {
    const auto found = rows.find(f.frame);
    std::optional<SoundInterval> sound;
    if (soundtrack) {
      sound = SoundInterval{soundtrack->interval_of_frame(f.frame), 0, 0, {}};
      sound->from_s = soundtrack->interval_start_s(sound->interval);
      sound->to_s = soundtrack->interval_end_s(sound->interval);
      if (auto h = heard.find(sound->interval); h != heard.end()) sound->records = h->second;
    }
    frames.push_back(frame_provenance_json(f, found == rows.end() ? std::vector<ProvenanceRow>{} : found->second, sound));
  }
  const nlohmann::json document = {{"film_id", film_id},
                                   {"shares", shares_json(films.shares(film_id))},
                                   {"sound", soundtrack_json(soundtrack, films.sound_shares(film_id))},
                                   {"metrics", film_metrics_json(films.frames(film_id))},
                                   {"frames", frames}};
  write_file_atomically(path, json_text(document, 1) + "\n");
}

// Records why a render stopped. Never throws: when the catalog cannot take it either (its disk is
// full too), the render's own error is the one to report.
void mark_failed(Catalog& catalog, std::int64_t film_id, double progress, const std::string& reason) noexcept {
  try {
    catalog.films().set_render(film_id, FilmStatus::failed, progress, reason);
  } catch (...) {
  }
}

// Mixes the film's soundtrack into `video_path` beside the video packets of `picture_path` (which
// is removed), then stores the soundtrack and the provenance of its sound.
void add_soundtrack(Catalog& catalog, std::int64_t film_id, const Timeline& timeline, const fs::path& picture_path,
                    const fs::path& video_path, FilmResult& result) {
  const auto started = Clock::now();
  const SoundtrackPlan plan = plan_soundtrack(
      timeline, [&](std::int64_t id) { return catalog.record(id); }, probe_source_sound());
  SoundtrackOptions options;
  options.provenance_interval_s = plan.interval_s;
  result.soundtrack = mux_soundtrack(picture_path, video_path, plan.duration_s, plan.clips, options);
  fs::remove(picture_path);
  result.sound = true;
  result.sound_clips = static_cast<std::int64_t>(plan.clips.size());
  result.sound_warnings = plan.notes;
  result.sound_warnings.insert(result.sound_warnings.end(), result.soundtrack.warnings.begin(),
                               result.soundtrack.warnings.end());

  const SoundtrackResult& mix = result.soundtrack;
  FilmSoundtrackRow row;
  row.film_id = film_id;
  row.sample_rate = kSoundtrackRate;
  row.samples = mix.frames;
  row.interval_samples = std::llround(mix.interval_s * kSoundtrackRate);
  row.fps = timeline.fps;
  row.clips = result.sound_clips;
  row.gain_db = mix.gain_db;
  row.mix_lufs = mix.mix_lufs;
  row.output_lufs = mix.output_lufs;
  row.true_peak_dbtp = mix.output_true_peak_dbtp;
  row.warnings = result.sound_warnings;
  std::vector<HeardRow> heard;
  for (std::size_t i = 0; i < mix.provenance.size(); ++i)
    for (const HeardRecord& h : mix.provenance[i]) heard.push_back({static_cast<std::int64_t>(i), h.record_id, h.gain});
  catalog.films().put_soundtrack(row, heard);
  result.sound_seconds = seconds_since(started);
}

}  // namespace

std::string frame_file_name(std::int64_t frame) {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(frame));
  return name;
}

RecordImageSource catalog_record_images(Catalog& catalog) {
  return [&catalog](std::int64_t id) {
    auto jpeg = catalog.thumbnail(id);
    if (!jpeg) throw FilmMakeError("record " + std::to_string(id) + " has no image");
    return decode_image_bytes(*jpeg);
  };
}

fs::path default_film_dir(const Catalog& catalog, std::int64_t film_id) {
  const fs::path db = fs::absolute(catalog.path());
  const std::string name = db.filename().string();
  const std::string folder = (name == "palimpsest.db" ? std::string() : name + ".") + std::to_string(film_id);
  return db.parent_path() / "films" / folder;
}

FilmResult make_film(Catalog& catalog, std::int64_t film_id, const FilmMakeOptions& options) {
  const auto started = Clock::now();
  auto film = catalog.films().get(film_id);
  if (!film) throw FilmMakeError("no film " + std::to_string(film_id));
  if (film->timeline.is_null() || film->timeline.is_discarded())
    throw FilmMakeError("film " + std::to_string(film_id) + " has no timeline");
  const Timeline timeline = Timeline::from_json(film->timeline);
  check_film_limits(timeline, options.limits);

  FilmResult result;
  result.film_id = film_id;
  result.output_dir = options.output_dir.empty() ? default_film_dir(catalog, film_id) : fs::absolute(options.output_dir);
  result.video_path = options.video_path.empty() ? result.output_dir / "film.mp4" : fs::absolute(options.video_path);
  const fs::path frames_dir = result.output_dir / "frames";
  // With sound, the frames are encoded here first; film.mp4 is the muxed film.
  fs::path picture_path = result.video_path;
  if (options.sound) picture_path += ".picture";
  const fs::path maps_dir = result.output_dir / "maps";

  RenderSettings settings = options.settings;
  settings.width = timeline.width;
  settings.height = timeline.height;
  settings.attribution_maps = options.attribution_maps && options.backend == SynthesisBackend::archive;
  std::unique_ptr<LatentDiffusionModel> latent_model;
  if (options.backend == SynthesisBackend::torchscript) {
    if (options.diffusion_model.empty()) throw FilmMakeError("the torchscript backend needs a model folder");
    try {
      latent_model = LatentDiffusionModel::load(options.diffusion_model);
    } catch (const LatentModelError& e) {
      throw FilmMakeError(e.what());
    }
    settings.schedule = latent_model->schedule();
  }

  // Plans first: a timeline that cannot be drawn fails before anything is written.
  std::vector<FramePlan> plans;
  try {
    plans = frame_plans(timeline, [&](std::int64_t id) -> std::optional<RecordKind> {
      if (auto r = catalog.record(id)) return r->kind;
      return std::nullopt;
    });
  } catch (const std::invalid_argument& e) {
    catalog.films().set_render(film_id, FilmStatus::failed, 0, e.what());
    throw FilmMakeError("film " + std::to_string(film_id) + ": " + e.what());
  }
  if (options.invert_keyframes)
    for (FramePlan& plan : plans)
      if (plan.blend) plan.blend->invert = true;
  const auto frame_count = static_cast<std::int64_t>(plans.size());
  FilmLanguage language(catalog, options.clip_model);
  language.attach(timeline, plans);

  try {
    fs::create_directories(frames_dir);
    fs::create_directories(maps_dir);
    const nlohmann::json fingerprint = render_fingerprint(options, settings, film->timeline, language.fingerprint());
    const fs::path fingerprint_path = result.output_dir / "render.json";
    if (options.fresh || read_json_file(fingerprint_path) != fingerprint) {
      catalog.films().clear_frames(film_id);
      fs::remove(result.video_path);
      fs::remove(picture_path);
    }
    write_file_atomically(fingerprint_path, json_text(fingerprint, 1) + "\n");
    write_file_atomically(result.output_dir / "timeline.json", json_text(film->timeline, 1) + "\n");
    catalog.films().set_output(film_id, result.output_dir.string(), "", frame_count);

    // Frames finished by an earlier run: a catalog row (written after the PNG's rename) and the
    // PNG itself.
    std::set<std::int64_t> done;
    for (const FilmFrameRow& f : catalog.films().frames(film_id))
      if (f.frame < frame_count && fs::is_regular_file(frames_dir / frame_file_name(f.frame))) done.insert(f.frame);
    result.frames_reused = static_cast<std::int64_t>(done.size());

    FilmProgress progress;
    progress.frame_count = frame_count;
    progress.frames_reused = result.frames_reused;
    progress.frames_done = result.frames_reused;
    progress.stage = "frames";
    catalog.films().set_render(film_id, FilmStatus::rendering, static_cast<double>(progress.frames_done) / (frame_count + 1));
    if (options.progress) options.progress(progress);

    std::int64_t first_missing = 0;
    while (first_missing < frame_count && done.count(first_missing)) ++first_missing;
    // Frames are recomputed from the start of the sequence (cut) holding the first missing one.
    const std::int64_t restart =
        first_missing < frame_count ? static_cast<std::int64_t>(sequence_start(plans, static_cast<std::size_t>(first_missing)))
                                    : frame_count;

    // The video is encoded as the frames come: frames before `restart` are read back from their
    // PNGs (an earlier run rendered them), every later one is taken from memory.
    fs::create_directories(result.video_path.parent_path());
    VideoWriter video(picture_path, timeline.width, timeline.height, timeline.fps);
    for (std::int64_t f = 0; f < restart; ++f) video.write(read_frame(frames_dir, f));

    if (restart < frame_count) {
      const std::vector<FramePlan> todo(plans.begin() + static_cast<std::ptrdiff_t>(restart), plans.end());
      const RecordImageSource record_image = catalog_record_images(catalog);
      const FilmMeter meter = language.meter();
      std::optional<RgbImage> previous;  // the frame before in the same sequence (for flicker)
      const auto frames_started = Clock::now();
      const auto on_frame = [&](RenderedFrame&& frame) {
        if (options.cancelled && options.cancelled()) throw FilmCancelled();
        if (frame.frame != video.frames_written())
          throw FilmMakeError("frame " + std::to_string(frame.frame) + " came out of order");
        video.write(frame.image);
        const FramePlan& plan = plans[static_cast<std::size_t>(frame.frame)];
        if (plan.restart) previous.reset();
        if (done.count(frame.frame)) {  // recomputed only to reach later frames
          previous = std::move(frame.image);
          return;
        }
        write_file_atomically(frames_dir / frame_file_name(frame.frame), encode_png(frame.image));
        const bool has_map = !frame.provenance.attribution_map.empty();
        if (has_map)
          write_file_atomically(maps_dir / frame_file_name(frame.frame), encode_attribution_png(frame.provenance));
        crash_point_after_frame_file(frame.frame);
        const Shot* shot = timeline.shot_at(frame.frame);
        FilmFrameRow row{frame.frame, shot ? shot->index : -1, frame.provenance.diffused, has_map, 0, {}};
        row.metrics = meter.measure(frame.image, frame.provenance, plan, previous ? &*previous : nullptr);
        catalog.films().put_frame(film_id, row, provenance_rows(frame.provenance));
        previous = std::move(frame.image);
        done.insert(frame.frame);
        ++result.frames_rendered;
        progress.frames_done = static_cast<std::int64_t>(done.size());
        const double elapsed = seconds_since(frames_started);
        progress.frames_per_second = elapsed > 0 ? result.frames_rendered / elapsed : 0;
        progress.eta_seconds = progress.frames_per_second > 0
                                   ? (frame_count - progress.frames_done) / progress.frames_per_second
                                   : 0;
        catalog.films().set_render(film_id, FilmStatus::rendering, static_cast<double>(progress.frames_done) / (frame_count + 1));
        if (options.progress) options.progress(progress);
      };
      if (latent_model) {
        LatentRenderer renderer(*latent_model, settings, record_image);
        renderer.render(todo, on_frame);
        result.stats = renderer.stats();
      } else {
        FrameRenderer renderer(settings, record_image);
        renderer.set_language_model(language.encoder());
        renderer.render(todo, on_frame);
        result.stats = renderer.stats();
      }
    }

    progress.stage = "video";
    if (options.progress) options.progress(progress);
    video.finish();
    if (options.sound) {
      progress.stage = "sound";
      if (options.progress) options.progress(progress);
      add_soundtrack(catalog, film_id, timeline, picture_path, result.video_path, result);
    } else {
      catalog.films().clear_soundtrack(film_id);
    }
    write_provenance_json(catalog, film_id, result.output_dir / "provenance.json");
    catalog.films().set_output(film_id, result.output_dir.string(), result.video_path.string(), frame_count);
    catalog.films().set_render(film_id, FilmStatus::done, 1.0);
    progress.stage = "done";
    if (options.progress) options.progress(progress);
  } catch (const FilmCancelled&) {
    mark_failed(catalog, film_id, film->progress, "render cancelled");
    throw;
  } catch (const std::exception& e) {
    mark_failed(catalog, film_id, film->progress, e.what());
    throw;
  }
  result.seconds = seconds_since(started);
  result.warnings = language.warnings();
  return result;
}

}  // namespace palimpsest

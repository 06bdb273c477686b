#pragma once
// A planned film rendered to its folder: frames, attribution maps, provenance rows, the MP4.
// What `palimpsest make` and the server's render jobs run.
//
// The film's folder (films.output_dir; default <catalog folder>/films/<id>/):
//   frames/000000.png ...   every frame (written .partial then renamed)
//   maps/000000.png ...     attribution maps (each pixel in its largest-weight record's colour)
//   timeline.json           the timeline that was rendered
//   provenance.json         every frame's entries, written at the end
//   film.mp4                H.264 yuv420p +faststart, written last (never half-written: .partial)
//
// Resumable: a frame counts as done when its PNG exists and its row is in film_frames (the row is
// written after the PNG's rename). Rendering is deterministic, so a resumed render restarts at the
// first sequence (cut) that has a missing frame and skips writing frames already done; frames
// before that sequence are not recomputed. Changing render settings discards earlier frames.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "schema/catalog.h"
#include "synth/frame_renderer.h"
#include "synth/render_settings.h"
#include "schema/error.h"

namespace palimpsest {

class FilmMakeError : public Error {
 public:
  explicit FilmMakeError(const std::string& message) : Error(message, error_class::internal) {}
};

// Thrown when FilmMakeOptions::cancelled returned true; the frames done so far are kept.
class FilmCancelled : public Error {
 public:
  FilmCancelled() : Error("render cancelled", 1, 409, "cancelled") {}
};

struct FilmProgress {
  std::int64_t frames_done = 0;   // frames finished (reused ones included)
  std::int64_t frame_count = 0;
  std::int64_t frames_reused = 0; // done by an earlier, interrupted render
  double frames_per_second = 0;   // of this run's rendered frames
  double eta_seconds = 0;
  std::string stage;              // "frames", "video", "done"
};

enum class SynthesisBackend {
  archive,      // closed-form denoisers over the archive's records: exact provenance
  torchscript,  // a latent diffusion model from TorchScript files (synth/latent_model.h)
};

struct FilmMakeOptions {
  SynthesisBackend backend = SynthesisBackend::archive;
  std::filesystem::path diffusion_model;  // the torchscript backend's model folder
  // Size comes from the timeline; the rest (denoiser, schedule, maps...) from here.
  RenderSettings settings;
  std::filesystem::path output_dir;  // empty: <catalog folder>/films/<film id>
  std::filesystem::path video_path;  // empty: <output_dir>/film.mp4
  bool attribution_maps = true;
  // Start the frames between two keyframes from the DDIM inversions of the keyframe images
  // (slerped) instead of seeded noise, so the path starts and ends on the records (archive
  // backend).
  bool invert_keyframes = false;
  bool fresh = false;                // discard frames of an earlier render
  std::function<void(const FilmProgress&)> progress;  // after every frame, and per stage
  std::function<bool()> cancelled;   // polled between frames
};

struct FilmResult {
  std::int64_t film_id = 0;
  std::filesystem::path output_dir;
  std::filesystem::path video_path;
  std::int64_t frames_rendered = 0;  // by this run
  std::int64_t frames_reused = 0;
  RenderStats stats;
  double seconds = 0;
};

// Renders the film (which must have a planned timeline) using the catalog's record thumbnails
// as record images. Sets the film's status (rendering, then done or failed with the reason) and
// progress. Throws FilmMakeError (no such film, no timeline, a shot without image records...),
// FilmCancelled, or the underlying error (the film is then marked failed).
FilmResult make_film(Catalog& catalog, std::int64_t film_id, const FilmMakeOptions& options);

// The folder a film renders into when FilmMakeOptions::output_dir is empty: films/<id> beside a
// catalog named palimpsest.db (the default), films/<catalog file name>.<id> beside any other, so
// that two catalogs in one folder never share a film's folder (ids have no dot, so the name and
// the id always read back apart).
std::filesystem::path default_film_dir(const Catalog& catalog, std::int64_t film_id);

// Frame file names: frames/000042.png, maps/000042.png.
std::string frame_file_name(std::int64_t frame);

}  // namespace palimpsest

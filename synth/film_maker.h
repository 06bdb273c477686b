#pragma once
// A planned film rendered to its folder: frames, attribution maps, provenance rows, the MP4 with
// its soundtrack and the provenance of its sound. What `palimpsest make`, `palimpsest demo` and
// the server's render jobs run.
//
// The film's folder (films.output_dir; default <catalog folder>/films/<id>/):
//   frames/000000.png ...   every frame (written .partial then renamed)
//   maps/000000.png ...     attribution maps (each pixel in its largest-weight record's colour)
//   timeline.json           the timeline that was rendered
//   provenance.json         every frame's entries, metrics and what is heard; the film's shares,
//                           sound shares and metrics
//   film.mp4                H.264 yuv420p + AAC 48 kHz stereo, +faststart, written last
//
// film.mp4 only ever appears whole, with its sound: the frames are encoded into
// film.mp4.picture (via .partial), then the soundtrack planned from the timeline
// (synth/soundtrack_plan.h) is mixed, loudness-normalised and muxed beside a copy of its video
// packets into film.mp4.partial, renamed to film.mp4; then the soundtrack's row and the
// provenance of its sound are written in one transaction (film_soundtracks, film_sound). Without
// sound the frames are encoded into film.mp4 directly and the film has no soundtrack row.
//
// Resumable: a frame counts as done when its PNG exists and its row is in film_frames (the row is
// written after the PNG's rename). Rendering is deterministic, so a resumed render restarts at the
// first sequence (cut) that has a missing frame and skips writing frames already done; frames
// before that sequence are not recomputed. Changing render settings discards earlier frames.
// The soundtrack is mixed again on every run; mixing is deterministic, so a resumed render's
// film.mp4 is byte-identical to an uninterrupted one's.
//
// Language and metrics: the film's CLIP model (synth/film_language.h) gives every frame inside a
// shot its language target (guidance, when the frame's ratio is above 0) and measures every
// frame (synth/film_metrics.h); the metrics are stored with the frame's row.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "indexer/audio/soundtrack_mixer.h"
#include "schema/catalog.h"
#include "synth/frame_renderer.h"
#include "synth/render_settings.h"
#include "schema/error.h"
#include "schema/limits.h"

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
  std::string stage;              // "frames", "video", "sound", "done"
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
  bool sound = true;                 // mix the soundtrack into the MP4 (false: a silent MP4)
  FilmLimits limits;                 // the timeline is checked against these before anything is written
  // The film's CLIP model folder (language guidance, metrics); empty: the default model.
  std::filesystem::path clip_model;
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
  // The soundtrack (when FilmMakeOptions::sound): what the mixer did, the clips it mixed, what
  // planning noted, and the time spent planning, mixing, encoding and muxing it (in `seconds`).
  bool sound = false;
  std::int64_t sound_clips = 0;
  SoundtrackResult soundtrack;
  std::vector<std::string> sound_warnings;  // planning notes, then the mixer's warnings
  double sound_seconds = 0;
  std::vector<std::string> warnings;  // language guidance or metrics off or partial, and why
};

// Renders the film (which must have a planned timeline) using the catalog's record thumbnails
// as record images. Sets the film's status (rendering, then done or failed with the reason) and
// progress. Throws FilmMakeError (no such film, no timeline, a shot without image records...),
// LimitError (a timeline over `limits`: nothing is written), FilmCancelled, or the underlying error
// (the film is then marked failed; a disk that fills up fails the render with the file it could
// not write, and the frames finished before it are kept for the next run).
FilmResult make_film(Catalog& catalog, std::int64_t film_id, const FilmMakeOptions& options);

// The folder a film renders into when FilmMakeOptions::output_dir is empty: films/<id> beside a
// catalog named palimpsest.db (the default), films/<catalog file name>.<id> beside any other, so
// that two catalogs in one folder never share a film's folder (ids have no dot, so the name and
// the id always read back apart).
std::filesystem::path default_film_dir(const Catalog& catalog, std::int64_t film_id);

// Frame file names: frames/000042.png, maps/000042.png.
std::string frame_file_name(std::int64_t frame);

// Records' images from the catalog's thumbnails (what make_film and sweeps draw with).
RecordImageSource catalog_record_images(Catalog& catalog);

}  // namespace palimpsest

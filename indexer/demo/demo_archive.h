#pragma once
// The procedural demo archive: narrated footage with known cuts, its subtitles, captioned stills,
// a text document and a scanned page, all generated from one seed. `palimpsest demo` ingests it;
// tests use it as an archive whose contents are known exactly (shot boundaries, captions,
// durations, what is said when).
//
// Layout under the chosen folder:
//   footage/harbour.mp4    several shots, each a different scene with slow motion inside it, and
//                          a narration: one line per shot spoken by espeak-ng (narration.h)
//   footage/harbour.srt    one cue per shot, the shot's caption
//   images/scene_0001.png  stills (every `jpeg_every`-th one as .jpg)
//   images/captions.tsv    "file<TAB>caption" per still, with a header line
//   texts/notes.md         a short document about the footage and the stills
//   texts/camera_log.pdf   the reel's camera log, typed and scanned: a picture-only page
//                          (scanned_page.h), written with the footage
//
// The narration is the reel's own sound rather than an audio file of its own, so that the demo
// film carries sound through its video keyframes with any ingest, and the reel's pictures stay
// exactly those of a silent reel (its packets are copied when the sound is muxed in). Without
// espeak-ng the reel stays silent and `warnings` says so.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/demo/narration.h"
#include "indexer/demo/scene.h"
#include "indexer/media/video_writer.h"

namespace palimpsest::demo {

// One shot of a video to be written: a scene held for `duration_s` seconds.
struct ShotSpec {
  SceneSpec scene;
  double duration_s = 2.0;
};

// A shot as written: frame range [first_frame, first_frame + frame_count) and its times.
struct WrittenShot {
  SceneSpec scene;
  std::string caption;
  std::int64_t first_frame = 0;
  std::int64_t frame_count = 0;
  double start_s = 0;  // first_frame / fps
  double end_s = 0;    // (first_frame + frame_count) / fps
};

// Writes `shots` back to back as an H.264 MP4 (see VideoWriter). Each shot lasts
// round(duration_s * fps) frames (at least one); frame i of a shot shows its scene at time i / fps.
// Returns the shots with their exact frame ranges; the cut times are the start_s of every shot
// after the first. Throws std::invalid_argument for an empty shot list or bad sizes.
std::vector<WrittenShot> write_shots(const std::filesystem::path& path, int width, int height,
                                     double fps, const std::vector<ShotSpec>& shots,
                                     const VideoWriterOptions& options = {});

// The same, returning only the cut times in seconds (start of shots 2..N), for shot-detection
// tests with known cuts.
std::vector<double> write_shot_video(const std::filesystem::path& path, int width, int height,
                                     double fps, const std::vector<ShotSpec>& shots,
                                     const VideoWriterOptions& options = {});

// `count` shots with random scenes (consecutive backgrounds always differ), reproducible from
// `rng`.
std::vector<ShotSpec> random_shots(std::mt19937_64& rng, int count, double duration_s);

struct DemoArchiveOptions {
  std::uint64_t seed = 1;
  int image_count = 48;
  int image_width = 128;
  int image_height = 128;
  int jpeg_every = 4;  // every n-th still is written as JPEG (0 = none), to exercise both codecs
  bool write_video = true;
  int video_width = 640;
  int video_height = 360;
  double video_fps = 24.0;
  int shot_count = 6;
  double shot_duration_s = 2.0;
  bool narrate = true;         // speak a line per shot into the reel (needs espeak-ng)
  bool scanned_page = true;    // texts/camera_log.pdf (with the footage)
  NarrationOptions narration;
};

struct DemoImage {
  std::filesystem::path path;  // absolute
  std::string caption;
  SceneSpec scene;
};

struct DemoArchiveManifest {
  std::filesystem::path root;
  std::filesystem::path video;      // empty when write_video is false
  std::filesystem::path subtitles;  // empty when write_video is false
  std::filesystem::path captions;   // images/captions.tsv
  std::filesystem::path notes;      // texts/notes.md
  std::filesystem::path scanned_page;  // texts/camera_log.pdf; empty when not written
  std::vector<WrittenShot> shots;
  std::vector<double> cut_times_s;  // start of shots 2..N
  std::int64_t video_frames = 0;
  double video_duration_s = 0;
  std::vector<DemoImage> images;
  std::vector<NarrationLine> narration;  // what the reel says, when
  std::vector<std::string> warnings;     // what could not be made (the reel left silent)

  // Every file written, for callers that ingest or check them.
  std::vector<std::filesystem::path> files() const;
};

// Writes the archive into `dir` (created if needed; existing files of the same names are
// replaced). Deterministic: the same options give byte-identical stills, captions and texts.
// The stills and the video use separate random streams, so changing the image count does not
// change the footage and vice versa.
DemoArchiveManifest write_demo_archive(const std::filesystem::path& dir,
                                       const DemoArchiveOptions& options);

// SubRip text with one cue per shot (the shot's caption as a sentence). Exposed for tests.
std::string shots_to_srt(const std::vector<WrittenShot>& shots);

}  // namespace palimpsest::demo

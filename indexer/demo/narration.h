#pragma once
// The demo reel's narration: one short line per shot ("Two blue squares, the snow."), spoken by
// espeak-ng at demo time over a low noise floor and muxed into the reel as its sound track, so
// the demo archive holds a video that speaks (its sound plays under the demo film's shots, and
// speech recognition finds the words the subtitles and stills use).
//
// Rules:
// - A line starts 0.15 s into its shot, or 0.1 s after the previous line ends when that is later;
//   a line that would run past the end of the reel is left out. Lines are spoken at
//   words_per_minute, faster (up to 1.6x) when a line is longer than its shot.
// - The noise floor (deterministic white noise, `noise_dbfs` RMS before normalisation) covers
//   the whole reel: espeak-ng writes exact digital silence between words, which no recording
//   has. The mix is loudness-normalised (EBU R128, -23 LUFS) by the soundtrack mixer.
// - The video's packets are copied, not re-encoded (mux_soundtrack): its pictures are exactly
//   those of the silent reel.
// - espeak-ng runs as a process (no shell), one per line, writing WAV files into `work_dir`
//   (hidden names, removed afterwards). Deterministic: espeak-ng's output depends only on the text,
//   voice and rate.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "indexer/demo/scene.h"

namespace palimpsest::demo {

// espeak-ng is missing or failed; the message says which and how to install it.
class NarrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NarrationOptions {
  std::string voice = "en-us+klatt";  // pocketsphinx's en-us model understands the Klatt voice best
  int words_per_minute = 150;
  double noise_dbfs = -50;
  std::string program = "espeak-ng";  // looked up in PATH
};

// A shot of the reel to narrate: its scene and times.
struct NarratedShot {
  SceneSpec scene;
  double start_s = 0;
  double end_s = 0;
};

struct NarrationLine {
  int shot = 0;  // index into the shots given
  std::string text;
  double start_s = 0;  // in the reel
  double end_s = 0;
};

// "A red circle, the sea." / "Two blue squares, the snow.": the first shape group's count,
// colour and shape, then the background.
std::string narration_text(const SceneSpec& scene);

// Narrates `video` (which lasts `duration_s`) in place. Throws NarrationError when espeak-ng
// cannot be run, and AudioError / std::runtime_error when the video cannot be rewritten (it is
// then left as it was).
std::vector<NarrationLine> narrate_video(const std::filesystem::path& video, double duration_s,
                                         const std::vector<NarratedShot>& shots,
                                         const std::filesystem::path& work_dir,
                                         const NarrationOptions& options = {});

// Runs `argv` (argv[0] looked up in PATH) without a shell, stdout discarded; returns its exit
// status, 127 when it could not be started; `err` gets its stderr.
int run_program(const std::vector<std::string>& argv, std::string& err);

}  // namespace palimpsest::demo

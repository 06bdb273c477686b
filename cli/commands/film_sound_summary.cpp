#include "cli/commands/film_sound_summary.h"

#include <cmath>
#include <cstdio>

namespace palimpsest::cli {

std::string describe_soundtrack(const FilmResult& r) {
  if (!r.sound) return "sound: none (--no-sound)";
  char text[256];
  const SoundtrackResult& mix = r.soundtrack;
  if (r.sound_clips == 0 || !std::isfinite(mix.mix_lufs)) {
    std::snprintf(text, sizeof text, "sound: silent (nothing the film shows or chose has sound), %.1f s",
                  r.sound_seconds);
  } else {
    std::snprintf(text, sizeof text,
                  "sound: %lld clip%s, normalised by %+.1f dB to %.1f LUFS (true peak %.1f dBTP), mixed and muxed in "
                  "%.1f s",
                  static_cast<long long>(r.sound_clips), r.sound_clips == 1 ? "" : "s", mix.gain_db, mix.output_lufs, mix.output_true_peak_dbtp,
                  r.sound_seconds);
  }
  std::string line = text;
  // Its share of this run's time, when this run rendered frames (a rerun that reuses every frame
  // spends its time on the sound alone).
  if (r.frames_rendered > 0 && r.seconds > 0) {
    std::snprintf(text, sizeof text, " (%.1f %% of the render)", 100.0 * r.sound_seconds / r.seconds);
    line += text;
  }
  return line;
}

}  // namespace palimpsest::cli

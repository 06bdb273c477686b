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
                  "sound: %lld clips, normalised by %+.1f dB to %.1f LUFS (true peak %.1f dBTP), mixed and muxed in "
                  "%.1f s",
                  static_cast<long long>(r.sound_clips), mix.gain_db, mix.output_lufs, mix.output_true_peak_dbtp,
                  r.sound_seconds);
  }
  return text;
}

}  // namespace palimpsest::cli

#include "synth/render_settings.h"

namespace palimpsest {

std::string_view to_string(DenoiserKind kind) {
  switch (kind) {
    case DenoiserKind::global: return "global";
    case DenoiserKind::local: return "local";
    case DenoiserKind::local_windowed: return "local_windowed";
  }
  return "local";
}

std::optional<DenoiserKind> parse_denoiser_kind(std::string_view name) {
  for (DenoiserKind kind : {DenoiserKind::global, DenoiserKind::local, DenoiserKind::local_windowed})
    if (to_string(kind) == name) return kind;
  if (name == "windowed") return DenoiserKind::local_windowed;  // the CLI's spelling until 0.1
  return std::nullopt;
}

}  // namespace palimpsest

#include "synth/render_settings.h"

#include <array>
#include <utility>

namespace palimpsest {
namespace {

// Each denoiser's name first, then the aliases parse also takes.
constexpr std::array<std::pair<DenoiserKind, std::string_view>, 4> kDenoiserNames = {{
    {DenoiserKind::global, "global"},
    {DenoiserKind::local, "local"},
    {DenoiserKind::local_windowed, "local_windowed"},
    {DenoiserKind::local_windowed, "windowed"},  // the CLI's spelling until 0.1
}};

}  // namespace

std::string_view to_string(DenoiserKind kind) {
  for (const auto& [k, name] : kDenoiserNames)
    if (k == kind) return name;
  return "local";
}

std::optional<DenoiserKind> parse_denoiser_kind(std::string_view name) {
  for (const auto& [kind, n] : kDenoiserNames)
    if (n == name) return kind;
  return std::nullopt;
}

}  // namespace palimpsest

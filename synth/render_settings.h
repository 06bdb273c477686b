#pragma once
// How a film is rendered: the denoiser backend and its options, the noise schedule, sampler and
// colour options. Plain data (no libtorch).

#include <cstdint>
#include <optional>
#include <string_view>

namespace palimpsest {

// The archive backend's closed-form denoisers (see synth/denoiser.h).
enum class DenoiserKind {
  global,          // one softmax over whole records per step: the output is (near) a record
  local,           // per-pixel softmax over same-location P x P patches (Kamb & Ganguli's LS machine)
  local_windowed,  // per-pixel softmax over P x P patches within +-window px (towards the ELS machine)
};

// The one spelling of each denoiser ("global", "local", "local_windowed"), used by the CLI, the
// API, render.json and the docs; parse also takes the CLI's old "windowed".
std::string_view to_string(DenoiserKind kind);
std::optional<DenoiserKind> parse_denoiser_kind(std::string_view name);

// Patch size as a function of the noise level: P = 3 + 2 * round((p_max - 3) / 2 * (1 - abar)),
// i.e. p_max at pure noise shrinking linearly in the noise variance to 3 as abar -> 1
// (Kamb & Ganguli 2024 calibrate a locality scale that shrinks in the same direction).
struct PatchSchedule {
  int p_max = 15;  // odd, >= 3
};

struct WindowedSearchOptions {
  int window = 8;  // candidate offsets within +-window pixels on each axis
  // Coarse-to-fine search (synth/windowed_denoiser.h): offsets are first scored on images
  // averaged over coarse_factor x coarse_factor blocks; only the best (record, coarse offset)
  // cells are evaluated exactly at full resolution.
  int coarse_factor = 4;
  int max_pairs = 128;            // at most this many exact (record, offset) pairs per step
  double min_cell_weight = 1e-4;  // cells whose best coarse softmax weight is lower are dropped
  bool exhaustive = false;        // evaluate every (record, offset) pair exactly (reference)
};

struct LocalDenoiserOptions {
  PatchSchedule patch;
  WindowedSearchOptions search;
  int records_per_group = 16;  // records processed together (bounds the working memory)
};

enum class ScheduleKind {
  cosine,         // Nichol & Dhariwal 2021, s = 0.008
  scaled_linear,  // Stable Diffusion's: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2
};

enum class ColourMatchMode {
  none,
  lab_mean_std,   // Reinhard et al. 2001: per-channel mean and standard deviation in CIELAB
  lab_histogram,  // per-channel histogram (quantile) matching in CIELAB
};

struct RenderSettings {
  int width = 320;
  int height = 192;
  DenoiserKind denoiser = DenoiserKind::local;
  LocalDenoiserOptions local;
  ScheduleKind schedule = ScheduleKind::cosine;
  double eta = 0.0;  // DDIM stochasticity: 0 deterministic DDIM, 1 DDPM-like
  // Colour-match the warped previous frame to the frame's keyframe record before it is noised
  // (Deforum's colour coherence), which keeps long camera moves from drifting in colour.
  ColourMatchMode colour_match = ColourMatchMode::lab_mean_std;
  bool attribution_maps = false;  // fill FrameProvenance::attribution_map (argmax record colours)
  bool pixel_weights = false;     // fill FrameProvenance::pixel_weights (N x H x W floats)
};

}  // namespace palimpsest

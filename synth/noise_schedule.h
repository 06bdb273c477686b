#pragma once
// Alpha-bar schedules of a 1000-step diffusion process and the levels a DDIM run visits.
// Plain math (no libtorch).

#include <vector>

#include "synth/render_settings.h"

namespace palimpsest {

class NoiseSchedule {
 public:
  static constexpr int kTrainingSteps = 1000;

  explicit NoiseSchedule(ScheduleKind kind = ScheduleKind::cosine);

  ScheduleKind kind() const { return kind_; }
  // abar_t = prod_{s <= t} (1 - beta_s) for t in [0, 999]: decreasing from ~1 to ~0.
  double alpha_bar(int t) const;

  // DDIM timesteps for a run of `steps` over the whole schedule, noisiest first:
  // linspace(999, 0, steps) rounded, so that the last step evaluates the denoiser at the
  // lowest noise level (its x0 is then sharp) before jumping to abar = 1.
  std::vector<int> timesteps(int steps) const;

  // The noise levels (alpha-bar) an img2img run visits: the last max(1, round(steps * strength))
  // of timesteps(steps) (diffusers' convention), followed by 1.0, the clean target of the final
  // step. levels[0] is the start level the init image is noised to. strength in (0, 1].
  std::vector<double> sampling_levels(int steps, double strength) const;

 private:
  ScheduleKind kind_;
  std::vector<double> alpha_bar_;
};

}  // namespace palimpsest

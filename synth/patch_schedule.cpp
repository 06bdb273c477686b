#include "synth/patch_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace palimpsest {

int patch_size_for(double alpha_bar, const PatchSchedule& schedule) {
  if (schedule.p_max < 3 || schedule.p_max % 2 == 0) {
    throw std::invalid_argument("patch schedule: p_max must be odd and >= 3");
  }
  const double variance = std::clamp(1.0 - alpha_bar, 0.0, 1.0);
  const int half_steps = static_cast<int>(std::lround((schedule.p_max - 3) / 2.0 * variance));
  return 3 + 2 * half_steps;
}

}  // namespace palimpsest

#pragma once
// The patch size of the local denoisers at a noise level (no libtorch).

#include "synth/render_settings.h"

namespace palimpsest {

// P(abar) = 3 + 2 * round((p_max - 3) / 2 * (1 - abar)): p_max at pure noise, 3 as abar -> 1,
// linear in the noise variance 1 - abar. Large patches at high noise keep the early, blurry
// predictions globally coherent; small ones at low noise let the final image be composed of
// many records' local details (Kamb & Ganguli 2024, section 5: the calibrated locality scale of
// trained U-Nets shrinks as the noise falls). Throws std::invalid_argument for an even or < 3
// p_max.
int patch_size_for(double alpha_bar, const PatchSchedule& schedule);

}  // namespace palimpsest

#pragma once
// The local closed-form denoisers: per-pixel softmax over P x P record patches.
//
// Same-location (window 0): the locality machine of Kamb & Ganguli 2024 (the "LS" machine), also
// the patch posterior mean of Niedoba et al.: at pixel p, candidates are the records' patches at p.
// Windowed (window W > 0): candidates are the records' patches centred anywhere within +-W px of
// p, a windowed form of the equivariant ELS machine. In both,
//   w(p, i, d) = softmax_{i, d}( log pi_i - ||x_t[B(p)] - sqrt(abar) y_i[B(p) + d]||^2 / (2 (1 - abar)) ),
//   x0(p) = sum_{i, d} w(p, i, d) y_i(p + d),    attribution_i(p) = sum_d w(p, i, d),
// with P = patch_size_for(abar) (synth/patch_schedule.h). Logits come in blocks of candidates
// (synth/patch_logits.h) and are folded into a streaming per-pixel softmax
// (synth/pixel_softmax.h); the windowed variant evaluates only the offsets the coarse search
// keeps (synth/coarse_search.h). The same-location candidates of every record are always
// evaluated, so the windowed machine contains the same-location one. Internal to synth/.

#include <memory>
#include <vector>

#include "synth/coarse_search.h"
#include "synth/denoiser.h"
#include "synth/patch_logits.h"
#include "synth/pixel_softmax.h"

namespace palimpsest {

class PatchDenoiser final : public Denoiser {
 public:
  // window 0: same-location; window > 0: windowed (options.search says how offsets are chosen).
  PatchDenoiser(RecordSet records, const LocalDenoiserOptions& options, int window);

  Prediction predict(const at::Tensor& x_t, double alpha_bar, Attribution want) override;
  void set_log_prior(const at::Tensor& log_prior) override;
  const RecordSet& records() const override { return records_; }

  // The offset cells the last predict() evaluated besides the same-location candidates.
  const std::vector<OffsetCell>& last_cells() const { return last_cells_; }

 private:
  RecordSet records_;
  LocalDenoiserOptions options_;
  int window_;
  PatchLogits logits_;
  std::unique_ptr<CoarseSearch> search_;
  PixelSoftmax softmax_;
  at::Tensor group_;  // scratch logits
  std::vector<OffsetCell> last_cells_;
};

}  // namespace palimpsest

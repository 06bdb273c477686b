#pragma once
// Coarse-to-fine choice of the offsets the windowed patch denoiser evaluates exactly.
//
// Scoring every record at every offset within +-W at full resolution costs
// N (2W+1)^2 product images and box filters per step (4624 for 16 records at W = 8): far too
// many. Instead the records and x_t are averaged over factor x factor blocks, where the whole
// window shrinks to +-Wc = floor((W + factor/2) / factor) coarse offsets (25 at W = 8, factor 4),
// and the same patch softmax (synth/patch_logits.h; patch size max(3, P / factor); variance
// (1 - abar) / factor^2, the noise of a block average, plus abar times the detail variance the
// averaging discarded, the error a sub-block misalignment makes) is computed over all records
// and coarse offsets: 16 x 25 candidates on 1/16 of the pixels, about 1 % of the exhaustive
// work. Each coarse offset stands for the fine offsets within +-factor/2 of it (neighbouring cells
// share their boundary, so an offset halfway between two coarse samples is kept whichever wins).
// A cell's score is its share of the coarse softmax mass over the frame; cells are taken best
// first (score >= min_cell_weight) until max_pairs distinct fine offsets are chosen, and those
// are evaluated exactly, in row runs. Offsets never chosen get weight 0: with `exhaustive` every
// pair is evaluated and the result equals the brute-force windowed softmax. Internal to synth/.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "synth/render_settings.h"

namespace palimpsest {

class PatchLogits;

// A block of fine offsets dy0..dy0+ny-1, dx0..dx0+nx-1 of one record.
struct OffsetCell {
  int64_t record = 0;
  int dy0 = 0, ny = 1, dx0 = 0, nx = 1;
  double score = 1.0;

  int64_t pairs() const { return int64_t{ny} * nx; }
  bool contains_origin() const { return dy0 <= 0 && dy0 + ny > 0 && dx0 <= 0 && dx0 + nx > 0; }
};

// The cells of `factor` x `factor` fine offsets covering +-window, for every record, in record
// order (a partition of all offsets).
std::vector<OffsetCell> all_offset_cells(int64_t records, int window, int factor);

class CoarseSearch {
 public:
  CoarseSearch(const at::Tensor& images, int window, int factor, int max_patch);
  ~CoarseSearch();

  // The offset blocks to evaluate this step besides offset 0, sorted by record: with
  // `exhaustive`, the partition of all_offset_cells; otherwise row runs of the chosen offsets.
  std::vector<OffsetCell> select(const at::Tensor& x_t, double alpha_bar, int patch,
                                 const at::Tensor& log_prior, const WindowedSearchOptions& options);

 private:
  int window_, factor_, coarse_window_;
  double detail_variance_ = 0.0;
  std::unique_ptr<PatchLogits> coarse_;
  at::Tensor logits_;  // [N, K, K, Hc, Wc]
};

}  // namespace palimpsest

#pragma once
// Sums over sliding windows ("valid" box filters) built from a few whole-tensor additions.
// A window of length P is the sum of power-of-two windows (P = 15 = 8 + 4 + 2 + 1), and each
// power-of-two window is two half windows added (the doubling trick), so a P x P box costs about
// 2 (log2 P + popcount P) tensor additions, independent of the number of pixels or patches; each
// addition is exact in float for the small counts involved (no prefix sums, whose cancellation
// would lose precision at large offsets). Internal to synth/.

#include <ATen/core/Tensor.h>

#include <vector>

namespace palimpsest {

class BoxFilter {
 public:
  // out[..., i, j] = sum_{a, b < size} in[..., i + a, j + b] over the last two dimensions:
  // [..., H + size - 1, W + size - 1] -> [..., H, W]. `out` is resized as needed (its storage is
  // reused across calls); `in` may be any strided tensor.
  void box_sums(const at::Tensor& in, int size, at::Tensor& out);

  // Window sums of length `size` along `dim`: out.size(dim) = in.size(dim) - size + 1.
  void window_sums(const at::Tensor& in, int64_t dim, int size, at::Tensor& out);

 private:
  std::vector<at::Tensor> doubling_;  // scratch: windows of length 2, 4, 8, ...
  at::Tensor rows_;                   // scratch: sums along the last dimension
};

}  // namespace palimpsest

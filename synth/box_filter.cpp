#include "synth/box_filter.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <utility>

namespace palimpsest {
namespace {

void resize_like(at::Tensor& buffer, at::IntArrayRef sizes, const at::Tensor& like) {
  if (!buffer.defined()) buffer = at::empty({0}, like.options());
  buffer.resize_(sizes);
}

}  // namespace

void BoxFilter::window_sums(const at::Tensor& in, int64_t dim, int size, at::Tensor& out) {
  const int64_t length = in.size(dim);
  const int64_t out_length = length - size + 1;
  if (size < 1 || out_length < 1) throw std::invalid_argument("window_sums: window too long");
  std::vector<int64_t> out_sizes = in.sizes().vec();
  out_sizes[dim] = out_length;
  resize_like(out, out_sizes, in);
  if (size == 1) {
    out.copy_(in);
    return;
  }
  // level[k] holds the sums of windows of length 2^k (level 0 is the input itself).
  int top = 0;
  while ((2 << top) <= size) ++top;
  if (static_cast<int>(doubling_.size()) < top) doubling_.resize(top);
  std::vector<at::Tensor> level(top + 1);
  level[0] = in;
  for (int k = 1; k <= top; ++k) {
    const int64_t half = int64_t{1} << (k - 1);
    const int64_t n = level[k - 1].size(dim) - half;
    std::vector<int64_t> sizes = in.sizes().vec();
    sizes[dim] = n;
    resize_like(doubling_[k - 1], sizes, in);
    const at::Tensor& previous = level[k - 1];
    at::add_out(doubling_[k - 1], previous.narrow(dim, 0, n), previous.narrow(dim, half, n));
    level[k] = doubling_[k - 1];
  }
  // Sum the power-of-two windows of size's binary digits, highest first, end to end; the first
  // two parts go straight into `out` with one addition.
  std::vector<std::pair<int, int64_t>> parts;  // (level, offset)
  int64_t offset = 0;
  for (int k = top; k >= 0; --k) {
    if (!((size >> k) & 1)) continue;
    parts.emplace_back(k, offset);
    offset += int64_t{1} << k;
  }
  const auto part = [&](size_t i) {
    return level[parts[i].first].narrow(dim, parts[i].second, out_length);
  };
  if (parts.size() == 1) {
    out.copy_(part(0));
    return;
  }
  at::add_out(out, part(0), part(1));
  for (size_t i = 2; i < parts.size(); ++i) out.add_(part(i));
}

void BoxFilter::box_sums(const at::Tensor& in, int size, at::Tensor& out) {
  const int64_t d = in.dim();
  if (d < 2) throw std::invalid_argument("box_sums: need at least two dimensions");
  window_sums(in, d - 1, size, rows_);
  window_sums(rows_, d - 2, size, out);
}

}  // namespace palimpsest

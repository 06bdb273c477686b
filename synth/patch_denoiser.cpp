#include "synth/patch_denoiser.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include "synth/patch_schedule.h"

namespace palimpsest {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

PatchDenoiser::PatchDenoiser(RecordSet records, const LocalDenoiserOptions& options, int window)
    : records_(std::move(records)),
      options_(options),
      window_(window),
      logits_(records_.images, window, options.patch.p_max) {
  if (options.records_per_group < 1) throw std::invalid_argument("records_per_group must be >= 1");
  if (window_ > 0) {
    search_ = std::make_unique<CoarseSearch>(records_.images, window_, options.search.coarse_factor,
                                             options.patch.p_max);
  }
}

void PatchDenoiser::set_log_prior(const at::Tensor& log_prior) {
  if (log_prior.dim() != 1 || log_prior.size(0) != records_.size()) {
    throw std::invalid_argument("set_log_prior: one prior per record expected");
  }
  records_.log_prior = log_prior.to(at::kFloat).contiguous();
}

Prediction PatchDenoiser::predict(const at::Tensor& x_t, double alpha_bar, Attribution want) {
  const auto started = std::chrono::steady_clock::now();
  const int patch = patch_size_for(alpha_bar, options_.patch);
  const int64_t n = records_.size();
  const int64_t height = records_.height(), width = records_.width();

  // The offsets worth evaluating exactly (windowed only).
  last_cells_.clear();
  if (search_) {
    last_cells_ = search_->select(x_t, alpha_bar, patch, records_.log_prior, options_.search);
  }
  const auto searched = std::chrono::steady_clock::now();
  timings_.search_s += std::chrono::duration<double>(searched - started).count();

  logits_.begin_step(x_t, alpha_bar, patch, records_.log_prior);
  softmax_.reset(3, height, width, want == Attribution::none ? 0 : n);
  if (!group_.defined()) group_ = at::empty({0}, at::kFloat);

  // Same-location candidates first: each record's patch at p is always a valid candidate, so
  // every pixel has a finite logit from the first group on.
  std::vector<int64_t> record_of;
  for (int64_t first = 0; first < n; first += options_.records_per_group) {
    const int64_t count = std::min<int64_t>(options_.records_per_group, n - first);
    logits_.same_location(first, count, group_);
    record_of.resize(count);
    for (int64_t k = 0; k < count; ++k) record_of[k] = first + k;
    softmax_.add(group_, logits_.same_location_sources(first, count), record_of);
  }
  int64_t pairs = n;

  for (const OffsetCell& cell : last_cells_) {
    logits_.offset_block(cell.record, cell.dy0, cell.ny, cell.dx0, cell.nx, group_);
    if (cell.contains_origin()) {
      // Offset 0 was already counted with the same-location group.
      group_[-cell.dy0][-cell.dx0].fill_(-std::numeric_limits<float>::infinity());
    }
    record_of.assign(static_cast<size_t>(cell.pairs()), cell.record);
    softmax_.add(group_, logits_.offset_sources(cell.record, cell.dy0, cell.ny, cell.dx0, cell.nx),
                 record_of);
    pairs += cell.pairs() - (cell.contains_origin() ? 1 : 0);
  }

  Prediction prediction;
  prediction.x0 = softmax_.x0();
  if (want != Attribution::none) {
    at::Tensor mass = softmax_.record_mass();
    prediction.record_weights = mass.to(at::kDouble).mean({1, 2});
    if (want == Attribution::pixels) prediction.pixel_weights = std::move(mass);
  }
  timings_.calls += 1;
  timings_.pairs += pairs;
  timings_.exact_s += seconds_since(searched);
  return prediction;
}

}  // namespace palimpsest

#include "synth/coarse_search.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "synth/patch_logits.h"

namespace palimpsest {
namespace {

at::Tensor block_average(const at::Tensor& images, int factor) {
  return at::avg_pool2d(images, {factor, factor}, {factor, factor}, {0, 0}, /*ceil_mode=*/true,
                        /*count_include_pad=*/false);
}

// The exhaustive partition's coarse window: enough coarse offsets for their cells to reach +-window.
int coarse_window(int window, int factor) { return (window + factor / 2) / factor; }

// The odd patch size closest to patch / factor, at least 3: a single coarse pixel matches some
// candidate by chance, so the coarse level always compares a neighbourhood.
int coarse_patch(int patch, int factor) {
  const double p = static_cast<double>(patch) / factor;
  return 2 * std::max(1, static_cast<int>(std::lround((p - 1.0) / 2.0))) + 1;
}

// Fine offsets of coarse offset oc in the exhaustive partition (nearest coarse sample, ties to
// the lower one): factor * oc - factor / 2 + [0, factor), clipped to the window.
bool fine_range(int oc, int factor, int window, int& first, int& count) {
  const int lo = std::max(factor * oc - factor / 2, -window);
  const int hi = std::min(factor * oc - factor / 2 + factor - 1, window);
  first = lo;
  count = hi - lo + 1;
  return count > 0;
}

// Fine offsets a selected coarse offset stands for: factor * oc +- factor / 2, inclusive, so that
// neighbouring cells share their boundary offsets. An offset halfway between two coarse samples
// (where the coarse score cannot tell which is nearer) is kept whichever of the two wins.
void search_range(int oc, int factor, int window, int& lo, int& hi) {
  lo = std::max(factor * oc - factor / 2, -window);
  hi = std::min(factor * oc + factor / 2, window);
}

}  // namespace

std::vector<OffsetCell> all_offset_cells(int64_t records, int window, int factor) {
  if (factor < 1) throw std::invalid_argument("coarse factor must be >= 1");
  const int wc = coarse_window(window, factor);
  std::vector<OffsetCell> cells;
  for (int64_t r = 0; r < records; ++r) {
    for (int ocy = -wc; ocy <= wc; ++ocy) {
      for (int ocx = -wc; ocx <= wc; ++ocx) {
        OffsetCell cell;
        cell.record = r;
        if (fine_range(ocy, factor, window, cell.dy0, cell.ny) &&
            fine_range(ocx, factor, window, cell.dx0, cell.nx)) {
          cells.push_back(cell);
        }
      }
    }
  }
  return cells;
}

CoarseSearch::CoarseSearch(const at::Tensor& images, int window, int factor, int max_patch)
    : window_(window), factor_(factor), coarse_window_(coarse_window(window, factor)) {
  if (factor < 2) return;  // no coarse level: every cell is evaluated
  const at::Tensor averaged = block_average(images, factor);
  try {
    coarse_ = std::make_unique<PatchLogits>(averaged, coarse_window_,
                                            coarse_patch(max_patch, factor));
  } catch (const std::invalid_argument&) {
    coarse_.reset();  // image too small for a coarse level: fall back to every cell
    return;
  }
  // The detail a block average discards, per value: the error a sub-block misalignment makes.
  const at::Tensor expanded = averaged.repeat_interleave(factor, 2)
                                  .repeat_interleave(factor, 3)
                                  .narrow(2, 0, images.size(2))
                                  .narrow(3, 0, images.size(3));
  detail_variance_ = (images - expanded).pow(2).mean().item<double>();
}

CoarseSearch::~CoarseSearch() = default;

std::vector<OffsetCell> CoarseSearch::select(const at::Tensor& x_t, double alpha_bar, int patch,
                                             const at::Tensor& log_prior,
                                             const WindowedSearchOptions& options) {
  const int64_t records = log_prior.size(0);
  if (options.exhaustive || !coarse_) return all_offset_cells(records, window_, factor_);

  // Coarse logits with the variance of block averages: the noise's, divided by factor^2, plus the
  // detail the averages lost (scaled like the signal), which keeps the coarse softmax from being
  // sure of matches it cannot resolve.
  const at::Tensor x_coarse = block_average(x_t.unsqueeze(0), factor_).squeeze(0);
  const double variance_scale = 1.0 / (static_cast<double>(factor_) * factor_) +
                                alpha_bar * detail_variance_ / (1.0 - alpha_bar);
  coarse_->begin_step(x_coarse, alpha_bar, coarse_patch(patch, factor_), log_prior,
                      variance_scale);
  const int k = 2 * coarse_window_ + 1;
  if (!logits_.defined()) logits_ = at::empty({0}, at::kFloat);
  logits_.resize_({records, k, k, coarse_->height(), coarse_->width()});
  coarse_->all_offsets(logits_);  // [N, K, K, Hc, Wc]
  // Softmax over every (record, coarse offset) at each coarse pixel; a cell's score is its
  // share of the softmax mass over the frame (the mean of its weights): choosing the highest
  // shares first covers the most mass with the fewest exact evaluations.
  const at::Tensor lse = at::logsumexp(logits_.flatten(0, 2), {0});
  const at::Tensor scores = logits_.sub_(lse).exp_().mean({3, 4}).contiguous();  // [N, K, K]
  const float* score = scores.data_ptr<float>();

  struct Ranked {
    int64_t record;
    int oy, ox;
    double score;
  };
  std::vector<Ranked> ranked;
  for (int64_t r = 0; r < records; ++r) {
    for (int a = 0; a < k; ++a) {
      for (int b = 0; b < k; ++b) {
        const double value = score[(r * k + a) * k + b];
        if (value >= options.min_cell_weight) {
          ranked.push_back({r, a - coarse_window_, b - coarse_window_, value});
        }
      }
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.score > b.score; });

  // Mark the fine offsets of the best cells (shared offsets counted once) within the budget.
  // Offset 0 is left out: the denoiser evaluates every record's same-location candidate anyway.
  const int side = 2 * window_ + 1;
  std::vector<float> marked(static_cast<size_t>(records) * side * side, 0.0f);
  auto slot = [&](int64_t r, int dy, int dx) -> float& {
    return marked[(static_cast<size_t>(r) * side + (dy + window_)) * side + (dx + window_)];
  };
  int64_t pairs = 0;
  for (const Ranked& cell : ranked) {
    int y0, y1, x0, x1;
    search_range(cell.oy, factor_, window_, y0, y1);
    search_range(cell.ox, factor_, window_, x0, x1);
    int64_t fresh = 0;
    for (int dy = y0; dy <= y1; ++dy) {
      for (int dx = x0; dx <= x1; ++dx) {
        fresh += (dy != 0 || dx != 0) && slot(cell.record, dy, dx) == 0.0f;
      }
    }
    if (fresh == 0 || pairs + fresh > options.max_pairs) continue;  // a smaller cell may still fit
    for (int dy = y0; dy <= y1; ++dy) {
      for (int dx = x0; dx <= x1; ++dx) {
        if (dy == 0 && dx == 0) continue;
        float& s = slot(cell.record, dy, dx);
        if (s == 0.0f) s = static_cast<float>(cell.score);
      }
    }
    pairs += fresh;
  }

  // Runs of marked offsets along each row of each record's window become the blocks to evaluate.
  std::vector<OffsetCell> chosen;
  for (int64_t r = 0; r < records; ++r) {
    for (int dy = -window_; dy <= window_; ++dy) {
      int dx = -window_;
      while (dx <= window_) {
        if (slot(r, dy, dx) == 0.0f) {
          ++dx;
          continue;
        }
        OffsetCell run;
        run.record = r;
        run.dy0 = dy;
        run.ny = 1;
        run.dx0 = dx;
        run.score = slot(r, dy, dx);
        while (dx <= window_ && slot(r, dy, dx) != 0.0f) ++dx;
        run.nx = dx - run.dx0;
        chosen.push_back(run);
      }
    }
  }
  return chosen;
}

}  // namespace palimpsest

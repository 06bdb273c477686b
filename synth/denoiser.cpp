#include "synth/denoiser.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "synth/global_denoiser.h"
#include "synth/patch_denoiser.h"

namespace palimpsest {

at::Tensor log_prior_tensor(const std::vector<double>& priors) {
  double sum = 0.0;
  for (double p : priors) {
    if (!std::isfinite(p) || p < 0.0) {
      throw std::invalid_argument("record priors must be finite and >= 0");
    }
    sum += p;
  }
  if (!(sum > 0.0)) throw std::invalid_argument("at least one record needs a positive prior");
  std::vector<float> logs(priors.size());
  for (size_t i = 0; i < priors.size(); ++i) {
    logs[i] = priors[i] > 0.0 ? static_cast<float>(std::log(priors[i] / sum))
                              : -std::numeric_limits<float>::infinity();
  }
  return at::tensor(logs, at::kFloat);
}

std::unique_ptr<Denoiser> make_denoiser(DenoiserKind kind, RecordSet records,
                                        const LocalDenoiserOptions& options) {
  switch (kind) {
    case DenoiserKind::global:
      return std::make_unique<GlobalDenoiser>(std::move(records));
    case DenoiserKind::local:
      return std::make_unique<PatchDenoiser>(std::move(records), options, 0);
    case DenoiserKind::local_windowed:
      return std::make_unique<PatchDenoiser>(std::move(records), options, options.search.window);
  }
  throw std::invalid_argument("unknown denoiser kind");
}

}  // namespace palimpsest

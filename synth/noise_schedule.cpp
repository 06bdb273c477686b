#include "synth/noise_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace palimpsest {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Nichol & Dhariwal 2021, eq. 17: abar(t) = f(t) / f(0), f(t) = cos^2((t/T + s) / (1 + s) * pi/2),
// discretised through betas clipped at 0.999 so that the last level is not exactly 0.
std::vector<double> cosine_betas(int steps) {
  const double s = 0.008;
  auto f = [&](double t) {
    const double c = std::cos((t + s) / (1.0 + s) * kPi / 2.0);
    return c * c;
  };
  std::vector<double> betas(steps);
  for (int i = 0; i < steps; ++i) {
    const double t1 = static_cast<double>(i) / steps;
    const double t2 = static_cast<double>(i + 1) / steps;
    betas[i] = std::min(1.0 - f(t2) / f(t1), 0.999);
  }
  return betas;
}

// Stable Diffusion's "scaled_linear": betas = linspace(sqrt(0.00085), sqrt(0.012), T)^2.
std::vector<double> scaled_linear_betas(int steps) {
  const double a = std::sqrt(0.00085), b = std::sqrt(0.012);
  std::vector<double> betas(steps);
  for (int i = 0; i < steps; ++i) {
    const double v = a + (b - a) * static_cast<double>(i) / (steps - 1);
    betas[i] = v * v;
  }
  return betas;
}

}  // namespace

NoiseSchedule::NoiseSchedule(ScheduleKind kind) : kind_(kind) {
  const std::vector<double> betas = kind == ScheduleKind::cosine
                                        ? cosine_betas(kTrainingSteps)
                                        : scaled_linear_betas(kTrainingSteps);
  alpha_bar_.resize(kTrainingSteps);
  double product = 1.0;
  for (int t = 0; t < kTrainingSteps; ++t) {
    product *= 1.0 - betas[t];
    alpha_bar_[t] = product;
  }
}

double NoiseSchedule::alpha_bar(int t) const {
  if (t < 0 || t >= kTrainingSteps) {
    throw std::out_of_range("timestep " + std::to_string(t) + " outside [0, 999]");
  }
  return alpha_bar_[t];
}

std::vector<int> NoiseSchedule::timesteps(int steps) const {
  if (steps < 1 || steps > kTrainingSteps) {
    throw std::invalid_argument("steps must be in [1, 1000], got " + std::to_string(steps));
  }
  std::vector<int> result(steps);
  for (int k = 0; k < steps; ++k) {
    const double fraction = steps == 1 ? 0.0 : static_cast<double>(k) / (steps - 1);
    const double t = (kTrainingSteps - 1) * (1.0 - fraction);
    result[k] = static_cast<int>(std::lround(t));
  }
  return result;
}

std::vector<double> NoiseSchedule::sampling_levels(int steps, double strength) const {
  if (!(strength > 0.0) || strength > 1.0) {
    throw std::invalid_argument("strength must be in (0, 1], got " + std::to_string(strength));
  }
  const std::vector<int> all = timesteps(steps);
  const int run = std::clamp(static_cast<int>(std::lround(steps * strength)), 1, steps);
  std::vector<double> levels;
  levels.reserve(run + 1);
  for (int k = steps - run; k < steps; ++k) levels.push_back(alpha_bar_[all[k]]);
  levels.push_back(1.0);
  return levels;
}

}  // namespace palimpsest

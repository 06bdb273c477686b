#include "synth/noise.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace palimpsest {

at::Generator seeded_generator(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

at::Tensor gaussian_noise(std::uint64_t seed, at::IntArrayRef shape) {
  at::Generator generator = seeded_generator(seed);
  return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor slerp(const at::Tensor& a, const at::Tensor& b, double t, double dot_threshold) {
  if (!a.sizes().equals(b.sizes())) throw std::invalid_argument("slerp: shapes differ");
  const at::Tensor fa = a.to(at::kDouble).flatten();
  const at::Tensor fb = b.to(at::kDouble).flatten();
  const double na = fa.norm().item<double>(), nb = fb.norm().item<double>();
  const auto lerp = [&] { return (a.to(at::kFloat) * (1.0 - t) + b.to(at::kFloat) * t); };
  if (na == 0.0 || nb == 0.0) return lerp();
  const double cosine = fa.dot(fb).item<double>() / (na * nb);
  if (std::abs(cosine) > dot_threshold) return lerp();
  const double theta = std::acos(std::clamp(cosine, -1.0, 1.0));
  const double sin_theta = std::sin(theta);
  const double wa = std::sin((1.0 - t) * theta) / sin_theta;
  const double wb = std::sin(t * theta) / sin_theta;
  return a.to(at::kFloat) * wa + b.to(at::kFloat) * wb;
}

}  // namespace palimpsest

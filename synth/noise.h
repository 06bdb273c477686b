#pragma once
// Seeded Gaussian noise and spherical interpolation between noise tensors (internal to synth/).

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace palimpsest {

// A CPU generator seeded with `seed`: the same seed gives the same stream on every run.
at::Generator seeded_generator(std::uint64_t seed);

// Standard normal noise of `shape` drawn from a fresh generator seeded with `seed`.
at::Tensor gaussian_noise(std::uint64_t seed, at::IntArrayRef shape);

// Spherical linear interpolation (Shoemake 1985) between a and b, treated as flat vectors:
//   slerp(a, b, t) = sin((1 - t) theta) / sin(theta) a + sin(t theta) / sin(theta) b,
// theta the angle between them. Interpolating Gaussian noise this way keeps its norm (a lerp
// midpoint of two independent noises has norm ~1/sqrt(2) too small, which a diffusion sampler
// reads as "less noise"). When |cos theta| > dot_threshold the vectors are nearly parallel,
// sin(theta) ~ 0, and plain linear interpolation is used instead.
at::Tensor slerp(const at::Tensor& a, const at::Tensor& b, double t, double dot_threshold = 0.9995);

}  // namespace palimpsest

#pragma once
// Deterministic noise for procedural textures: integer hashing and smooth value noise. Pure
// functions of their arguments, so a texture is the same on every run and every machine.

#include <cmath>
#include <cstdint>

namespace palimpsest::demo::noise {

// SplitMix64's finaliser: a fast, well-mixed 64-bit hash.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Hash of a seed and two integers. One finaliser over a weighted sum is enough for textures
// and keeps per-pixel noise cheap (four hashes per lattice cell and octave).
inline std::uint64_t hash(std::uint64_t seed, std::int64_t a, std::int64_t b = 0) {
  return mix64(seed ^ (static_cast<std::uint64_t>(a) * 0xD1B54A32D192ED03ull) ^
               (static_cast<std::uint64_t>(b) * 0xABC98388FB8FAC03ull));
}

// Uniform in [0, 1) from a hash.
inline double unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

inline double smoothstep(double edge0, double edge1, double x) {
  const double t = std::fmin(1.0, std::fmax(0.0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3.0 - 2.0 * t);
}

// Value noise in [0, 1): random values on the integer lattice, smoothly interpolated.
inline double value(std::uint64_t seed, double x, double y) {
  const double fx = std::floor(x);
  const double fy = std::floor(y);
  const auto ix = static_cast<std::int64_t>(fx);
  const auto iy = static_cast<std::int64_t>(fy);
  const double tx = x - fx;
  const double ty = y - fy;
  const double sx = tx * tx * (3.0 - 2.0 * tx);
  const double sy = ty * ty * (3.0 - 2.0 * ty);
  const double v00 = unit(hash(seed, ix, iy));
  const double v10 = unit(hash(seed, ix + 1, iy));
  const double v01 = unit(hash(seed, ix, iy + 1));
  const double v11 = unit(hash(seed, ix + 1, iy + 1));
  const double top = v00 + (v10 - v00) * sx;
  const double bottom = v01 + (v11 - v01) * sx;
  return top + (bottom - top) * sy;
}

// Fractal sum of `octaves` value-noise layers, each twice as fine and half as strong; in [0, 1).
inline double fbm(std::uint64_t seed, double x, double y, int octaves = 3) {
  double sum = 0;
  double amplitude = 0.5;
  double norm = 0;
  for (int octave = 0; octave < octaves; ++octave) {
    sum += amplitude * value(seed + static_cast<std::uint64_t>(octave) * 7919u, x, y);
    norm += amplitude;
    amplitude *= 0.5;
    x *= 2.0;
    y *= 2.0;
  }
  return sum / norm;
}

}  // namespace palimpsest::demo::noise

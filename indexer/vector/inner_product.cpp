// Inner-product kernels (see inner_product.h).
//
// Written with GCC/Clang vector extensions so that each target clone gets registers of its own
// width; the summation order is fixed by the code (lanes, then a fixed reduction tree), not by
// the instruction set, up to fused multiply-add rounding.
#include "indexer/vector/inner_product.h"

#include <cstring>

// The helpers below take and return 32-byte vectors; they are always inlined into the cloned
// kernels, so the ABI note GCC gives for such signatures without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace palimpsest {
namespace {

typedef float v8sf __attribute__((vector_size(32)));

__attribute__((always_inline)) inline v8sf load8(const float* p) {
  v8sf v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

__attribute__((always_inline)) inline float horizontal_sum(const v8sf& v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

}  // namespace

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define PALIMPSEST_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef PALIMPSEST_CLONES
#define PALIMPSEST_CLONES
#endif

PALIMPSEST_CLONES
float inner_product(const float* a, const float* b, std::size_t d) {
  // Four independent accumulators hide the add latency; 32 floats per step.
  v8sf s0 = {}, s1 = {}, s2 = {}, s3 = {};
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 += load8(a + i) * load8(b + i);
    s1 += load8(a + i + 8) * load8(b + i + 8);
    s2 += load8(a + i + 16) * load8(b + i + 16);
    s3 += load8(a + i + 24) * load8(b + i + 24);
  }
  for (; i + 8 <= d; i += 8) s0 += load8(a + i) * load8(b + i);
  float sum = horizontal_sum((s0 + s1) + (s2 + s3));
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

PALIMPSEST_CLONES
void inner_product_x4(const float* x, const float* const q[4], std::size_t d, float out[4]) {
  // Two accumulators per query: 8 vector registers of sums, x loaded once for four queries.
  v8sf a0 = {}, a1 = {}, b0 = {}, b1 = {}, c0 = {}, c1 = {}, e0 = {}, e1 = {};
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const v8sf x0 = load8(x + i), x1 = load8(x + i + 8);
    a0 += x0 * load8(q[0] + i);
    a1 += x1 * load8(q[0] + i + 8);
    b0 += x0 * load8(q[1] + i);
    b1 += x1 * load8(q[1] + i + 8);
    c0 += x0 * load8(q[2] + i);
    c1 += x1 * load8(q[2] + i + 8);
    e0 += x0 * load8(q[3] + i);
    e1 += x1 * load8(q[3] + i + 8);
  }
  for (; i + 8 <= d; i += 8) {
    const v8sf x0 = load8(x + i);
    a0 += x0 * load8(q[0] + i);
    b0 += x0 * load8(q[1] + i);
    c0 += x0 * load8(q[2] + i);
    e0 += x0 * load8(q[3] + i);
  }
  float s[4] = {horizontal_sum(a0 + a1), horizontal_sum(b0 + b1), horizontal_sum(c0 + c1),
                horizontal_sum(e0 + e1)};
  for (; i < d; ++i)
    for (int j = 0; j < 4; ++j) s[j] += x[i] * q[j][i];
  for (int j = 0; j < 4; ++j) out[j] = s[j];
}

PALIMPSEST_CLONES
void inner_product_and_norm(const float* q, const float* x, std::size_t d, float* dot, float* norm_sq) {
  v8sf a0 = {}, a1 = {}, n0 = {}, n1 = {};
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const v8sf x0 = load8(x + i), x1 = load8(x + i + 8);
    a0 += x0 * load8(q + i);
    a1 += x1 * load8(q + i + 8);
    n0 += x0 * x0;
    n1 += x1 * x1;
  }
  for (; i + 8 <= d; i += 8) {
    const v8sf x0 = load8(x + i);
    a0 += x0 * load8(q + i);
    n0 += x0 * x0;
  }
  float s = horizontal_sum(a0 + a1), n = horizontal_sum(n0 + n1);
  for (; i < d; ++i) {
    s += x[i] * q[i];
    n += x[i] * x[i];
  }
  *dot = s;
  *norm_sq = n;
}

}  // namespace palimpsest

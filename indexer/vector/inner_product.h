#pragma once
// Inner-product kernels for 32-bit float vectors.
//
// Why our own: Debian's libfaiss 1.7.3 is built for baseline x86-64 ("OPTIMIZE GENERIC", see
// faiss::get_compile_options()), so its fvec_inner_product is a scalar loop with one accumulator,
// about five times slower than memory bandwidth allows at 512 dimensions. The vector store plugs
// these kernels into FAISS's flat storage (see vectorised_flat.h); they are compiled for several
// instruction sets and the best one is picked when the program loads.

#include <cstddef>

namespace palimpsest {

// Sum of a[i] * b[i] for i < d.
float inner_product(const float* a, const float* b, std::size_t d);

// out[j] = inner_product(x, q[j], d) for j < 4: one pass over x serves four queries, which is
// what makes many-queries-against-many-vectors (k-means, ground truth) compute-bound.
void inner_product_x4(const float* x, const float* const q[4], std::size_t d, float out[4]);

// *dot = inner_product(q, x, d) and *norm_sq = inner_product(x, x, d), in one pass over x:
// re-ranking scores a stored vector that is not normalised.
void inner_product_and_norm(const float* q, const float* x, std::size_t d, float* dot, float* norm_sq);

}  // namespace palimpsest

#pragma once
// Checks, normalisation and fingerprints of single vectors.

#include <cstdint>
#include <string>

namespace palimpsest {

// Writes v / |v| to `unit` (which may be v) and returns an empty string; or, when v cannot be
// normalised, leaves `unit` unspecified and says why ("contains NaN or infinity at 3",
// "has zero length"). The norm is accumulated in double so that long vectors of tiny or huge
// values normalise correctly.
std::string normalise_into(const float* v, int dim, float* unit);

// 64-bit fingerprint of a vector's exact bytes as the caller supplied it (before
// normalisation): the store keeps one per entry, so open() can tell a replaced embedding from
// an unchanged one without keeping the original vectors.
std::uint64_t vector_fingerprint(const float* v, int dim);

}  // namespace palimpsest

#pragma once
// Coarse centroids for an inverted file with many lists, by two-level k-means.
//
// One k-means round over n training points and k centroids costs n·k·d; with the store's
// sample of 39+ points per list that grows with k², so k = 16384 (about 10M vectors) would
// spend about 100 TFLOP, half an hour of two cores, on training alone. Two levels (cluster
// into about sqrt(k) groups, then split each group into its share of the k centroids) cost
// about n·2·sqrt(k)·d per round, 64x less at k = 16384, for centroids that are slightly
// worse: each point only competes among its group's centroids while training (FAISS's
// contrib.clustering.two_level_clustering uses the same scheme for its largest IVFs).

#include <cstdint>
#include <vector>

#include <faiss/Clustering.h>

namespace palimpsest {

struct TwoLevelKmeansReport {
  int groups = 0;               // first-level clusters
  int largest_group_lists = 0;  // most centroids any one group got
};

// k centroids (k x dim, row-major) for the n x dim unit vectors x, clustered with the
// parameters in `cp` (iterations, seed, spherical). Requires 1 <= k <= n. Every group gets a
// share of k proportional to its size (at least one centroid, never more than it has points).
std::vector<float> two_level_kmeans(std::int64_t n, const float* x, int dim, int k,
                                    const faiss::ClusteringParameters& cp,
                                    TwoLevelKmeansReport* report = nullptr);

// How many of k centroids each of the groups gets, in proportion to group_sizes (largest
// remainders first), at least one per non-empty group and at most its size. The shares sum to
// k when k <= sum(group_sizes) and k >= the number of non-empty groups.
std::vector<int> share_centroids(const std::vector<std::int64_t>& group_sizes, int k);

}  // namespace palimpsest

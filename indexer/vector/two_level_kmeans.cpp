#include "indexer/vector/two_level_kmeans.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "indexer/vector/vectorised_flat.h"

namespace palimpsest {
namespace {

using idx_t = faiss::Index::idx_t;

// Mean of n rows, normalised when the clustering is spherical (as FAISS normalises centroids).
void mean_row(const float* rows, std::int64_t n, int dim, bool spherical, float* out) {
  std::vector<double> sum(static_cast<std::size_t>(dim), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) sum[static_cast<std::size_t>(j)] += rows[i * dim + j];
  double norm = 0;
  for (double& v : sum) {
    v /= static_cast<double>(n);
    norm += v * v;
  }
  const double scale = spherical && norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
  for (int j = 0; j < dim; ++j) out[j] = static_cast<float>(sum[static_cast<std::size_t>(j)] * scale);
}

}  // namespace

std::vector<int> share_centroids(const std::vector<std::int64_t>& group_sizes, int k) {
  const std::int64_t total = std::accumulate(group_sizes.begin(), group_sizes.end(), std::int64_t{0});
  std::vector<int> share(group_sizes.size(), 0);
  if (total == 0 || k <= 0) return share;
  std::vector<double> ideal(group_sizes.size());
  int given = 0;
  for (std::size_t g = 0; g < group_sizes.size(); ++g) {
    if (group_sizes[g] == 0) continue;
    ideal[g] = static_cast<double>(k) * static_cast<double>(group_sizes[g]) / static_cast<double>(total);
    share[g] = static_cast<int>(std::clamp<std::int64_t>(static_cast<std::int64_t>(ideal[g]), 1, group_sizes[g]));
    given += share[g];
  }
  // Hand out the rest one at a time to the groups furthest below their ideal share (largest
  // remainders), or take back from the furthest above it, respecting [1, size].
  while (given != k) {
    const bool add = given < k;
    std::size_t pick = group_sizes.size();
    double best = 0;
    for (std::size_t g = 0; g < group_sizes.size(); ++g) {
      if (group_sizes[g] == 0) continue;
      if (add ? share[g] >= group_sizes[g] : share[g] <= 1) continue;
      const double gap = add ? ideal[g] - share[g] : share[g] - ideal[g];
      if (pick == group_sizes.size() || gap > best) {
        pick = g;
        best = gap;
      }
    }
    if (pick == group_sizes.size()) break;  // every group is at its bound
    share[pick] += add ? 1 : -1;
    given += add ? 1 : -1;
  }
  return share;
}

std::vector<float> two_level_kmeans(std::int64_t n, const float* x, int dim, int k,
                                    const faiss::ClusteringParameters& cp, TwoLevelKmeansReport* report) {
  if (k < 1 || n < k)
    throw std::invalid_argument("two-level k-means needs 1 <= k <= n (k = " + std::to_string(k) +
                                ", n = " + std::to_string(n) + ")");
  const int groups = std::clamp(static_cast<int>(std::lround(std::sqrt(static_cast<double>(k)))), 1, k);

  // Level 1: `groups` centroids (FAISS subsamples to cp.max_points_per_centroid per centroid).
  faiss::Clustering top(dim, groups, cp);
  {
    VectorisedFlatIP assigner(dim);
    top.train(n, x, assigner);
  }
  // Every point to its group.
  std::vector<idx_t> label(static_cast<std::size_t>(n));
  {
    VectorisedFlatIP centroids(dim);
    centroids.add(groups, top.centroids.data());
    std::vector<float> score(static_cast<std::size_t>(n));
    centroids.search(n, x, 1, score.data(), label.data());
  }
  std::vector<std::int64_t> size(static_cast<std::size_t>(groups), 0);
  for (idx_t l : label) ++size[static_cast<std::size_t>(l)];
  const std::vector<int> share = share_centroids(size, k);

  // Level 2: each group's points, contiguous, split into its share of the k centroids.
  std::vector<std::int64_t> start(static_cast<std::size_t>(groups) + 1, 0);
  for (int g = 0; g < groups; ++g) start[g + 1] = start[g] + size[static_cast<std::size_t>(g)];
  std::vector<float> grouped(static_cast<std::size_t>(n) * dim);
  {
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t at = next[static_cast<std::size_t>(label[static_cast<std::size_t>(i)])]++;
      std::copy(x + i * dim, x + (i + 1) * dim, grouped.data() + at * dim);
    }
  }
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(k) * dim);
  int largest = 0;
  for (int g = 0; g < groups; ++g) {
    const int lists = share[static_cast<std::size_t>(g)];
    if (lists == 0) continue;
    largest = std::max(largest, lists);
    const float* rows = grouped.data() + start[g] * dim;
    const std::int64_t count = size[static_cast<std::size_t>(g)];
    const std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(lists) * dim);
    if (lists == 1) {
      mean_row(rows, count, dim, cp.spherical, out.data() + at);
    } else if (lists == count) {
      std::copy(rows, rows + count * dim, out.data() + at);
    } else {
      faiss::ClusteringParameters sub = cp;
      sub.seed = cp.seed + 1 + g;
      // A group's share follows its size, so FAISS's "too few points" warning would only repeat
      // what the caller chose for the whole sample.
      sub.min_points_per_centroid = 1;
      faiss::Clustering split(dim, lists, sub);
      VectorisedFlatIP assigner(dim);
      split.train(count, rows, assigner);
      std::copy(split.centroids.begin(), split.centroids.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  if (out.size() != static_cast<std::size_t>(k) * dim)
    throw std::logic_error("two-level k-means made " + std::to_string(out.size() / dim) + " of " +
                           std::to_string(k) + " centroids");
  if (report) {
    report->groups = groups;
    report->largest_group_lists = largest;
  }
  return out;
}

}  // namespace palimpsest

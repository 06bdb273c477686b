// Two-level k-means (indexer/vector/two_level_kmeans.h): how centroids are shared among the
// first-level groups, and centroids nearly as good as FAISS's one-level k-means at a fraction
// of the work; the store's plan switches to it for large list counts.
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <faiss/Clustering.h>
#include <gtest/gtest.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/two_level_kmeans.h"
#include "indexer/vector/vectorised_flat.h"

namespace palimpsest {
namespace {

// n unit vectors around `centres` random directions (a mixture, as embeddings are).
std::vector<float> clustered_units(std::int64_t n, int dim, int centres, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> centre(static_cast<std::size_t>(centres) * dim);
  for (float& v : centre) v = g(rng);
  std::uniform_int_distribution<int> pick(0, centres - 1);
  std::vector<float> x(static_cast<std::size_t>(n) * dim);
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = pick(rng);
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      float& v = x[i * dim + j];
      v = centre[static_cast<std::size_t>(c) * dim + j] + 0.6f * g(rng);
      norm += static_cast<double>(v) * v;
    }
    for (int j = 0; j < dim; ++j) x[i * dim + j] = static_cast<float>(x[i * dim + j] / std::sqrt(norm));
  }
  return x;
}

// Mean inner product of each point with its best centroid (what spherical k-means maximises).
double mean_best_similarity(const std::vector<float>& x, const std::vector<float>& centroids, int dim) {
  VectorisedFlatIP index(dim);
  index.add(static_cast<faiss::Index::idx_t>(centroids.size() / dim), centroids.data());
  const auto n = static_cast<faiss::Index::idx_t>(x.size() / dim);
  std::vector<float> score(static_cast<std::size_t>(n));
  std::vector<faiss::Index::idx_t> label(static_cast<std::size_t>(n));
  index.search(n, x.data(), 1, score.data(), label.data());
  return std::accumulate(score.begin(), score.end(), 0.0) / static_cast<double>(n);
}

faiss::ClusteringParameters spherical_params() {
  faiss::ClusteringParameters cp;
  cp.spherical = true;  // what an inner-product IVF uses
  cp.niter = 10;
  cp.seed = 1234;
  return cp;
}

TEST(TwoLevelKmeans, SharesFollowGroupSizesWithinBounds) {
  EXPECT_EQ(share_centroids({100, 0, 300, 1}, 40), (std::vector<int>{10, 0, 29, 1}));
  EXPECT_EQ(share_centroids({10, 10, 10, 10}, 40), (std::vector<int>{10, 10, 10, 10}));
  // A group never gets more centroids than it has points; the rest go elsewhere.
  EXPECT_EQ(share_centroids({2, 1000}, 100), (std::vector<int>{1, 99}));
  EXPECT_EQ(share_centroids({3, 3}, 6), (std::vector<int>{3, 3}));
  // Every non-empty group keeps one centroid even when its ideal share rounds to zero.
  const std::vector<int> s = share_centroids({1, 1, 1, 997}, 8);
  EXPECT_EQ(s, (std::vector<int>{1, 1, 1, 5}));
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::int64_t> sizes(1 + rng() % 40);
    for (auto& v : sizes) v = rng() % 500;
    const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
    const auto nonempty = std::count_if(sizes.begin(), sizes.end(), [](std::int64_t v) { return v > 0; });
    if (nonempty == 0) continue;
    const int k = static_cast<int>(nonempty + rng() % (total - nonempty + 1));
    const std::vector<int> share = share_centroids(sizes, k);
    EXPECT_EQ(std::accumulate(share.begin(), share.end(), 0), k);
    for (std::size_t g = 0; g < sizes.size(); ++g) {
      EXPECT_LE(share[g], sizes[g]);
      EXPECT_EQ(share[g] == 0, sizes[g] == 0);
    }
  }
}

TEST(TwoLevelKmeans, CentroidsNearlyAsGoodAsOneLevelKmeans) {
  const int dim = 32, k = 256;
  const std::int64_t n = 39 * k;
  const std::vector<float> x = clustered_units(n, dim, 60, 3);
  const faiss::ClusteringParameters cp = spherical_params();

  TwoLevelKmeansReport report;
  const std::vector<float> two = two_level_kmeans(n, x.data(), dim, k, cp, &report);
  ASSERT_EQ(two.size(), static_cast<std::size_t>(k) * dim);
  EXPECT_EQ(report.groups, 16);
  for (int c = 0; c < k; ++c) {  // spherical: unit centroids
    double norm = 0;
    for (int j = 0; j < dim; ++j) norm += static_cast<double>(two[c * dim + j]) * two[c * dim + j];
    EXPECT_NEAR(norm, 1.0, 1e-4) << "centroid " << c;
  }

  faiss::Clustering one(dim, k, cp);
  VectorisedFlatIP assigner(dim);
  one.train(n, x.data(), assigner);

  const double two_level = mean_best_similarity(x, two, dim);
  const double one_level = mean_best_similarity(x, one.centroids, dim);
  // A single centroid (no clustering at all) is the floor the comparison must clear.
  const std::vector<float> first(x.begin(), x.begin() + dim);
  const double floor = mean_best_similarity(x, first, dim);
  EXPECT_GT(one_level, floor + 0.1);
  EXPECT_GT(two_level, one_level - 0.01) << "two-level " << two_level << " one-level " << one_level;

  // Deterministic for a seed.
  EXPECT_EQ(two_level_kmeans(n, x.data(), dim, k, cp), two);
}

TEST(TwoLevelKmeans, RefusesMoreCentroidsThanPoints) {
  const std::vector<float> x = clustered_units(10, 8, 2, 1);
  EXPECT_THROW(two_level_kmeans(10, x.data(), 8, 11, spherical_params()), std::invalid_argument);
  EXPECT_THROW(two_level_kmeans(10, x.data(), 8, 0, spherical_params()), std::invalid_argument);
  // k == n: every point is a centroid.
  EXPECT_EQ(two_level_kmeans(10, x.data(), 8, 10, spherical_params()).size(), 80u);
}

TEST(TwoLevelKmeans, StorePlansItFromManyLists) {
  const VectorStoreOptions defaults;
  EXPECT_FALSE(plan_index(1'000'000, 512, defaults).two_level_kmeans);  // IVF4096: one level
  const IndexPlan ten_million = plan_index(10'000'000, 512, defaults);
  EXPECT_EQ(ten_million.nlist, 16384);
  EXPECT_TRUE(ten_million.two_level_kmeans);
  VectorStoreOptions with_opq;
  with_opq.use_opq = true;
  with_opq.ivf_flat_max = 1;
  EXPECT_FALSE(plan_index(10'000'000, 512, with_opq).two_level_kmeans);  // OPQ trains with the lists
}

}  // namespace
}  // namespace palimpsest

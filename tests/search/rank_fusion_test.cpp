#include "retrieval/search/rank_fusion.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

ScoreDistribution background(double mean, double sd) {
  ScoreDistribution d;
  d.mean = mean;
  d.sd = sd;
  d.samples = 100;
  return d;
}

TEST(RankFusion, FusedScoreIsTheCalibratedDenseScorePlusTheWeightedLexicalShare) {
  FusionLists lists;
  lists.dense = {{1, 0.40}, {7, 0.35}, {3, 0.30}};
  lists.lexical = {{7, 9.0}, {4, 3.0}};
  lists.background = background(0.30, 0.05);
  lists.best_lexical = 12.0;  // a better lexical match of another modality sets the scale
  const std::vector<FusedHit> fused = fuse_calibrated(lists);
  ASSERT_EQ(fused.size(), 4u);
  // 7: z 1 + 2 * 9/12 = 2.5; 1: z 2; 4: lexical only, no vector: 2 * 3/12 = 0.5; 3: z 0.
  EXPECT_EQ(fused[0].record_id, 7);
  EXPECT_NEAR(fused[0].fused_score, 2.5, 1e-9);
  EXPECT_NEAR(*fused[0].calibrated, 1.0, 1e-9);
  EXPECT_EQ(*fused[0].dense_rank, 2);
  EXPECT_EQ(*fused[0].lexical_rank, 1);
  EXPECT_EQ(fused[1].record_id, 1);
  EXPECT_NEAR(fused[1].fused_score, 2.0, 1e-9);
  EXPECT_FALSE(fused[1].lexical_score);
  EXPECT_EQ(fused[2].record_id, 4);
  EXPECT_NEAR(fused[2].fused_score, 0.5, 1e-9);
  EXPECT_FALSE(fused[2].calibrated);
  EXPECT_EQ(fused[3].record_id, 3);
}

TEST(RankFusion, ALexicalOnlyHitIsCalibratedWithItsStoredVector) {
  FusionLists lists;
  lists.dense = {{1, 0.5}};
  lists.lexical = {{2, 4.0}};
  lists.background = background(0.25, 0.05);
  lists.best_lexical = 4.0;
  lists.dense_score_of = [](std::int64_t id) -> std::optional<double> {
    if (id == 2) return 0.45;
    return std::nullopt;
  };
  const std::vector<FusedHit> fused = fuse_calibrated(lists);
  ASSERT_EQ(fused.size(), 2u);
  // 2: z 4 + 2 = 6 beats 1: z 5.
  EXPECT_EQ(fused[0].record_id, 2);
  EXPECT_NEAR(*fused[0].dense_score, 0.45, 1e-12);
  EXPECT_FALSE(fused[0].dense_rank);  // the dense list did not find it
  EXPECT_NEAR(fused[0].fused_score, 6.0, 1e-9);
}

TEST(RankFusion, ExactMatchesComeFirstWhateverTheDenseNoise) {
  FusionLists lists;
  lists.dense = {{10, 0.95}, {11, 0.94}, {12, 0.93}, {5, 0.2}};
  lists.lexical = {{5, 8.0}, {10, 1.0}};
  lists.exact = {{5, 8.0}};
  lists.background = background(0.5, 0.02);  // the noise sits 20 standard deviations up
  lists.best_lexical = 8.0;
  const std::vector<FusedHit> fused = fuse_calibrated(lists);
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].record_id, 5);
  EXPECT_TRUE(fused[0].exact);
  EXPECT_FALSE(fused[1].exact);
  EXPECT_EQ(fused[1].record_id, 10);
}

TEST(RankFusion, OneListAloneKeepsItsOrder) {
  FusionLists dense_only;
  dense_only.dense = {{3, 0.9}, {1, 0.8}, {2, 0.7}};
  dense_only.background = background(0.1, 0.3);
  std::vector<FusedHit> fused = fuse_calibrated(dense_only);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].record_id, 3);
  EXPECT_EQ(fused[2].record_id, 2);

  FusionLists lexical_only;
  lexical_only.lexical = {{5, 3.0}, {6, 2.0}, {4, 1.0}};
  lexical_only.best_lexical = 3.0;
  fused = fuse_calibrated(lexical_only);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].record_id, 5);
  EXPECT_EQ(fused[2].record_id, 4);
  EXPECT_TRUE(fuse_calibrated({}).empty());
}

TEST(RankFusion, DuplicatesKeepTheirBestRankAndTiesBreakByRankThenId) {
  FusionLists lists;
  lists.dense = {{9, 0.9}, {9, 0.1}};
  std::vector<FusedHit> fused = fuse_calibrated(lists);
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_EQ(*fused[0].dense_rank, 1);
  EXPECT_DOUBLE_EQ(*fused[0].dense_score, 0.9);

  // No background: every fused score is 0 but the lexical part; ties by best rank, then id.
  FusionLists ties;
  ties.dense = {{8, 0.9}, {2, 0.8}};
  ties.lexical = {{3, 0.0}};
  fused = fuse_calibrated(ties);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].record_id, 3);  // rank 1 in the lexical list, id 3 < 8
  EXPECT_EQ(fused[1].record_id, 8);
  EXPECT_EQ(fused[2].record_id, 2);
}

}  // namespace
}  // namespace palimpsest

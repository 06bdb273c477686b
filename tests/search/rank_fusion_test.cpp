#include "retrieval/search/rank_fusion.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

TEST(RankFusion, ARecordFoundByBothListsOutranksRecordsFoundByOne) {
  // 7 is second in both lists; 1 and 2 top one list each.
  auto fused = reciprocal_rank_fusion({{1, 0.9}, {7, 0.8}, {3, 0.7}}, {{2, 12.0}, {7, 9.0}, {4, 1.0}});
  ASSERT_EQ(fused.size(), 5u);
  EXPECT_EQ(fused[0].record_id, 7);
  EXPECT_DOUBLE_EQ(fused[0].fused_score, 2.0 / (60 + 2));
  EXPECT_EQ(fused[0].dense_rank.value(), 2);
  EXPECT_EQ(fused[0].lexical_rank.value(), 2);
  EXPECT_DOUBLE_EQ(fused[0].dense_score.value(), 0.8);
  EXPECT_DOUBLE_EQ(fused[0].lexical_score.value(), 9.0);
  // 1 and 2 tie on fused score and best rank: the lower id comes first.
  EXPECT_EQ(fused[1].record_id, 1);
  EXPECT_EQ(fused[2].record_id, 2);
  EXPECT_FALSE(fused[1].lexical_rank);
  EXPECT_FALSE(fused[2].dense_score);
}

TEST(RankFusion, OneEmptyListKeepsTheOtherOrder) {
  auto fused = reciprocal_rank_fusion({}, {{5, 3.0}, {6, 2.0}, {4, 1.0}});
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].record_id, 5);
  EXPECT_EQ(fused[2].record_id, 4);
  EXPECT_TRUE(reciprocal_rank_fusion({}, {}).empty());
}

TEST(RankFusion, DuplicatesKeepTheirBestRank) {
  auto fused = reciprocal_rank_fusion({{9, 0.9}, {9, 0.1}}, {});
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_DOUBLE_EQ(fused[0].fused_score, 1.0 / 61);
}

}  // namespace
}  // namespace palimpsest

#include "schema/catalog.h"

#include <gtest/gtest.h>

#include "tests/common/test_support.h"

namespace palimpsest {
namespace {
TEST(Catalog, OpensAndMigrates) {
  testing::TempDir dir;
  Catalog catalog(dir / "c.db");
  EXPECT_EQ(catalog.schema_version(), Catalog::code_schema_version());
}
}  // namespace
}  // namespace palimpsest

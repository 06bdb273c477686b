// `palimpsest plan` on a PDF and on a scan: the document's text is the manuscript.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/common/archive_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

TEST(ManuscriptDocumentCli, PlanReadsAPdfAndRefusesABlankScanInOneLine) {
  testing::TempDir dir;
  testing::write_document_pdf(dir / "script.pdf", {"A red boat leaves the harbour.", "The lighthouse turns at night."});
  const testing::CommandResult planned =
      testing::run_palimpsest({"--db", (dir / "c.db").string(), "plan", (dir / "script.pdf").string(), "--json"});
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  const nlohmann::json timeline = nlohmann::json::parse(planned.out);
  ASSERT_EQ(timeline["shots"].size(), 2u);
  EXPECT_EQ(timeline["shots"][1]["text"], "The lighthouse turns at night.");

  RgbImage blank(600, 400);
  std::fill(blank.pixels.begin(), blank.pixels.end(), 250);
  testing::write_file(dir / "blank.png", encode_png(blank));
  const testing::CommandResult refused =
      testing::run_palimpsest({"--db", (dir / "c.db").string(), "plan", (dir / "blank.png").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "palimpsest: error: " + (dir / "blank.png").string() + ": no text found: OCR read nothing in it\n");
}

}  // namespace
}  // namespace palimpsest

// Manuscripts that are documents: a PDF's text layer or a typed page's picture (OCR), then the
// plain-text or Fountain rules; a scan without text is one clear error.
#include <gtest/gtest.h>

#include "indexer/media/image_codec.h"
#include "retrieval/timeline/manuscript.h"
#include "tests/common/test_support.h"
#include "tests/ocr/rendered_text.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

TEST(ManuscriptDocument, APdfsParagraphsAreShots) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "script.pdf");
    writer.begin_page();
    writer.text("A red boat leaves the harbour at dawn.", 72, 90, 12);
    writer.text("The lighthouse turns over a calm sea.", 72, 126, 12);
    writer.end_page();
    writer.finish();
  }
  const Timeline timeline = plan_shots(dir / "script.pdf");
  ASSERT_EQ(timeline.shots.size(), 2u);
  EXPECT_EQ(timeline.shots[0].text, "A red boat leaves the harbour at dawn.");
  EXPECT_EQ(timeline.manuscript.format, "text");
}

TEST(ManuscriptDocument, AScreenplayInAPdfFollowsTheFountainRules) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "screenplay.pdf");
    writer.begin_page();
    writer.text("EXT. HARBOUR - NIGHT", 72, 90, 12, PdfFont::courier);
    writer.text("Boats rock against the pier.", 72, 126, 12, PdfFont::courier);
    writer.end_page();
    writer.finish();
  }
  const Timeline timeline = plan_shots(dir / "screenplay.pdf");
  EXPECT_EQ(timeline.manuscript.format, "fountain");
  ASSERT_EQ(timeline.shots.size(), 1u);
  EXPECT_NE(timeline.shots[0].text.find("Boats rock against the pier."), std::string::npos);
}

TEST(ManuscriptDocument, APictureOfATypedPageIsReadWithOcr) {
  testing::TempDir dir;
  const testing::TextCard card = testing::render_text_card(
      dir.path(), {"A red boat leaves the harbour.", "", "The lighthouse turns at night."}, PdfFont::helvetica, 20, 150,
      6.5, 3.0);
  testing::write_file(dir / "page.png", encode_png(card.image));
  const Timeline timeline = plan_shots(dir / "page.png");
  ASSERT_EQ(timeline.shots.size(), 2u);
  EXPECT_NE(timeline.shots[1].text.find("lighthouse"), std::string::npos) << timeline.shots[1].text;
}

TEST(ManuscriptDocument, AScanWithoutTextIsOneClearError) {
  testing::TempDir dir;
  RgbImage blank(800, 600);
  std::fill(blank.pixels.begin(), blank.pixels.end(), 255);
  testing::write_file(dir / "blank.png", encode_png(blank));
  try {
    plan_shots(dir / "blank.png");
    FAIL() << "a blank scan planned";
  } catch (const ManuscriptError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "blank.png").string() + ": no text found: OCR read nothing in it");
  }
}

}  // namespace
}  // namespace palimpsest

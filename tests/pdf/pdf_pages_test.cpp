#include "indexer/pdf/pdf_pages.h"

#include <malloc.h>

#include <gtest/gtest.h>

#include "indexer/pdf/pdf_writer.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

PdfReadOptions text_only() {
  PdfReadOptions options;
  options.render = false;
  return options;
}

std::vector<PdfPageContent> read_all(const fs::path& path, const PdfReadOptions& options) {
  const PdfDocument document(path);
  std::vector<PdfPageContent> pages;
  read_pdf_pages(document, options, [&](PdfPageContent&& page) { pages.push_back(std::move(page)); });
  return pages;
}

// Live heap bytes (small allocations and mmapped blocks).
std::size_t live_heap() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// A light grey page-sized image (what a blank scan looks like), to make image-only pages.
RgbImage paper(int width, int height) {
  RgbImage image(width, height);
  std::fill(image.pixels.begin(), image.pixels.end(), 235);
  return image;
}

TEST(PdfPages, TextLayerGivesParagraphsWithPageNumbersAndBoxes) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "ledger.pdf");
    writer.begin_page();
    writer.text("The Harbour Ledger", 72, 90, 20, PdfFont::helvetica_bold);
    writer.text("The ferry came in before dawn, and nobody on the", 72, 130, 11, PdfFont::times_roman);
    writer.text("quay had expected it; the customs officer had", 72, 144, 11, PdfFont::times_roman);
    writer.text("gone home hours ago.", 72, 158, 11, PdfFont::times_roman);
    writer.text("Forty-two crates of oranges ar-", 72, 186, 11, PdfFont::times_roman);
    writer.text("rived with a piano and three bicycles.", 72, 200, 11, PdfFont::times_roman);
    writer.end_page();
    writer.begin_page();
    writer.text("On the second page the ledger ends.", 72, 90, 11, PdfFont::times_roman);
    writer.finish();
  }
  const std::vector<PdfPageContent> pages = read_all(dir / "ledger.pdf", text_only());
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].number, 1);
  EXPECT_EQ(pages[0].page_count, 2);
  EXPECT_TRUE(pages[0].has_text_layer);
  EXPECT_TRUE(pages[0].warnings.empty());
  ASSERT_EQ(pages[0].paragraphs.size(), 3u);
  const std::vector<PdfParagraph>& p = pages[0].paragraphs;
  EXPECT_EQ(p[0].text, "The Harbour Ledger");
  EXPECT_EQ(p[1].text,
            "The ferry came in before dawn, and nobody on the\nquay had expected it; the customs "
            "officer had\ngone home hours ago.");
  EXPECT_EQ(p[2].text, "Forty-two crates of oranges arrived with a piano and three bicycles.");
  for (const PdfParagraph& paragraph : p) EXPECT_EQ(paragraph.page, 1);
  // Boxes: left edges at the 72 pt margin, each paragraph enclosing its baselines.
  const double baselines[3][2] = {{90, 90}, {130, 158}, {186, 200}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(p[i].box.x, 72, 1.5) << i;
    EXPECT_LT(p[i].box.y, baselines[i][0]) << i;
    EXPECT_GT(p[i].box.bottom(), baselines[i][1]) << i;
    EXPECT_LT(p[i].box.bottom(), baselines[i][1] + 8) << i;
  }
  EXPECT_EQ(p[1].lines.size(), 3u);
  ASSERT_EQ(pages[1].paragraphs.size(), 1u);
  EXPECT_EQ(pages[1].paragraphs[0].page, 2);
  EXPECT_EQ(pages[1].paragraphs[0].text, "On the second page the ledger ends.");
}

TEST(PdfPages, DoubleSpacedParagraphsStayWhole) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "typescript.pdf");
    writer.begin_page();
    double y = 100;
    for (const char* line : {"INT. HARBOUR OFFICE - NIGHT", "", "", "A lamp swings over the desk.",
                             "Rain on the window.", "", "", "MARTA enters, soaked."}) {
      if (*line) writer.text(line, 108, y, 12, PdfFont::courier);
      y += 24;  // double spacing
    }
    writer.finish();
  }
  const std::vector<PdfPageContent> pages = read_all(dir / "typescript.pdf", text_only());
  ASSERT_EQ(pages[0].paragraphs.size(), 3u);
  EXPECT_EQ(pages[0].paragraphs[0].text, "INT. HARBOUR OFFICE - NIGHT");
  EXPECT_EQ(pages[0].paragraphs[1].text, "A lamp swings over the desk.\nRain on the window.");
  EXPECT_EQ(pages[0].paragraphs[2].text, "MARTA enters, soaked.");
}

TEST(PdfPages, PagesWithoutATextLayerAreOcrCandidates) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "scans.pdf");
    writer.begin_page();
    writer.image(paper(850, 1100), 0, 0, 612, 792);  // a scanned page: pixels only
    writer.end_page();
    writer.begin_page();
    writer.image(paper(850, 1100), 0, 0, 612, 792);
    writer.text("12", 300, 770, 10);  // a stamped page number is no text layer
    writer.end_page();
    writer.begin_page();
    writer.text("A typed page with a real text layer.", 72, 90, 12);
    writer.finish();
  }
  PdfReadOptions options;
  options.rendering.dpi = 72;
  options.ocr_dpi = 144;
  const std::vector<PdfPageContent> pages = read_all(dir / "scans.pdf", options);
  ASSERT_EQ(pages.size(), 3u);
  for (int i : {0, 1}) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(pages[i].has_text_layer);
    EXPECT_EQ(pages[i].rendering.image.width, 612);
    EXPECT_EQ(pages[i].ocr_rendering.image.width, 1224);
    EXPECT_EQ(pages[i].ocr_rendering.dpi, 144);
  }
  EXPECT_EQ(pages[0].text_characters, 0);
  EXPECT_TRUE(pages[0].paragraphs.empty());
  EXPECT_EQ(pages[1].text_characters, 2);
  ASSERT_EQ(pages[1].paragraphs.size(), 1u);  // the little text there is stays available
  EXPECT_EQ(pages[1].paragraphs[0].text, "12");
  EXPECT_TRUE(pages[2].has_text_layer);
  EXPECT_TRUE(pages[2].ocr_rendering.image.empty());  // not a candidate: not rendered twice
  EXPECT_EQ(pages[2].rendering.image.height, 792);
}

TEST(PdfPages, RendersAtTheAskedResolutionInRgbOrder) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "red.pdf");
    writer.begin_page();
    writer.fill_rectangle(72, 144, 144, 72, 220, 20, 40);  // 1 inch down from 2 inches, 2x1 in
    writer.finish();
  }
  const PdfDocument document(dir / "red.pdf");
  const RenderedPage rendered = render_page(document, document.page(1), {150, 16'000'000});
  EXPECT_FALSE(rendered.capped);
  EXPECT_EQ(rendered.dpi, 150);
  ASSERT_EQ(rendered.image.width, 1275);
  ASSERT_EQ(rendered.image.height, 1650);
  const std::uint8_t* inside = rendered.image.row(300 + 75) + (150 + 150) * 3;  // its centre
  EXPECT_NEAR(inside[0], 220, 3);
  EXPECT_NEAR(inside[1], 20, 3);
  EXPECT_NEAR(inside[2], 40, 3);
  const std::uint8_t* outside = rendered.image.row(100) + 100 * 3;
  EXPECT_EQ(outside[0], 255);
  EXPECT_EQ(outside[1], 255);
  EXPECT_EQ(outside[2], 255);
}

TEST(PdfPages, RenderingIsCappedByThePixelBudget) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "poster.pdf");
    writer.begin_page(14400, 14400);  // 200 x 200 inches, PDF's largest page
    writer.text("A very large poster.", 72, 200, 144);
    writer.finish();
  }
  PdfReadOptions options;
  options.rendering = {150, 4'000'000};
  const std::vector<PdfPageContent> pages = read_all(dir / "poster.pdf", options);
  const RenderedPage& rendered = pages[0].rendering;
  EXPECT_TRUE(rendered.capped);
  EXPECT_LT(rendered.dpi, 10.1);
  EXPECT_LE(static_cast<long long>(rendered.image.width) * rendered.image.height, 4'000'000);
  EXPECT_GT(static_cast<long long>(rendered.image.width) * rendered.image.height, 3'900'000);
  ASSERT_EQ(pages[0].warnings.size(), 1u);
  EXPECT_EQ(pages[0].warnings[0], (dir / "poster.pdf").string() +
                                      ": page 1: rendered at 9 dpi instead of 150 (the page is too "
                                      "large for the pixel budget)");
  EXPECT_EQ(pages[0].paragraphs.at(0).text, "A very large poster.");
}

TEST(PdfPages, RotatedPagesKeepTextBoxesOnTheirRendering) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "turned.pdf");
    writer.begin_page(612, 792, 90);
    writer.text("Turned a quarter.", 72, 100, 24);
    writer.finish();
  }
  const PdfDocument document(dir / "turned.pdf");
  const PdfPage page = document.page(1);
  EXPECT_EQ(page.rotation(), 90);
  EXPECT_DOUBLE_EQ(page.width(), 792);
  EXPECT_DOUBLE_EQ(page.height(), 612);
  const RenderedPage rendered = render_page(document, page, {72, 16'000'000});
  ASSERT_EQ(rendered.image.width, 792);
  ASSERT_EQ(rendered.image.height, 612);
  // Dark pixels inside the words' boxes, and only there (give or take 2 pixels: poppler's boxes
  // come from the standard font's metrics, the glyphs from its substitute).
  long inked_inside = 0, inked_outside = 0;
  const std::vector<PdfWord> words = page.words();
  ASSERT_EQ(words.size(), 3u);
  for (int y = 0; y < rendered.image.height; ++y) {
    for (int x = 0; x < rendered.image.width; ++x) {
      if (rendered.image.row(y)[x * 3] > 128) continue;
      const bool inside = std::any_of(words.begin(), words.end(), [&](const PdfWord& word) {
        return x + 0.5 >= word.box.x - 2 && x + 0.5 <= word.box.right() + 2 &&
               y + 0.5 >= word.box.y - 2 && y + 0.5 <= word.box.bottom() + 2;
      });
      (inside ? inked_inside : inked_outside) += 1;
    }
  }
  EXPECT_GT(inked_inside, 500);
  EXPECT_EQ(inked_outside, 0);
}

TEST(PdfPages, ManyPagesStreamInBoundedMemoryWithProgress) {
  testing::TempDir dir;
  constexpr int kPages = 5000;
  {
    PdfWriter writer(dir / "long.pdf");
    for (int i = 1; i <= kPages; ++i) {
      writer.begin_page();
      writer.text("This is page " + std::to_string(i) + " of the long harbour ledger.", 72, 100, 12);
      writer.end_page();
    }
    writer.finish();
  }
  const PdfDocument document(dir / "long.pdf");
  PdfReadOptions options;
  options.rendering.dpi = 10;  // 85x110 pixels, 28 KB a page
  std::vector<int> progress;
  std::size_t heap_at_1000 = 0, heap_at_end = 0;
  options.progress = [&](int done, int total) {
    EXPECT_EQ(total, kPages);
    progress.push_back(done);
    if (done == 1000) heap_at_1000 = live_heap();
    if (done == kPages) heap_at_end = live_heap();
  };
  int next = 1;
  const int pages = read_pdf_pages(document, options, [&](PdfPageContent&& page) {
    ASSERT_EQ(page.number, next);
    ASSERT_EQ(page.paragraphs.size(), 1u);
    ASSERT_EQ(page.paragraphs[0].text,
              "This is page " + std::to_string(next) + " of the long harbour ledger.");
    ASSERT_EQ(page.rendering.image.width, 85);
    ++next;
  });
  EXPECT_EQ(pages, kPages);
  ASSERT_EQ(progress.size(), static_cast<std::size_t>(kPages));
  EXPECT_EQ(progress.front(), 1);
  EXPECT_EQ(progress.back(), kPages);
  // Keeping the 4000 later pages' renderings would take 110 MB; poppler's own record of each
  // page loaded (about 2 KB) is all that may grow.
  const double growth_per_page =
      (static_cast<double>(heap_at_end) - static_cast<double>(heap_at_1000)) / (kPages - 1000);
  EXPECT_LT(growth_per_page, 4096) << "bytes per page";
}

}  // namespace
}  // namespace palimpsest

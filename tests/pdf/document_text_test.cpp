#include "indexer/pdf/document_text.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "indexer/ocr/character_error_rate.h"
#include "indexer/pdf/pdf_writer.h"
#include "tests/common/test_support.h"
#include "tests/ocr/ocr_test_images.h"
#include "tests/ocr/rendered_text.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTyped = {
    "MARTA stands at the end of the pier with a lantern.",
    "The ferry's horn sounds twice across the water.",
    "She counts the crates as they come ashore: 42.",
};

// A page typed on paper and scanned: the rendered card, as pixels only, on a page of its size.
void add_scanned_page(PdfWriter& writer, const testing::TextCard& card) {
  const double width = card.image.width * 72.0 / card.dpi;
  const double height = card.image.height * 72.0 / card.dpi;
  writer.begin_page(width, height);
  writer.image(card.image, 0, 0, width, height);
  writer.end_page();
}

TEST(DocumentText, TextLayerPagesAndScannedPagesMakeOneText) {
  testing::TempDir dir;
  const testing::TextCard card = testing::render_text_card(dir.path(), kTyped, PdfFont::courier, 12, 200);
  {
    PdfWriter writer(dir / "script.pdf");
    writer.begin_page();
    writer.text("HARBOUR LIGHTS", 72, 90, 14, PdfFont::courier_bold);
    writer.text("FADE IN on the quay at dawn.", 72, 130, 12, PdfFont::courier);
    writer.end_page();
    add_scanned_page(writer, card);
    writer.finish();
  }
  int progress_calls = 0;
  DocumentTextOptions options;
  options.progress = [&](int done, int total) {
    ++progress_calls;
    EXPECT_EQ(total, 2);
    EXPECT_EQ(done, progress_calls);
  };
  const DocumentText text = document_text(dir / "script.pdf", options);
  EXPECT_EQ(text.pages, 2);
  EXPECT_EQ(text.pages_from_text_layer, 1);
  EXPECT_EQ(text.pages_from_ocr, 1);
  EXPECT_EQ(text.pages_without_text, 0);
  EXPECT_TRUE(text.warnings.empty()) << text.warnings.front();
  EXPECT_EQ(progress_calls, 2);
  const std::string head = "HARBOUR LIGHTS\n\nFADE IN on the quay at dawn.\n\n";
  ASSERT_EQ(text.text.substr(0, head.size()), head) << text.text;
  // The scanned page as OCR read it, one paragraph with its three lines.
  EXPECT_LE(character_error_rate(card.text, text.text.substr(head.size())), 0.02) << text.text;
  EXPECT_EQ(std::count(text.text.begin() + head.size(), text.text.end(), '\n'), 2);
}

TEST(DocumentText, ReadsAPhotographedOrScannedPageImage) {
  testing::TempDir dir;
  const testing::TextCard card = testing::render_text_card(dir.path(), kTyped, PdfFont::times_roman, 12, 200);
  testing::write_png(card.image, dir / "page.png");
  const DocumentText text = document_text(dir / "page.png");
  EXPECT_EQ(text.pages, 1);
  EXPECT_EQ(text.pages_from_ocr, 1);
  EXPECT_LE(character_error_rate(card.text, text.text), 0.01) << text.text;
}

TEST(DocumentText, PagesWithNothingToReadAreNamedInWarnings) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "blank.pdf");
    writer.begin_page();
    writer.fill_rectangle(100, 100, 200, 300, 200, 200, 200);  // a grey box, no writing
    writer.end_page();
    writer.begin_page();
    writer.text("Only the second page says anything at all.", 72, 90, 12);
    writer.end_page();
    writer.begin_page();
    writer.text("Fin.", 300, 400, 1.5);  // too little for a text layer, too small for OCR
    writer.finish();
  }
  const DocumentText text = document_text(dir / "blank.pdf");
  EXPECT_EQ(text.text, "Only the second page says anything at all.\n\nFin.");
  EXPECT_EQ(text.pages_without_text, 1);
  EXPECT_EQ(text.pages_from_text_layer, 2);
  ASSERT_EQ(text.warnings.size(), 1u);
  EXPECT_EQ(text.warnings[0], (dir / "blank.pdf").string() +
                                  ": page 1: no text (no text layer, and OCR read nothing: no "
                                  "text region found)");
}

TEST(DocumentText, EncryptedAndForeignFilesAreClearErrors) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "plain.pdf");
    writer.begin_page();
    writer.text("The tide tables for March.", 72, 90, 12);
    writer.finish();
  }
  const std::string command = "qpdf --encrypt pass owner 256 -- '" + (dir / "plain.pdf").string() +
                              "' '" + (dir / "locked.pdf").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  try {
    document_text(dir / "locked.pdf");
    FAIL();
  } catch (const PdfError& error) {
    EXPECT_EQ(std::string(error.what()), (dir / "locked.pdf").string() + ": encrypted PDF (password required)");
  }
  DocumentTextOptions options;
  options.password = "pass";
  EXPECT_EQ(document_text(dir / "locked.pdf", options).text, "The tide tables for March.");

  testing::write_file(dir / "script.pdf", "<html><body>Not found</body></html>\n");
  try {
    document_text(dir / "script.pdf");
    FAIL();
  } catch (const PdfError& error) {
    EXPECT_EQ(std::string(error.what()),
              (dir / "script.pdf").string() +
                  ": neither a PDF nor an image (no %PDF- signature; the content is HTML)");
  }
  EXPECT_THROW(document_text(dir / "missing.pdf"), PdfError);
}

TEST(DocumentText, AKeptEngineServesManyDocuments) {
  testing::TempDir dir;
  const testing::TextCard card = testing::render_text_card(dir.path(), kTyped, PdfFont::helvetica, 11, 200);
  testing::write_png(card.image, dir / "a.png");
  testing::write_png(card.image, dir / "b.png");
  OcrEngine engine;
  const DocumentText a = document_text(dir / "a.png", engine);
  const DocumentText b = document_text(dir / "b.png", engine);
  EXPECT_EQ(a.text, b.text);
  EXPECT_LE(character_error_rate(card.text, a.text), 0.01) << a.text;
}

}  // namespace
}  // namespace palimpsest

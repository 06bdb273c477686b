#include "indexer/pdf/pdf_document.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "indexer/pdf/pdf_pages.h"
#include "indexer/pdf/pdf_writer.h"
#include "tests/common/test_support.h"
#include "tests/ocr/stderr_capture.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

void write_letter(const fs::path& path, const std::string& line = "Secret harbour plans for the spring.") {
  PdfWriter writer(path, {"Harbour plans", "\xC3\x89lodie Marchand"});
  writer.begin_page();
  writer.text(line, 72, 100, 12);
  writer.finish();
}

// Encrypts with qpdf (Debian qpdf, scripts/setup.sh): AES-256, the given user password.
void encrypt(const fs::path& in, const fs::path& out, const std::string& user_password) {
  const std::string command = "qpdf --encrypt '" + user_password + "' owner-secret 256 -- '" +
                              in.string() + "' '" + out.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

std::string error_of(const fs::path& path, const std::string& password = {}) {
  try {
    PdfDocument document(path, password);
  } catch (const PdfError& error) {
    return error.what();
  }
  return "(opened)";
}

std::string first_paragraph(const PdfDocument& document) {
  PdfReadOptions options;
  options.render = false;
  const PdfPageContent page = read_pdf_page(document, 1, options);
  return page.paragraphs.empty() ? "" : page.paragraphs[0].text;
}

TEST(PdfDocument, OpensWithPageCountAndMetadata) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "ledger.pdf", {"Le Havre \xE2\x80\x94 the ledger", "\xC3\x89lodie Marchand"});
    for (int i = 0; i < 3; ++i) {
      writer.begin_page();
      writer.text("Page " + std::to_string(i + 1), 72, 100, 12);
      writer.end_page();
    }
    writer.finish();
  }
  const PdfDocument document(dir / "ledger.pdf");
  EXPECT_EQ(document.page_count(), 3);
  EXPECT_EQ(document.metadata().title, "Le Havre \xE2\x80\x94 the ledger");
  EXPECT_EQ(document.metadata().author, "\xC3\x89lodie Marchand");
  EXPECT_EQ(document.metadata().producer, "palimpsest");
  EXPECT_EQ(document.metadata().version_major, 1);
  EXPECT_EQ(document.metadata().version_minor, 4);
  EXPECT_FALSE(document.encrypted());
  EXPECT_TRUE(document.warnings().empty());
  EXPECT_EQ(document.page(2).number(), 2);
  EXPECT_DOUBLE_EQ(document.page(2).width(), 612);
  EXPECT_DOUBLE_EQ(document.page(2).height(), 792);
  EXPECT_THROW(document.page(4), PdfError);
  EXPECT_THROW(document.page(0), PdfError);
}

TEST(PdfDocument, EncryptedPdfNeedsItsPassword) {
  testing::TempDir dir;
  write_letter(dir / "plain.pdf");
  encrypt(dir / "plain.pdf", dir / "locked.pdf", "swordfish");
  const fs::path locked = dir / "locked.pdf";
  EXPECT_EQ(error_of(locked), locked.string() + ": encrypted PDF (password required)");
  EXPECT_EQ(error_of(locked, "tuna"), locked.string() + ": encrypted PDF (wrong password)");
  const PdfDocument document(locked, "swordfish");
  EXPECT_TRUE(document.encrypted());
  EXPECT_EQ(first_paragraph(document), "Secret harbour plans for the spring.");
  EXPECT_EQ(document.metadata().author, "\xC3\x89lodie Marchand");
}

TEST(PdfDocument, PdfEncryptedOnlyAgainstEditingOpensWithoutPassword) {
  testing::TempDir dir;
  write_letter(dir / "plain.pdf");
  encrypt(dir / "plain.pdf", dir / "restricted.pdf", "");  // an owner password only
  const PdfDocument document(dir / "restricted.pdf");
  EXPECT_TRUE(document.encrypted());
  EXPECT_EQ(first_paragraph(document), "Secret harbour plans for the spring.");
}

TEST(PdfDocument, DamagedPdfsAreOneClearError) {
  testing::TempDir dir;
  write_letter(dir / "whole.pdf");
  const std::string bytes = testing::read_file(dir / "whole.pdf");
  testing::write_file(dir / "truncated.pdf", bytes.substr(0, bytes.size() / 2));
  testing::write_file(dir / "garbage.pdf", "%PDF-1.7\nnothing here is a PDF object\n%%EOF\n");
  for (const char* name : {"truncated.pdf", "garbage.pdf"}) {
    const std::string message = error_of(dir / name);
    EXPECT_EQ(message.rfind((dir / name).string() + ": damaged PDF (", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.back(), ')') << message;
  }
  EXPECT_EQ(error_of(dir / "truncated.pdf"),
            (dir / "truncated.pdf").string() +
                ": damaged PDF (Couldn't find trailer dictionary (and 2 more))");
}

TEST(PdfDocument, RecoverableDamageBecomesWarningsAndTheRestIsRead) {
  testing::TempDir dir;
  {
    PdfWriter writer(dir / "two.pdf");
    writer.begin_page();
    writer.text("The first page holds a broken stream.", 72, 100, 12);
    writer.end_page();
    writer.begin_page();
    writer.text("The second page is whole and reads well.", 72, 100, 12);
    writer.finish();
  }
  // The first content stream claims 20 bytes (same width as the true length, so offsets hold).
  std::string bytes = testing::read_file(dir / "two.pdf");
  const std::size_t length = bytes.find("/Length ") + 8;
  ASSERT_EQ(bytes.substr(length + 2, 3), " >>");
  bytes.replace(length, 2, "20");
  testing::write_file(dir / "two.pdf", bytes);

  const PdfDocument document(dir / "two.pdf");
  PdfReadOptions options;
  options.rendering.dpi = 36;
  std::vector<PdfPageContent> pages;
  read_pdf_pages(document, options, [&](PdfPageContent&& page) { pages.push_back(std::move(page)); });
  ASSERT_EQ(pages.size(), 2u);
  ASSERT_EQ(pages[0].warnings.size(), 1u);
  EXPECT_EQ(pages[0].warnings[0].rfind((dir / "two.pdf").string() +
                                           ": page 1: poppler reported problems (Missing 'endstream' "
                                           "or incorrect stream length",
                                       0),
            0u)
      << pages[0].warnings[0];
  ASSERT_EQ(pages[0].paragraphs.size(), 1u);  // poppler reads past the wrong length
  EXPECT_EQ(pages[0].paragraphs[0].text, "The first page holds a broken stream.");
  EXPECT_TRUE(pages[1].warnings.empty());
  ASSERT_EQ(pages[1].paragraphs.size(), 1u);
  EXPECT_EQ(pages[1].paragraphs[0].text, "The second page is whole and reads well.");
}

TEST(PdfDocument, PopplersMessagesNeverReachStderr) {
  testing::TempDir dir;
  write_letter(dir / "whole.pdf");
  const std::string bytes = testing::read_file(dir / "whole.pdf");
  testing::write_file(dir / "truncated.pdf", bytes.substr(0, bytes.size() / 2));
  std::string broken = bytes;
  const std::size_t length = broken.find("/Length ") + 8;
  broken.replace(length, 2, "20");
  testing::write_file(dir / "broken.pdf", broken);
  testing::StderrCapture capture(dir / "stderr.txt");
  EXPECT_THROW(PdfDocument{dir / "truncated.pdf"}, PdfError);
  const PdfDocument document(dir / "broken.pdf");
  const PdfPageContent page = read_pdf_page(document, 1, PdfReadOptions{});
  EXPECT_EQ(page.warnings.size(), 1u);  // poppler complained, to us
  EXPECT_EQ(capture.finish(), "");
}

TEST(PdfDocument, FilesThatAreNotPdfsSayWhatTheyAre) {
  testing::TempDir dir;
  testing::write_file(dir / "page.pdf",
                      "<!DOCTYPE html>\n<html><head><title>Download</title></head><body>PDF "
                      "moved</body></html>\n");
  testing::write_file(dir / "empty.pdf", "");
  testing::write_file(dir / "photo.pdf", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));
  testing::write_file(dir / "notes.pdf", "just some notes\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"page.pdf", "not a PDF (no %PDF- signature; the content is HTML)"},
      {"empty.pdf", "not a PDF (no %PDF- signature; the file is empty)"},
      {"photo.pdf", "not a PDF (no %PDF- signature; the content is an image)"},
      {"notes.pdf", "not a PDF (no %PDF- signature; the content is text)"},
      {"missing.pdf", "no such file"},
  };
  for (const auto& [name, expected] : cases) {
    EXPECT_EQ(error_of(dir / name), (dir / name).string() + ": " + expected);
  }
  EXPECT_TRUE(has_pdf_signature(std::string(1000, ' ') + "%PDF-1.4"));
  EXPECT_FALSE(has_pdf_signature(std::string(1020, ' ') + "%PDF-1.4"));
}

TEST(PdfWriter, RefusesWhatTheStandardFontsCannotSay) {
  testing::TempDir dir;
  PdfWriter writer(dir / "x.pdf");
  writer.begin_page();
  EXPECT_THROW(writer.text("\xE2\x82\xAC 12", 72, 72, 12), PdfError);  // the euro sign
  EXPECT_NO_THROW(writer.text("caf\xC3\xA9 \xC3\xA0 10 h", 72, 72, 12));
  writer.finish();
  PdfWriter empty(dir / "empty.pdf");
  EXPECT_THROW(empty.finish(), PdfError);
}

}  // namespace
}  // namespace palimpsest

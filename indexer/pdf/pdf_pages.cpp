#include "indexer/pdf/pdf_pages.h"

#include "indexer/pdf/poppler_messages.h"

namespace palimpsest {

PdfPageContent read_pdf_page(const PdfDocument& document, int number,
                             const PdfReadOptions& options) {
  PdfPageContent content;
  content.number = number;
  content.page_count = document.page_count();
  const std::string name = document.path().string() + ": page " + std::to_string(number);
  pdf_detail::PopplerMessages messages;
  try {
    const PdfPage page = document.page(number);
    content.width = page.width();
    content.height = page.height();
    if (options.text) {
      std::vector<PdfParagraph> paragraphs = group_paragraphs(group_lines(page.words()), number);
      for (const PdfParagraph& paragraph : paragraphs) {
        content.text_characters += readable_characters(paragraph.text);
      }
      content.has_text_layer = content.text_characters >= options.min_text_layer_characters;
      content.paragraphs = std::move(paragraphs);
    }
    auto render = [&](double dpi) {
      RenderedPage rendered = render_page(document, page, {dpi, options.rendering.pixel_budget});
      if (rendered.capped) {
        content.warnings.push_back(name + ": rendered at " +
                                   std::to_string(static_cast<int>(rendered.dpi)) +
                                   " dpi instead of " + std::to_string(static_cast<int>(dpi)) +
                                   " (the page is too large for the pixel budget)");
      }
      return rendered;
    };
    if (options.render) content.rendering = render(options.rendering.dpi);
    if (options.ocr_dpi > 0 && !content.has_text_layer) content.ocr_rendering = render(options.ocr_dpi);
  } catch (const PdfError& error) {
    content.warnings.push_back(error.what());
  }
  if (messages.total() > 0) {
    content.warnings.push_back(name + ": poppler reported problems (" + messages.summary() + ")");
  }
  return content;
}

int read_pdf_pages(const PdfDocument& document, const PdfReadOptions& options,
                   const std::function<void(PdfPageContent&&)>& visit) {
  const int pages = document.page_count();
  for (int number = 1; number <= pages; ++number) {
    visit(read_pdf_page(document, number, options));
    if (options.progress) options.progress(number, pages);
  }
  return pages;
}

}  // namespace palimpsest

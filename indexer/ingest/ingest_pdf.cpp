// PDFs, streamed page by page (indexer/pdf/pdf_pages.h: one page in memory at a time): every page
// an `image` record whose thumbnail is its rendering, the paragraphs of its text layer `text`
// records, and a page without a text layer read by OCR (an `ocr` record when it holds writing).
#include <cmath>

#include "indexer/ingest/file_ingesters.h"
#include "indexer/media/image_codec.h"
#include "indexer/pdf/pdf_pages.h"

namespace palimpsest::ingest_detail {
namespace {

double tenth(double v) { return std::round(v * 10) / 10; }

nlohmann::json box_json(const PdfRect& r) { return {tenth(r.x), tenth(r.y), tenth(r.width), tenth(r.height)}; }

// "3, 7, 12 and 40 more" for a warning.
std::string page_list(const std::vector<int>& pages) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(pages.size(), 10);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + std::to_string(pages[i]);
  if (pages.size() > shown) out += " and " + std::to_string(pages.size() - shown) + " more";
  return out;
}

nlohmann::json document_json(const PdfMetadata& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"title", m.title},
                                   {"author", m.author}, {"subject", m.subject}, {"keywords", m.keywords}})
    if (!value.empty()) j[key] = value;
  return j;
}

}  // namespace

void ingest_pdf(FileContext& file) {
  FileReport& report = file.report;
  const IngestOptions& options = file.options;
  const PdfDocument pdf(file.path);
  for (const std::string& w : pdf.warnings()) report.warnings.push_back(without_path(w, file.path));
  const bool ocr = file.engines.ocr_images();
  PdfReadOptions read;
  read.rendering.dpi = options.pdf_render_dpi;
  read.rendering.pixel_budget = options.pdf_pixel_budget;
  read.ocr_dpi = ocr ? options.pdf_ocr_dpi : 0;
  if (file.observer) read.progress = [&](int done, int total) { file.observer->on_phase("pages", done, total); };
  // The page images the API serves (GET /records/{id}/media) are rendered at this resolution.
  const PageRenderOptions media{150, options.pdf_pixel_budget};

  const std::string name = file.name();
  std::int64_t paragraphs = 0;
  std::vector<int> unread, blank;
  const int pages = read_pdf_pages(pdf, read, [&](PdfPageContent&& page) {
    for (const std::string& w : page.warnings) report.warnings.push_back(without_path(w, file.path));
    ++report.pages;
    if (page.rendering.image.empty()) return;  // not loaded or rendered: its warning says so
    const double media_dpi = capped_dpi(page.width, page.height, media);
    const std::string where = name + " page " + std::to_string(page.number);
    RecordRow record;
    record.kind = RecordKind::image;
    record.width = std::max(1L, std::lround(page.width * media_dpi / 72));
    record.height = std::max(1L, std::lround(page.height * media_dpi / 72));
    record.title = where;
    record.meta = {{"page", page.number},
                   {"page_count", page.page_count},
                   {"width_pt", tenth(page.width)},
                   {"height_pt", tenth(page.height)},
                   {"has_text_layer", page.has_text_layer},
                   {"text_characters", page.text_characters},
                   {"media_dpi", tenth(media_dpi)}};
    if (page.number == 1 && !document_json(pdf.metadata()).empty()) record.meta["document"] = document_json(pdf.metadata());
    nlohmann::json meta = record.meta;
    const std::string thumbnail = encode_jpeg(fit_within(page.rendering.image, options.thumbnail_max_side));
    const std::int64_t page_id = file.writer.add_record(std::move(record), thumbnail);
    ++report.records["image"];

    if (page.has_text_layer) {
      int on_page = 0;
      meta["text_record_ids"] = nlohmann::json::array();
      for (PdfParagraph& p : page.paragraphs) {
        RecordRow text;
        text.kind = RecordKind::text;
        text.title = where + " ¶" + std::to_string(++on_page);
        text.text = std::move(p.text);
        text.meta = {{"page", page.number}, {"paragraph", paragraphs++}, {"box", box_json(p.box)},
                     {"page_record_id", page_id}};
        meta["text_record_ids"].push_back(file.writer.add_record(std::move(text)));
        ++report.records["text"];
      }
      file.writer.finish_record(page_id, std::nullopt, meta);
    } else if (!ocr) {
      unread.push_back(page.number);
    } else {
      const std::int64_t ocr_id =
          page.ocr_rendering.image.empty()
              ? 0
              : add_ocr_record(file, page.ocr_rendering.image, page_id, "page " + std::to_string(page.number),
                               where + " text", 0, static_cast<int>(std::lround(page.ocr_rendering.dpi)),
                               {{"page", page.number}});
      if (ocr_id) {
        meta["ocr_record_id"] = ocr_id;
        file.writer.finish_record(page_id, std::nullopt, meta);
      } else {
        blank.push_back(page.number);
      }
    }
  });
  if (pages == 0) report.warnings.push_back("the PDF has no pages");
  if (!unread.empty())
    report.warnings.push_back("no text layer on page(s) " + page_list(unread) + ", and OCR is off: their text is not read");
  if (!blank.empty())
    report.warnings.push_back("no text layer on page(s) " + page_list(blank) + ", and OCR read nothing there (blank, or only pictures)");
}

}  // namespace palimpsest::ingest_detail

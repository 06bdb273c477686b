#include "indexer/pdf/page_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include "indexer/pdf/poppler_messages.h"

namespace palimpsest {
namespace {

constexpr double kMaxSide = 32767;

std::string page_name(const PdfDocument& document, const PdfPage& page) {
  return document.path().string() + ": page " + std::to_string(page.number());
}

}  // namespace

double capped_dpi(double width_pt, double height_pt, const PageRenderOptions& options) {
  if (!(options.dpi > 0) || options.pixel_budget <= 0) {
    throw PdfError("page rendering needs a positive resolution and pixel budget");
  }
  if (!(width_pt > 0) || !(height_pt > 0)) return options.dpi;
  double dpi = options.dpi;
  const double inches_w = width_pt / 72.0, inches_h = height_pt / 72.0;
  // Rounded pixel sizes may exceed w*h*dpi^2 slightly: keep a pixel of margin per side.
  const double budget_dpi =
      std::sqrt(static_cast<double>(options.pixel_budget) / (inches_w * inches_h));
  dpi = std::min(dpi, budget_dpi * 0.999);
  dpi = std::min(dpi, (kMaxSide - 1) / std::max(inches_w, inches_h));
  return dpi;
}

RenderedPage render_page(const PdfDocument& document, const PdfPage& page,
                         const PageRenderOptions& options) {
  RenderedPage rendered;
  rendered.dpi = capped_dpi(page.width(), page.height(), options);
  rendered.capped = rendered.dpi < options.dpi;

  pdf_detail::PopplerMessages messages;
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_rgb24);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_paper_color(0xffffffff);
  const poppler::image image = renderer.render_page(&page.native(), rendered.dpi, rendered.dpi);
  if (!image.is_valid() || image.width() <= 0 || image.height() <= 0 ||
      image.format() != poppler::image::format_rgb24) {
    const std::string why = messages.summary();
    throw PdfError(page_name(document, page) + " cannot be rendered" +
                   (why.empty() ? "" : " (" + why + ")"));
  }
  rendered.image = RgbImage(image.width(), image.height());
  const char* data = image.const_data();
  const std::size_t row_bytes = static_cast<std::size_t>(image.width()) * 3;
  for (int y = 0; y < image.height(); ++y) {
    std::memcpy(rendered.image.row(y), data + static_cast<std::size_t>(y) * image.bytes_per_row(),
                row_bytes);
  }
  return rendered;
}

}  // namespace palimpsest

#include "indexer/demo/scanned_page.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "indexer/demo/procedural_noise.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "indexer/pdf/pdf_writer.h"

namespace palimpsest::demo {
namespace {

namespace fs = std::filesystem;

// Luminance of the typed page at (x, y) with bilinear interpolation; white paper outside.
double sample(const RgbImage& page, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const double tx = x - fx, ty = y - fy;
  auto at = [&](int px, int py) -> double {
    if (px < 0 || py < 0 || px >= page.width || py >= page.height) return 255.0;
    const std::uint8_t* p = page.row(py) + 3 * px;
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  };
  const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
  return (1 - ty) * ((1 - tx) * at(ix, iy) + tx * at(ix + 1, iy)) + ty * ((1 - tx) * at(ix, iy + 1) + tx * at(ix + 1, iy + 1));
}

std::uint8_t clamp_byte(double v) { return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

RgbImage scan_typed_page(const std::vector<std::string>& lines, const fs::path& work_dir, const ScannedPageOptions& o) {
  // The typed page: Courier, one line every 1.4 em from a 0.5 in margin.
  const fs::path typed = work_dir / ".scanned-page.typed.pdf";
  RgbImage page;
  {
    struct Remove {
      fs::path path;
      ~Remove() {
        std::error_code ignored;
        fs::remove(path, ignored);
      }
    } remove{typed};
    {
      PdfWriter writer(typed);
      writer.begin_page(o.width_in * 72, o.height_in * 72);
      double baseline = 36 + o.font_size;
      for (const std::string& line : lines) {
        writer.text(line, 36, baseline, o.font_size, PdfFont::courier);
        baseline += 1.4 * o.font_size;
      }
      writer.finish();
    }
    PdfDocument document(typed);
    page = render_page(document, document.page(1), {o.dpi, 64'000'000}).image;
  }

  // The scan: each output pixel reads the typed page rotated by the skew about the centre,
  // blurred a little (a 3x3 tent), over paper lit unevenly, with noise and dust.
  const double angle = o.skew_degrees * std::numbers::pi / 180;
  const double c = std::cos(angle), s = std::sin(angle);
  const double cx = page.width / 2.0, cy = page.height / 2.0;
  RgbImage scan(page.width, page.height);
  for (int y = 0; y < scan.height; ++y) {
    std::uint8_t* out = scan.row(y);
    for (int x = 0; x < scan.width; ++x) {
      const double dx = x - cx, dy = y - cy;
      const double sx = cx + c * dx + s * dy, sy = cy - s * dx + c * dy;
      double lum = 0;
      for (int j = -1; j <= 1; ++j)
        for (int i = -1; i <= 1; ++i) lum += (2 - std::abs(i)) * (2 - std::abs(j)) * sample(page, sx + 0.6 * i, sy + 0.6 * j);
      const double ink = 1.0 - lum / 16 / 255;  // 0 paper .. 1 ink
      // Light falls off towards one corner; the paper is warm, the ink a faded blue-black.
      const double u = static_cast<double>(x) / scan.width, v = static_cast<double>(y) / scan.height;
      const double light = 1.0 - 0.10 * ((u - 0.3) * (u - 0.3) + (v - 0.2) * (v - 0.2)) -
                           0.03 * noise::value(o.seed, u * 6, v * 6);
      const double grain = 5.0 * (noise::unit(noise::hash(o.seed, x, y)) + noise::unit(noise::hash(o.seed + 1, x, y)) - 1);
      const double paper[3] = {238 * light, 232 * light, 216 * light};
      const double dark[3] = {48, 46, 58};
      for (int k = 0; k < 3; ++k) out[3 * x + k] = clamp_byte(paper[k] * (1 - ink) + dark[k] * ink + grain);
    }
  }
  // Dust: a few dark specks of one or two pixels.
  const int specks = scan.width * scan.height / 4000;
  for (int i = 0; i < specks; ++i) {
    const int x = static_cast<int>(noise::unit(noise::hash(o.seed + 2, i, 0)) * scan.width);
    const int y = static_cast<int>(noise::unit(noise::hash(o.seed + 2, i, 1)) * scan.height);
    const int size = 1 + static_cast<int>(noise::unit(noise::hash(o.seed + 2, i, 2)) * 2);
    for (int yy = y; yy < std::min(scan.height, y + size); ++yy)
      for (int xx = x; xx < std::min(scan.width, x + size); ++xx)
        for (int k = 0; k < 3; ++k) scan.row(yy)[3 * xx + k] = static_cast<std::uint8_t>(scan.row(yy)[3 * xx + k] / 3);
  }
  return scan;
}

void write_scanned_page(const fs::path& pdf, const std::vector<std::string>& lines, const ScannedPageOptions& o) {
  const RgbImage scan = scan_typed_page(lines, pdf.parent_path(), o);
  PdfWriter writer(pdf);
  writer.begin_page(o.width_in * 72, o.height_in * 72);
  writer.image(scan, 0, 0, o.width_in * 72, o.height_in * 72);
  writer.end_page();
  writer.finish();
}

}  // namespace palimpsest::demo

#include "synth/contact_sheet.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "indexer/clip/clip_preprocess.h"
#include "synth/bitmap_font.h"

namespace palimpsest {
namespace {

constexpr int kMargin = 8;
constexpr int kGap = 4;
constexpr int kLineHeight = kGlyphHeight + 3;
constexpr std::uint8_t kBackground = 24;
constexpr std::uint8_t kText[3] = {235, 235, 235};
constexpr std::uint8_t kMissing[3] = {70, 70, 70};

void fill(RgbImage& image, int x, int y, int w, int h, const std::uint8_t rgb[3]) {
  for (int py = std::max(0, y); py < std::min(image.height, y + h); ++py)
    for (int px = std::max(0, x); px < std::min(image.width, x + w); ++px) std::memcpy(image.row(py) + 3 * px, rgb, 3);
}

void paste(RgbImage& sheet, const RgbImage& cell, int x, int y) {
  for (int row = 0; row < cell.height && y + row < sheet.height; ++row)
    std::memcpy(sheet.row(y + row) + 3 * x, cell.row(row), static_cast<std::size_t>(3 * std::min(cell.width, sheet.width - x)));
}

}  // namespace

RgbImage contact_sheet(const std::vector<std::string>& columns, const std::vector<SheetRow>& rows, int cell_width) {
  if (columns.empty()) throw std::invalid_argument("contact sheet: no columns");
  if (cell_width < 8) throw std::invalid_argument("contact sheet: cells must be at least 8 pixels wide");
  for (const SheetRow& row : rows)
    if (row.cells.size() != columns.size())
      throw std::invalid_argument("contact sheet: a row has " + std::to_string(row.cells.size()) + " cells for " +
                                  std::to_string(columns.size()) + " columns");
  for (const std::string& c : columns) cell_width = std::max(cell_width, text_width(c));
  // The cells' aspect ratio from the first real cell (a sweep's frames share one size).
  const int cell_height = [&] {
    for (const SheetRow& row : rows)
      for (const RgbImage& cell : row.cells)
        if (!cell.empty()) return std::max(1, cell_width * cell.height / cell.width);
    return cell_width * 3 / 4;
  }();
  int label_width = 0;
  for (const SheetRow& row : rows)
    for (const std::string& line : row.label) label_width = std::max(label_width, text_width(line));
  const int left = kMargin + label_width + (label_width > 0 ? kMargin : 0);
  std::vector<int> row_heights;
  for (const SheetRow& row : rows)
    row_heights.push_back(std::max(cell_height, static_cast<int>(row.label.size()) * kLineHeight));
  int height = kMargin + kLineHeight + kGap;
  for (int h : row_heights) height += h + kGap;
  height += kMargin - kGap;
  const int width = left + static_cast<int>(columns.size()) * (cell_width + kGap) - kGap + kMargin;

  RgbImage sheet(width, height);
  std::memset(sheet.pixels.data(), kBackground, sheet.pixels.size());
  for (std::size_t c = 0; c < columns.size(); ++c)
    draw_text(sheet, left + static_cast<int>(c) * (cell_width + kGap), kMargin, columns[c], kText);
  int y = kMargin + kLineHeight + kGap;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t line = 0; line < rows[r].label.size(); ++line)
      draw_text(sheet, kMargin, y + static_cast<int>(line) * kLineHeight, rows[r].label[line], kText);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const int x = left + static_cast<int>(c) * (cell_width + kGap);
      const RgbImage& cell = rows[r].cells[c];
      if (cell.empty()) {
        fill(sheet, x, y, cell_width, cell_height, kMissing);
        for (int i = 0; i < cell_height; ++i) {  // a cross: the two diagonals
          const int dx = i * (cell_width - 1) / std::max(1, cell_height - 1);
          fill(sheet, x + dx, y + i, 1, 1, kText);
          fill(sheet, x + cell_width - 1 - dx, y + i, 1, 1, kText);
        }
        continue;
      }
      paste(sheet, clip::resize_bicubic(cell, cell_width, cell_height), x, y);
    }
    y += row_heights[r] + kGap;
  }
  return sheet;
}

}  // namespace palimpsest

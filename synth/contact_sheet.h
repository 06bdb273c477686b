#pragma once
// A labelled contact sheet: one row per labelled subject (a sweep's combinations), one column
// per labelled position (frames), each cell a thumbnail. No libtorch.
//
// Layout: a header line with the column labels above the cells; at the left of every row its
// label lines; cells scaled to `cell_width` pixels wide keeping their aspect ratio; a missing
// cell (empty image) is drawn as a dark grey box with a cross.

#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

struct SheetRow {
  std::vector<std::string> label;  // lines, top to bottom
  std::vector<RgbImage> cells;     // one per column (an empty image for a missing one)
};

// Throws std::invalid_argument for no columns, a row with a different number of cells, or a
// cell_width below 8.
RgbImage contact_sheet(const std::vector<std::string>& columns, const std::vector<SheetRow>& rows, int cell_width);

}  // namespace palimpsest

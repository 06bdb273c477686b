#include "indexer/ocr/pixel_budget.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace palimpsest {

BudgetFit fit_pixel_budget(int width, int height, long long budget, int max_side) {
  if (width <= 0 || height <= 0 || budget <= 0 || max_side <= 0) {
    throw std::invalid_argument("fit_pixel_budget: sizes and budget must be positive (got " +
                                std::to_string(width) + "x" + std::to_string(height) + ", " +
                                std::to_string(budget) + ")");
  }
  BudgetFit fit{width, height, false, 1.0, 1.0};
  const double pixels = static_cast<double>(width) * height;
  double scale = 1.0;
  if (pixels > static_cast<double>(budget)) scale = std::sqrt(static_cast<double>(budget) / pixels);
  scale = std::min(scale, static_cast<double>(max_side) / std::max(width, height));
  if (scale >= 1.0) return fit;
  // Rounded down so that the result never exceeds the budget; at least one pixel per side.
  fit.width = std::clamp(static_cast<int>(std::floor(width * scale)), 1, max_side);
  fit.height = std::clamp(static_cast<int>(std::floor(height * scale)), 1, max_side);
  fit.scaled = true;
  fit.scale_x = static_cast<double>(fit.width) / width;
  fit.scale_y = static_cast<double>(fit.height) / height;
  return fit;
}

}  // namespace palimpsest

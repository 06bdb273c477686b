#pragma once
// The size a picture is recognised at: its own, or shrunk (aspect kept) so that it holds at most
// `budget` pixels and no side exceeds `max_side` (tesseract refuses sides above 32767).

namespace palimpsest {

constexpr int kTesseractMaxSide = 32767;

struct BudgetFit {
  int width = 0;
  int height = 0;
  bool scaled = false;   // width/height differ from the input's
  double scale_x = 1.0;  // width / input width
  double scale_y = 1.0;
};

// Throws std::invalid_argument for a non-positive size or budget.
BudgetFit fit_pixel_budget(int width, int height, long long budget,
                           int max_side = kTesseractMaxSide);

}  // namespace palimpsest

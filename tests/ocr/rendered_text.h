#pragma once
// Pictures with known writing, made in the test: lines typeset with a standard PDF font by
// PdfWriter and rendered by poppler (deterministic; no network, no font files of our own).
// poppler's own word boxes for the same page are the ground truth for where each word is.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "indexer/pdf/pdf_writer.h"

namespace palimpsest::testing {

struct TextCard {
  RgbImage image;
  std::string text;             // the lines joined with '\n'
  std::vector<PdfWord> words;   // poppler's words, boxes in pixels of `image`
  double dpi = 0;
};

// `lines` at `size` points in `font`, one every 1.5 em from the top left margin of a card of
// width x height inches, rendered at `dpi`.
inline TextCard render_text_card(const std::filesystem::path& folder,
                                 const std::vector<std::string>& lines, PdfFont font,
                                 double size, double dpi, double width_in = 6.5,
                                 double height_in = 3.0) {
  const std::filesystem::path pdf = folder / "card.pdf";
  {
    PdfWriter writer(pdf);
    writer.begin_page(width_in * 72, height_in * 72);
    double baseline = 18 + size;
    for (const std::string& line : lines) {
      writer.text(line, 18, baseline, size, font);
      baseline += 1.5 * size;
    }
    writer.finish();
  }
  PdfDocument document(pdf);
  const PdfPage page = document.page(1);
  TextCard card;
  RenderedPage rendered = render_page(document, page, {dpi, 100'000'000});
  card.image = std::move(rendered.image);
  card.dpi = rendered.dpi;
  for (PdfWord word : page.words()) {
    const double k = card.dpi / 72.0;
    word.box = {word.box.x * k, word.box.y * k, word.box.width * k, word.box.height * k};
    card.words.push_back(std::move(word));
  }
  for (const std::string& line : lines) card.text += (card.text.empty() ? "" : "\n") + line;
  return card;
}

// A photograph-like picture without writing: smooth colour gradients, soft blobs and sensor-like
// noise, from a fixed seed (xorshift, so it is the same everywhere).
inline RgbImage photo_like(int width, int height, std::uint32_t seed) {
  RgbImage image(width, height);
  std::uint32_t state = seed ? seed : 1;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  struct Blob { double x, y, r; int c[3]; };
  std::vector<Blob> blobs;
  for (int i = 0; i < 7; ++i) {
    blobs.push_back({static_cast<double>(next() % width), static_cast<double>(next() % height),
                     40.0 + next() % (width / 3),
                     {static_cast<int>(next() % 256), static_cast<int>(next() % 256),
                      static_cast<int>(next() % 256)}});
  }
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double c[3] = {60.0 + 120.0 * x / width, 90.0 + 100.0 * y / height,
                     200.0 - 120.0 * (x + y) / (width + height)};
      for (const Blob& b : blobs) {
        const double d2 = ((x - b.x) * (x - b.x) + (y - b.y) * (y - b.y)) / (b.r * b.r);
        const double w = d2 < 4 ? std::exp(-d2) * 0.8 : 0.0;
        for (int k = 0; k < 3; ++k) c[k] = c[k] * (1 - w) + b.c[k] * w;
      }
      const int noise = static_cast<int>(next() % 25) - 12;
      std::uint8_t* p = image.row(y) + x * 3;
      for (int k = 0; k < 3; ++k) p[k] = static_cast<std::uint8_t>(std::clamp(c[k] + noise, 0.0, 255.0));
    }
  }
  return image;
}

}  // namespace palimpsest::testing

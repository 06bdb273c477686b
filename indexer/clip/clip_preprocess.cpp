#include "indexer/clip/clip_preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace palimpsest::clip {
namespace {

// 8-bit resampling uses fixed-point weights with this many fraction bits (as PIL does).
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// For each output index: the first input index and fixed-point weights over a window.
struct Coefficients {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;  // out_size * window
  int window = 0;
};

Coefficients compute_coefficients(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale;
  Coefficients c;
  c.window = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<std::size_t>(out_size) * c.window, 0);
  std::vector<double> k(c.window);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    xmax = std::min(xmax, c.window);
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = bicubic((x + xmin - center + 0.5) / filter_scale);
      total += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = total != 0.0 ? k[x] / total : k[x];
      c.weights[static_cast<std::size_t>(xx) * c.window + x] = static_cast<std::int32_t>(
          w * (1 << kPrecisionBits) + (w < 0 ? -0.5 : 0.5));
    }
    c.first[xx] = xmin;
    c.count[xx] = std::max(xmax, 0);
  }
  return c;
}

std::uint8_t clip8(std::int64_t acc) {
  const std::int64_t v = acc >> kPrecisionBits;
  return static_cast<std::uint8_t>(std::clamp<std::int64_t>(v, 0, 255));
}

RgbImage resize_horizontal(const RgbImage& in, int width) {
  const Coefficients c = compute_coefficients(in.width, width);
  RgbImage out(width, in.height);
  for (int y = 0; y < in.height; ++y) {
    const std::uint8_t* src = in.row(y);
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < width; ++x) {
      const std::int32_t* w = &c.weights[static_cast<std::size_t>(x) * c.window];
      for (int ch = 0; ch < 3; ++ch) {
        std::int64_t acc = std::int64_t{1} << (kPrecisionBits - 1);
        for (int i = 0; i < c.count[x]; ++i) acc += std::int64_t{src[(c.first[x] + i) * 3 + ch]} * w[i];
        dst[x * 3 + ch] = clip8(acc);
      }
    }
  }
  return out;
}

RgbImage resize_vertical(const RgbImage& in, int height) {
  const Coefficients c = compute_coefficients(in.height, height);
  RgbImage out(in.width, height);
  for (int y = 0; y < height; ++y) {
    const std::int32_t* w = &c.weights[static_cast<std::size_t>(y) * c.window];
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < in.width * 3; ++x) {
      std::int64_t acc = std::int64_t{1} << (kPrecisionBits - 1);
      for (int i = 0; i < c.count[y]; ++i) acc += std::int64_t{in.row(c.first[y] + i)[x]} * w[i];
      dst[x] = clip8(acc);
    }
  }
  return out;
}

void check_image(const RgbImage& image) {
  if (image.empty()) throw std::invalid_argument("CLIP preprocessing: empty image");
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    throw std::invalid_argument("CLIP preprocessing: " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + " image has " +
                                std::to_string(image.pixels.size()) + " bytes of pixels");
  }
}

// Python's round() of an integer divided by two: halves go to the even neighbour.
int half_round_even(int twice) {
  const int floor_half = twice >= 0 ? twice / 2 : -((-twice + 1) / 2);
  if (twice % 2 == 0) return floor_half;
  return floor_half % 2 == 0 ? floor_half : floor_half + 1;
}

}  // namespace

RgbImage resize_bicubic(const RgbImage& image, int width, int height) {
  check_image(image);
  if (width <= 0 || height <= 0) {
    throw std::invalid_argument("CLIP preprocessing: invalid target size " +
                                std::to_string(width) + "x" + std::to_string(height));
  }
  RgbImage out = image;
  if (width != out.width) out = resize_horizontal(out, width);
  if (height != out.height) out = resize_vertical(out, height);
  return out;
}

RgbImage center_crop(const RgbImage& image, int width, int height) {
  check_image(image);
  if (width > image.width || height > image.height || width <= 0 || height <= 0) {
    throw std::invalid_argument("CLIP preprocessing: cannot crop " + std::to_string(width) + "x" +
                                std::to_string(height) + " from " + std::to_string(image.width) +
                                "x" + std::to_string(image.height));
  }
  const int top = half_round_even(image.height - height);
  const int left = half_round_even(image.width - width);
  RgbImage out(width, height);
  for (int y = 0; y < height; ++y) {
    std::copy_n(image.row(top + y) + left * 3, width * 3, out.row(y));
  }
  return out;
}

void preprocess_image(const RgbImage& image, const PreprocessOptions& options,
                      std::vector<float>& out) {
  check_image(image);
  const int size = options.image_size;
  if (size <= 0) throw std::invalid_argument("CLIP preprocessing: invalid image size");
  // torchvision Resize(size): the short side becomes `size`, the long side int(size*long/short).
  int new_w, new_h;
  if (image.width <= image.height) {
    new_w = size;
    new_h = static_cast<int>(static_cast<double>(size) * image.height / image.width);
  } else {
    new_h = size;
    new_w = static_cast<int>(static_cast<double>(size) * image.width / image.height);
  }
  const RgbImage resized = resize_bicubic(image, std::max(new_w, size), std::max(new_h, size));
  const RgbImage cropped = center_crop(resized, size, size);
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  const std::size_t base = out.size();
  out.resize(base + 3 * plane);
  for (int ch = 0; ch < 3; ++ch) {
    const float mean = options.mean[ch];
    const float std = options.std[ch];
    float* dst = out.data() + base + ch * plane;
    for (int y = 0; y < size; ++y) {
      const std::uint8_t* src = cropped.row(y);
      for (int x = 0; x < size; ++x) {
        dst[y * size + x] = (static_cast<float>(src[x * 3 + ch]) / 255.0f - mean) / std;
      }
    }
  }
}

}  // namespace palimpsest::clip

#include "synth/tensor_image.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "indexer/media/image_codec.h"

namespace palimpsest {

at::Tensor image_to_tensor(const RgbImage& image) {
  if (image.empty() || image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    throw std::invalid_argument("image_to_tensor: empty or inconsistent image");
  }
  // HWC bytes -> CHW float: one copy into a tensor, then a permute and a fused scale.
  at::Tensor hwc = at::empty({image.height, image.width, 3}, at::kByte);
  std::memcpy(hwc.data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
  return hwc.permute({2, 0, 1}).to(at::kFloat).div_(127.5).sub_(1.0).contiguous();
}

RgbImage tensor_to_image(const at::Tensor& chw) {
  if (chw.dim() != 3 || chw.size(0) != 3) {
    throw std::invalid_argument("tensor_to_image: expected a [3, H, W] tensor");
  }
  const int height = static_cast<int>(chw.size(1)), width = static_cast<int>(chw.size(2));
  at::Tensor bytes = chw.to(at::kFloat)
                         .clamp(-1.0, 1.0)
                         .add(1.0)
                         .mul_(127.5)
                         .round_()
                         .to(at::kByte)
                         .permute({1, 2, 0})
                         .contiguous();
  RgbImage image(width, height);
  std::memcpy(image.pixels.data(), bytes.data_ptr<std::uint8_t>(), image.pixels.size());
  return image;
}

RgbImage cover_frame(const RgbImage& image, int width, int height) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("cover_frame: bad frame size");
  if (image.empty()) throw std::invalid_argument("cover_frame: empty image");
  if (image.width == width && image.height == height) return image;
  // Crop the source to the frame's aspect ratio first, then scale (area averaging when
  // shrinking, bicubic when enlarging).
  const double target = static_cast<double>(width) / height;
  int crop_w = image.width, crop_h = image.height;
  if (static_cast<double>(image.width) / image.height > target) {
    crop_w = std::max(1, static_cast<int>(std::lround(image.height * target)));
  } else {
    crop_h = std::max(1, static_cast<int>(std::lround(image.width / target)));
  }
  RgbImage cropped(crop_w, crop_h);
  const int x0 = (image.width - crop_w) / 2, y0 = (image.height - crop_h) / 2;
  for (int y = 0; y < crop_h; ++y) {
    std::memcpy(cropped.row(y), image.row(y + y0) + static_cast<size_t>(x0) * 3,
                static_cast<size_t>(crop_w) * 3);
  }
  return resize_image(cropped, width, height);
}

}  // namespace palimpsest

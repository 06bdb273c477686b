#include "indexer/audio/waveform.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "indexer/media/image_codec.h"

namespace palimpsest {
namespace {

constexpr double kFill = 0.9;           // the loudest column spans 90% of the half-height
constexpr double kMaxAmplifyDb = 24.0;  // quieter audio is drawn smaller, not amplified further

void set_pixel(RgbImage& image, int x, int y, const std::uint8_t* colour) {
  std::uint8_t* p = image.row(y) + 3 * x;
  p[0] = colour[0];
  p[1] = colour[1];
  p[2] = colour[2];
}

}  // namespace

const WaveformPalette& waveform_palette() {
  static const WaveformPalette palette{{24, 28, 36}, {79, 152, 214}, {178, 216, 247}};
  return palette;
}

WaveformBuilder::WaveformBuilder(int channels, std::int64_t frames_per_tick)
    : channels_(channels), frames_per_tick_(frames_per_tick) {
  if (channels < 1 || frames_per_tick < 1) {
    throw std::invalid_argument("waveform needs at least one channel and one frame per tick");
  }
}

void WaveformBuilder::add_sample_frame(const float* frame) {
  for (int c = 0; c < channels_; ++c) {
    const float v = frame[c];
    if (current_frames_ == 0 && c == 0) {
      current_.min = current_.max = v;
    } else {
      current_.min = std::min(current_.min, v);
      current_.max = std::max(current_.max, v);
    }
    sum_squares_ += static_cast<double>(v) * v;
  }
  if (++current_frames_ == frames_per_tick_) {
    current_.rms = static_cast<float>(std::sqrt(sum_squares_ / (static_cast<double>(current_frames_) * channels_)));
    done_.push_back(current_);
    current_ = {};
    sum_squares_ = 0;
    current_frames_ = 0;
  }
}

void WaveformBuilder::add(const float* interleaved, std::int64_t frames) {
  for (std::int64_t f = 0; f < frames; ++f) add_sample_frame(interleaved + f * channels_);
}

void WaveformBuilder::add(const std::int16_t* interleaved, std::int64_t frames) {
  std::vector<float> frame(static_cast<std::size_t>(channels_));
  for (std::int64_t f = 0; f < frames; ++f) {
    for (int c = 0; c < channels_; ++c) frame[c] = interleaved[f * channels_ + c] / 32768.0f;
    add_sample_frame(frame.data());
  }
}

std::vector<WaveformColumn> WaveformBuilder::ticks() const {
  std::vector<WaveformColumn> result = done_;
  if (current_frames_ > 0) {
    WaveformColumn last = current_;
    last.rms = static_cast<float>(std::sqrt(sum_squares_ / (static_cast<double>(current_frames_) * channels_)));
    result.push_back(last);
  }
  return result;
}

RgbImage render_waveform(std::span<const WaveformColumn> ticks, const WaveformStyle& style) {
  if (ticks.empty()) throw std::invalid_argument("waveform: no audio to draw");
  if (style.width < 8 || style.height < 8) throw std::invalid_argument("waveform: image smaller than 8x8");
  const WaveformPalette& palette = waveform_palette();
  const int width = style.width;
  const int height = style.height;
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) set_pixel(image, x, y, palette.background);
  }

  float peak = 0;
  for (const WaveformColumn& t : ticks) peak = std::max({peak, std::abs(t.min), std::abs(t.max)});
  const double max_scale = std::pow(10.0, kMaxAmplifyDb / 20.0);
  const double scale = peak > 0 ? std::min(kFill / peak, max_scale) : 1.0;
  const double centre = (height - 1) / 2.0;
  const double half = (height - 1) / 2.0;
  auto row_of = [&](double amplitude) {
    const double y = centre - std::clamp(amplitude * scale, -1.0, 1.0) * half;
    return std::clamp(static_cast<int>(std::lround(y)), 0, height - 1);
  };

  const std::size_t count = ticks.size();
  for (int x = 0; x < width; ++x) {
    std::size_t first = count * x / width;
    std::size_t last = std::max(first + 1, count * (x + 1) / width);
    float lo = ticks[first].min, hi = ticks[first].max;
    double energy = 0;
    for (std::size_t t = first; t < last; ++t) {
      lo = std::min(lo, ticks[t].min);
      hi = std::max(hi, ticks[t].max);
      energy += static_cast<double>(ticks[t].rms) * ticks[t].rms;
    }
    const double rms = std::sqrt(energy / static_cast<double>(last - first));
    int top = row_of(hi), bottom = row_of(lo);
    if (top > bottom) std::swap(top, bottom);
    for (int y = top; y <= bottom; ++y) set_pixel(image, x, y, palette.envelope);
    const int rms_top = std::max(top, row_of(rms));
    const int rms_bottom = std::min(bottom, row_of(-rms));
    if (rms > 0 && rms_top < rms_bottom) {
      for (int y = rms_top; y <= rms_bottom; ++y) set_pixel(image, x, y, palette.rms);
    }
  }
  return image;
}

std::string waveform_png(std::span<const WaveformColumn> ticks, const WaveformStyle& style) {
  return encode_png(render_waveform(ticks, style));
}

}  // namespace palimpsest

#pragma once
// Decodes still images and videos with libavformat/libavcodec, frame by frame, into RgbImage at
// any size. One decoder serves both: a still image is a video of one frame. Pictures are decoded
// within a pixel budget (pixel_budget.h): a still image over it is decoded reduced when it can be
// (info().reduced says so) or refused, and so is a video whose frames are over it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "indexer/media/pixel_budget.h"
#include "indexer/media/rgb_image.h"
#include "schema/error.h"

namespace palimpsest {

class MediaError : public Error {
 public:
  explicit MediaError(const std::string& message) : Error(message, error_class::bad_input) {}
};

struct MediaInfo {
  bool is_still_image = false;  // image demuxers (png_pipe, jpeg_pipe, gif...): only frame 0 matters
  std::string container;        // libavformat's name for the format
  std::string codec;            // decoder name
  int width = 0;
  int height = 0;
  double fps = 0;               // average frame rate; 0 when unknown
  std::int64_t duration_ms = 0; // container's claim; 0 when unknown
  // Empty, or (a still image over the pixel budget) how much smaller than width x height its
  // frames are decoded, and why. width and height stay the image's own size.
  std::string reduced;
};

class MediaDecoder {
 public:
  // Opens the file and its best video stream. Throws MediaError with a one-line reason
  // (not a media file, no video stream, unsupported codec...), PixelBudgetError for pictures over
  // the budget that cannot be decoded reduced.
  explicit MediaDecoder(const std::filesystem::path& path, const PixelBudget& budget = {});
  ~MediaDecoder();
  MediaDecoder(const MediaDecoder&) = delete;
  MediaDecoder& operator=(const MediaDecoder&) = delete;

  const MediaInfo& info() const;

  // Decodes the next frame; false at the end of the stream. Corrupt packets are skipped and
  // counted; a stream that yields no frame at all, or breaks off before the duration its
  // container claims (a truncated file), throws MediaError.
  bool next_frame();

  // Presentation time of the current frame, from the start of the stream.
  std::int64_t frame_ts_ms() const;

  // The current frame converted to RGB at the given size (area-averaged when shrinking).
  RgbImage frame_rgb(int width, int height);
  // The current frame at its own (decoded) size.
  RgbImage frame_rgb();

  std::int64_t frames_decoded() const;
  int corrupt_packets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The first frame of an image or video file at its decoded size (reduced when over the budget:
// then `reduced`, when given, says how). Throws MediaError or PixelBudgetError.
RgbImage decode_image_file(const std::filesystem::path& path, const PixelBudget& budget = {},
                           std::string* reduced = nullptr);

}  // namespace palimpsest

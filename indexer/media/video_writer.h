#pragma once
// Writes RGB frames as an H.264 MP4 (yuv420p, faststart) that browsers and editors play.
//
// The file is written as `<path>.partial` and renamed to `<path>` only by finish(), so a video
// cut short by a crash or an exception is never mistaken for a complete one; a writer destroyed
// without finish() deletes its partial file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

struct VideoWriterOptions {
  int crf = 20;                     // libx264 constant rate factor: 0 lossless .. 51 worst
  std::string preset = "veryfast";  // libx264 speed/size preset
  // Seconds between keyframes. The viewer scrubs frame by frame and every seek decodes from the
  // previous keyframe, so this stays short rather than x264's default of 250 frames.
  double keyframe_interval_s = 2.0;
  // Encoder by libav name; empty picks libx264 and falls back to "mpeg4" when this FFmpeg build
  // lacks it (see VideoWriter::warning()). Naming one forces it (tests use "mpeg4").
  std::string encoder;
};

class VideoWriter {
 public:
  // Opens the encoder and `path`.partial. Width and height must be positive and even (4:2:0
  // chroma subsampling); fps must be positive (fractional rates such as 29.97 are kept exact
  // as 30000/1001). Throws std::invalid_argument for bad parameters and std::runtime_error when
  // libav fails.
  VideoWriter(std::filesystem::path path, int width, int height, double fps,
              VideoWriterOptions options = {});
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;
  VideoWriter(VideoWriter&&) noexcept;
  VideoWriter& operator=(VideoWriter&&) noexcept;

  // Encodes one frame; it must have the writer's size. Throws std::logic_error after finish().
  void write(const RgbImage& frame);

  // Flushes the encoder, writes the index (moved to the front for streaming), closes the file
  // and renames it to its final path. Calling it twice is an error (std::logic_error).
  void finish();

  const std::filesystem::path& path() const;   // the final path
  std::filesystem::path partial_path() const;  // where it is written until finish()
  const std::string& codec_name() const;       // "libx264" or the fallback's name
  const std::string& warning() const;          // non-empty when a fallback was taken
  std::int64_t frames_written() const;
  bool finished() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace palimpsest

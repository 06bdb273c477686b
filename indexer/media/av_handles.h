#pragma once
// Owning handles for FFmpeg objects, so that every early return and exception frees them.
// libav's free functions take a pointer-to-pointer and null it; the deleters adapt them to
// std::unique_ptr. Shared by the image codec, the video writer and the decoders.

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace palimpsest {

// Human-readable text for a negative libav return code (AVERROR(...)).
inline std::string av_error_string(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(code, buffer, sizeof(buffer)) < 0) {
    return "libav error " + std::to_string(code);
  }
  return buffer;
}

// Throws std::runtime_error("<what>: <libav message>") when `code` is negative; returns it
// otherwise.
inline int av_check(int code, const std::string& what) {
  if (code < 0) throw std::runtime_error(what + ": " + av_error_string(code));
  return code;
}

namespace av_detail {

struct CodecContextDeleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};
// A demuxing context (opened with avformat_open_input) is closed with avformat_close_input.
struct InputFormatContextDeleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
// A muxing context owns its AVIOContext only if the caller opened one; closing the IO is the
// writer's job (it must happen after av_write_trailer), so this only frees the context.
struct OutputFormatContextDeleter {
  void operator()(AVFormatContext* context) const { avformat_free_context(context); }
};

}  // namespace av_detail

using AvCodecContextPtr = std::unique_ptr<AVCodecContext, av_detail::CodecContextDeleter>;
using AvFramePtr = std::unique_ptr<AVFrame, av_detail::FrameDeleter>;
using AvPacketPtr = std::unique_ptr<AVPacket, av_detail::PacketDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, av_detail::SwsContextDeleter>;
using AvInputFormatContextPtr =
    std::unique_ptr<AVFormatContext, av_detail::InputFormatContextDeleter>;
using AvOutputFormatContextPtr =
    std::unique_ptr<AVFormatContext, av_detail::OutputFormatContextDeleter>;

// Allocation helpers that throw instead of returning null.
inline AvFramePtr make_av_frame() {
  AvFramePtr frame(av_frame_alloc());
  if (!frame) throw std::runtime_error("av_frame_alloc failed");
  return frame;
}

inline AvPacketPtr make_av_packet() {
  AvPacketPtr packet(av_packet_alloc());
  if (!packet) throw std::runtime_error("av_packet_alloc failed");
  return packet;
}

inline AvCodecContextPtr make_codec_context(const AVCodec* codec) {
  AvCodecContextPtr context(avcodec_alloc_context3(codec));
  if (!context) throw std::runtime_error("avcodec_alloc_context3 failed");
  return context;
}

// Opens `path` for demuxing and reads its stream info; throws with the path on failure.
inline AvInputFormatContextPtr open_input_file(const std::string& path) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_open_input(&raw, path.c_str(), nullptr, nullptr), "cannot open " + path);
  AvInputFormatContextPtr context(raw);
  av_check(avformat_find_stream_info(context.get(), nullptr), "cannot read streams of " + path);
  return context;
}

// Runs sws_scale into a tightly packed destination (RgbImage pixels, a gray plane). swscale's
// SIMD paths may write past the end of a row, so it scales into a padded frame first and copies
// the rows out: never hand sws_scale an unpadded buffer.
inline void sws_scale_packed(SwsContext* scaler, const std::uint8_t* const source[],
                             const int source_stride[], int source_height,
                             AVPixelFormat destination_format, int width, int height,
                             int bytes_per_pixel, std::uint8_t* destination) {
  AvFramePtr padded = make_av_frame();
  padded->format = destination_format;
  padded->width = width;
  padded->height = height;
  av_check(av_frame_get_buffer(padded.get(), 64), "av_frame_get_buffer");
  sws_scale(scaler, source, source_stride, 0, source_height, padded->data, padded->linesize);
  const std::size_t row_bytes = static_cast<std::size_t>(width) * bytes_per_pixel;
  for (int y = 0; y < height; ++y)
    std::memcpy(destination + y * row_bytes, padded->data[0] + static_cast<std::size_t>(y) * padded->linesize[0], row_bytes);
}

// An AVDictionary of options that is freed on scope exit (libav leaves unused entries in it).
class AvDictionary {
 public:
  AvDictionary() = default;
  ~AvDictionary() { av_dict_free(&dict_); }
  AvDictionary(const AvDictionary&) = delete;
  AvDictionary& operator=(const AvDictionary&) = delete;
  void set(const char* key, const std::string& value) {
    av_check(av_dict_set(&dict_, key, value.c_str(), 0), std::string("av_dict_set ") + key);
  }
  AVDictionary** address() { return &dict_; }
  AVDictionary* get() const { return dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

}  // namespace palimpsest

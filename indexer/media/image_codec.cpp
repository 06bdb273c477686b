#include "indexer/media/image_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "indexer/media/av_handles.h"
#include "indexer/media/image_header.h"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace palimpsest {
namespace {

void require_image(const RgbImage& image, const char* what) {
  if (image.empty()) throw std::runtime_error(std::string(what) + ": empty image");
  if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    throw std::runtime_error(std::string(what) + ": pixel buffer does not match the image size");
  }
}

// A frame of `format` and the image's size with its own buffer.
AvFramePtr make_image_frame(AVPixelFormat format, int width, int height) {
  AvFramePtr frame = make_av_frame();
  frame->format = format;
  frame->width = width;
  frame->height = height;
  av_check(av_frame_get_buffer(frame.get(), 0), "av_frame_get_buffer");
  return frame;
}

// Copies RGB24 pixels into an RGB24 frame (whose rows may be padded).
void copy_into_frame(const RgbImage& image, AVFrame& frame) {
  for (int y = 0; y < image.height; ++y) {
    std::memcpy(frame.data[0] + static_cast<size_t>(y) * frame.linesize[0], image.row(y),
                static_cast<size_t>(image.width) * 3);
  }
}

// Encodes one frame with an intra-only image codec and returns the single packet it produces.
// `configure` sets codec-specific fields before the encoder is opened.
std::string encode_single_frame(AVCodecID codec_id, AVPixelFormat format, AVFrame& frame,
                                const std::function<void(AVCodecContext&)>& configure) {
  const AVCodec* codec = avcodec_find_encoder(codec_id);
  if (!codec) {
    throw std::runtime_error(std::string("no encoder for ") + avcodec_get_name(codec_id));
  }
  AvCodecContextPtr context = make_codec_context(codec);
  context->width = frame.width;
  context->height = frame.height;
  context->pix_fmt = format;
  context->time_base = AVRational{1, 25};  // required by the API, meaningless for one image
  if (configure) configure(*context);
  av_check(avcodec_open2(context.get(), codec, nullptr),
           std::string("cannot open encoder ") + codec->name);

  std::string bytes;
  AvPacketPtr packet = make_av_packet();
  auto drain = [&] {
    while (true) {
      const int status = avcodec_receive_packet(context.get(), packet.get());
      if (status == AVERROR(EAGAIN) || status == AVERROR_EOF) return;
      av_check(status, std::string("encoding with ") + codec->name);
      bytes.append(reinterpret_cast<const char*>(packet->data), packet->size);
      av_packet_unref(packet.get());
    }
  };
  av_check(avcodec_send_frame(context.get(), &frame), std::string("encoding with ") + codec->name);
  drain();
  av_check(avcodec_send_frame(context.get(), nullptr), "flushing encoder");
  drain();
  if (bytes.empty()) throw std::runtime_error(std::string(codec->name) + " produced no data");
  return bytes;
}

// mjpeg's quantiser scale runs from 1 (best) to 31 (worst); quality 100 -> 1, quality 1 -> 31.
int jpeg_qscale_for_quality(int quality) {
  const int clamped = std::clamp(quality, 1, 100);
  return static_cast<int>(std::lround(1.0 + (100 - clamped) * 30.0 / 99.0));
}

}  // namespace

std::string encode_jpeg(const RgbImage& image, int quality) {
  require_image(image, "encode_jpeg");
  AvFramePtr rgb = make_image_frame(AV_PIX_FMT_RGB24, image.width, image.height);
  copy_into_frame(image, *rgb);

  // The encoder is told yuvj420p (full-range 4:2:0); swscale converts into plain yuv420p with a
  // full-range destination instead, which is the same memory layout but avoids swscale's warning
  // about the deprecated "j" formats.
  AvFramePtr yuv = make_image_frame(AV_PIX_FMT_YUV420P, image.width, image.height);
  SwsContextPtr sws(sws_getContext(
      image.width, image.height, AV_PIX_FMT_RGB24, image.width, image.height, AV_PIX_FMT_YUV420P,
      SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
  if (!sws) throw std::runtime_error("encode_jpeg: cannot create colour converter");
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);  // JFIF uses BT.601 coefficients
  sws_setColorspaceDetails(sws.get(), bt601, /*srcRange=*/1, bt601, /*dstRange=*/1, 0, 1 << 16,
                           1 << 16);
  sws_scale(sws.get(), rgb->data, rgb->linesize, 0, image.height, yuv->data, yuv->linesize);

  const int qscale = jpeg_qscale_for_quality(quality);
  yuv->format = AV_PIX_FMT_YUVJ420P;
  yuv->color_range = AVCOL_RANGE_JPEG;
  yuv->quality = FF_QP2LAMBDA * qscale;
  yuv->pict_type = AV_PICTURE_TYPE_I;
  return encode_single_frame(AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, *yuv,
                             [qscale](AVCodecContext& context) {
                               context.flags |= AV_CODEC_FLAG_QSCALE;
                               context.global_quality = FF_QP2LAMBDA * qscale;
                               context.qmin = qscale;
                               context.qmax = qscale;
                               context.color_range = AVCOL_RANGE_JPEG;
                             });
}

std::string encode_png(const RgbImage& image) {
  require_image(image, "encode_png");
  AvFramePtr rgb = make_image_frame(AV_PIX_FMT_RGB24, image.width, image.height);
  copy_into_frame(image, *rgb);
  return encode_single_frame(AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24, *rgb, nullptr);
}

RgbImage decode_image_bytes(std::string_view bytes, const PixelBudget& budget, std::string* note) {
  AVCodecID codec_id;
  if (bytes.size() > 3 && bytes.substr(0, 3) == "\xFF\xD8\xFF") {
    codec_id = AV_CODEC_ID_MJPEG;
  } else if (bytes.size() > 8 && bytes.substr(0, 8) == "\x89PNG\r\n\x1A\n") {
    codec_id = AV_CODEC_ID_PNG;
  } else {
    throw std::runtime_error("decode_image_bytes: neither JPEG nor PNG data");
  }
  const AVCodec* codec = avcodec_find_decoder(codec_id);
  if (!codec) throw std::runtime_error(std::string("no decoder for ") + avcodec_get_name(codec_id));
  AvCodecContextPtr context = make_codec_context(codec);
  // The header says how large the picture will be; a decoder is never asked for more than the
  // budget (libav checks max_pixels against the full size, and allocates the reduced one).
  const std::optional<DeclaredImage> declared = read_declared_image(bytes);
  if (!declared) throw std::runtime_error(std::string("decode_image_bytes: the ") + codec->name + " header is damaged");
  const ReducedDecode plan = plan_reduced_decode(*declared, budget);
  context->lowres = plan.lowres;
  context->max_pixels = libav_max_pixels(*declared);
  av_check(avcodec_open2(context.get(), codec, nullptr), std::string("cannot open decoder ") + codec->name);
  if (note) *note = plan.note;
  // Decoders may read past the end of their input: give them padded, owned bytes.
  AvPacketPtr packet = make_av_packet();
  av_check(av_new_packet(packet.get(), static_cast<int>(bytes.size())), "av_new_packet");
  std::memcpy(packet->data, bytes.data(), bytes.size());
  av_check(avcodec_send_packet(context.get(), packet.get()), std::string("decoding ") + codec->name);
  av_check(avcodec_send_packet(context.get(), nullptr), "flushing decoder");
  AvFramePtr frame = make_av_frame();
  av_check(avcodec_receive_frame(context.get(), frame.get()), std::string("decoding ") + codec->name);
  SwsContextPtr scaler(sws_getContext(frame->width, frame->height,
                                      static_cast<AVPixelFormat>(frame->format), frame->width,
                                      frame->height, AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr,
                                      nullptr, nullptr));
  if (!scaler) throw std::runtime_error("decode_image_bytes: unsupported pixel format");
  RgbImage out(frame->width, frame->height);
  sws_scale_packed(scaler.get(), frame->data, frame->linesize, frame->height, AV_PIX_FMT_RGB24,
                   out.width, out.height, 3, out.pixels.data());
  return out;
}

RgbImage resize_image(const RgbImage& image, int width, int height) {
  require_image(image, "resize_image");
  if (width <= 0 || height <= 0) {
    throw std::runtime_error("resize_image: target size must be positive, got " +
                             std::to_string(width) + "x" + std::to_string(height));
  }
  if (width == image.width && height == image.height) return image;

  const bool shrinking = width <= image.width && height <= image.height;
  const int flags = (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND;
  SwsContextPtr sws(sws_getContext(image.width, image.height, AV_PIX_FMT_GRAY8, width, height,
                                   AV_PIX_FMT_GRAY8, flags, nullptr, nullptr, nullptr));
  if (!sws) throw std::runtime_error("resize_image: cannot create scaler");

  // One 8-bit plane per channel: scaling gray planes keeps every channel exact instead of
  // passing through swscale's internal YCbCr representation of packed RGB.
  const size_t source_pixels = static_cast<size_t>(image.width) * image.height;
  const size_t target_pixels = static_cast<size_t>(width) * height;
  std::vector<std::uint8_t> source_plane(source_pixels);
  std::vector<std::uint8_t> target_plane(target_pixels);
  RgbImage result(width, height);
  for (int channel = 0; channel < 3; ++channel) {
    for (size_t i = 0; i < source_pixels; ++i) source_plane[i] = image.pixels[i * 3 + channel];
    const std::uint8_t* source_data[4] = {source_plane.data(), nullptr, nullptr, nullptr};
    const int source_stride[4] = {image.width, 0, 0, 0};
    sws_scale_packed(sws.get(), source_data, source_stride, image.height, AV_PIX_FMT_GRAY8, width,
                     height, 1, target_plane.data());
    for (size_t i = 0; i < target_pixels; ++i) result.pixels[i * 3 + channel] = target_plane[i];
  }
  return result;
}

RgbImage fit_within(const RgbImage& image, int max_side) {
  if (max_side <= 0) throw std::runtime_error("fit_within: max_side must be positive");
  const int longer = std::max(image.width, image.height);
  if (longer <= max_side) return image;
  const double scale = static_cast<double>(max_side) / longer;
  const int width = std::clamp(static_cast<int>(std::lround(image.width * scale)), 1, max_side);
  const int height = std::clamp(static_cast<int>(std::lround(image.height * scale)), 1, max_side);
  return resize_image(image, width, height);
}

}  // namespace palimpsest

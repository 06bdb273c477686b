#include "indexer/media/image_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "indexer/media/av_handles.h"

namespace palimpsest {
namespace {

// A smooth gradient with a sharp-edged block: natural enough for JPEG, detailed enough to show
// channel mix-ups.
RgbImage test_pattern(int width, int height) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.row(y) + x * 3;
      p[0] = static_cast<std::uint8_t>(255 * x / std::max(1, width - 1));
      p[1] = static_cast<std::uint8_t>(255 * y / std::max(1, height - 1));
      p[2] = 90;
      if (x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2) {
        p[0] = 20;
        p[1] = 200;
        p[2] = 240;
      }
    }
  }
  return image;
}

// Decodes one encoded image with libavcodec, the same library a reader of our files would use,
// and converts it to RGB24.
RgbImage decode_image(const std::string& bytes, AVCodecID codec_id) {
  const AVCodec* codec = avcodec_find_decoder(codec_id);
  if (!codec) throw std::runtime_error("no decoder");
  AvCodecContextPtr context = make_codec_context(codec);
  av_check(avcodec_open2(context.get(), codec, nullptr), "open decoder");
  AvPacketPtr packet = make_av_packet();
  av_check(av_new_packet(packet.get(), static_cast<int>(bytes.size())), "av_new_packet");
  std::memcpy(packet->data, bytes.data(), bytes.size());
  av_check(avcodec_send_packet(context.get(), packet.get()), "send packet");
  av_check(avcodec_send_packet(context.get(), nullptr), "flush decoder");
  AvFramePtr frame = make_av_frame();
  av_check(avcodec_receive_frame(context.get(), frame.get()), "receive frame");

  RgbImage image(frame->width, frame->height);
  // JPEG decodes to the deprecated full-range "j" format: hand swscale the plain format and say
  // the range explicitly instead (it warns about the "j" formats).
  AVPixelFormat format = static_cast<AVPixelFormat>(frame->format);
  const bool full_range = format == AV_PIX_FMT_YUVJ420P || frame->color_range == AVCOL_RANGE_JPEG;
  if (format == AV_PIX_FMT_YUVJ420P) format = AV_PIX_FMT_YUV420P;
  SwsContextPtr sws(sws_getContext(
      frame->width, frame->height, format, frame->width, frame->height, AV_PIX_FMT_RGB24,
      SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(sws.get(), bt601, full_range ? 1 : 0, bt601, 1, 0, 1 << 16, 1 << 16);
  std::uint8_t* out[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
  const int out_stride[4] = {image.width * 3, 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, out, out_stride);
  return image;
}

double mean_abs_error(const RgbImage& a, const RgbImage& b) {
  double total = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) total += std::abs(a.pixels[i] - b.pixels[i]);
  return total / static_cast<double>(a.pixels.size());
}

TEST(ImageCodec, JpegHasMagicBytesAndDecodesBack) {
  const RgbImage image = test_pattern(160, 90);
  const std::string jpeg = encode_jpeg(image);
  ASSERT_GE(jpeg.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[1]), 0xD8);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[2]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[jpeg.size() - 2]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[jpeg.size() - 1]), 0xD9);

  const RgbImage decoded = decode_image(jpeg, AV_CODEC_ID_MJPEG);
  ASSERT_EQ(decoded.width, 160);
  ASSERT_EQ(decoded.height, 90);
  EXPECT_LT(mean_abs_error(image, decoded), 4.0);
}

TEST(ImageCodec, JpegQualityTradesSizeForError) {
  const RgbImage image = test_pattern(128, 128);
  const std::string low = encode_jpeg(image, 10);
  const std::string high = encode_jpeg(image, 95);
  EXPECT_LT(low.size(), high.size());
  EXPECT_LT(mean_abs_error(image, decode_image(high, AV_CODEC_ID_MJPEG)),
            mean_abs_error(image, decode_image(low, AV_CODEC_ID_MJPEG)));
  // Out-of-range qualities are clamped rather than rejected: the encoder is deterministic, so a
  // clamped quality gives exactly the bytes of the bound it was clamped to.
  EXPECT_EQ(encode_jpeg(image, 0), encode_jpeg(image, 1));
  EXPECT_EQ(encode_jpeg(image, -5), encode_jpeg(image, 1));
  EXPECT_EQ(encode_jpeg(image, 1000), encode_jpeg(image, 100));
  EXPECT_NE(encode_jpeg(image, 1), encode_jpeg(image, 100));
}

TEST(ImageCodec, JpegHandlesOddSizes) {
  const RgbImage image = test_pattern(33, 17);
  const RgbImage decoded = decode_image(encode_jpeg(image), AV_CODEC_ID_MJPEG);
  EXPECT_EQ(decoded.width, 33);
  EXPECT_EQ(decoded.height, 17);
}

TEST(ImageCodec, PngRoundTripsExactly) {
  const RgbImage image = test_pattern(37, 21);
  const std::string png = encode_png(image);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const RgbImage decoded = decode_image(png, AV_CODEC_ID_PNG);
  ASSERT_EQ(decoded.width, image.width);
  ASSERT_EQ(decoded.height, image.height);
  EXPECT_EQ(decoded.pixels, image.pixels);
}

TEST(ImageCodec, ResizeProducesRequestedSize) {
  const RgbImage image = test_pattern(200, 100);
  const RgbImage smaller = resize_image(image, 50, 25);
  EXPECT_EQ(smaller.width, 50);
  EXPECT_EQ(smaller.height, 25);
  EXPECT_EQ(smaller.pixels.size(), 50u * 25u * 3u);
  const RgbImage larger = resize_image(image, 403, 211);
  EXPECT_EQ(larger.width, 403);
  EXPECT_EQ(larger.height, 211);
  const RgbImage tiny = resize_image(image, 1, 1);
  EXPECT_EQ(tiny.pixels.size(), 3u);
}

TEST(ImageCodec, ResizeKeepsFlatColoursExact) {
  RgbImage image(64, 48);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = 255;
    image.pixels[i + 1] = 0;
    image.pixels[i + 2] = 128;
  }
  for (const RgbImage& scaled : {resize_image(image, 16, 12), resize_image(image, 100, 70)}) {
    for (size_t i = 0; i < scaled.pixels.size(); i += 3) {
      ASSERT_EQ(scaled.pixels[i], 255);
      ASSERT_EQ(scaled.pixels[i + 1], 0);
      ASSERT_EQ(scaled.pixels[i + 2], 128);
    }
  }
}

TEST(ImageCodec, ResizeAveragesWhenShrinking) {
  // A one-pixel checkerboard shrunk by two must become mid grey, not alias to black or white.
  RgbImage image(64, 64);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      const std::uint8_t v = ((x + y) % 2) ? 255 : 0;
      std::fill_n(image.row(y) + x * 3, 3, v);
    }
  }
  const RgbImage half = resize_image(image, 32, 32);
  for (const std::uint8_t v : half.pixels) ASSERT_NEAR(v, 128, 3);
}

TEST(ImageCodec, FitWithinKeepsAspectRatio) {
  const RgbImage image = test_pattern(400, 200);
  const RgbImage fitted = fit_within(image, 100);
  EXPECT_EQ(fitted.width, 100);
  EXPECT_EQ(fitted.height, 50);
  const RgbImage portrait = fit_within(test_pattern(90, 300), 120);
  EXPECT_EQ(portrait.width, 36);
  EXPECT_EQ(portrait.height, 120);
  const RgbImage unchanged = fit_within(image, 400);
  EXPECT_EQ(unchanged.width, 400);
  EXPECT_EQ(unchanged.pixels, image.pixels);
  const RgbImage sliver = fit_within(test_pattern(1000, 2), 100);
  EXPECT_EQ(sliver.width, 100);
  EXPECT_EQ(sliver.height, 1);
}

TEST(ImageCodec, EmptyImageIsAnError) {
  const RgbImage empty;
  EXPECT_THROW(encode_jpeg(empty), std::runtime_error);
  EXPECT_THROW(encode_png(empty), std::runtime_error);
  EXPECT_THROW(resize_image(empty, 10, 10), std::runtime_error);
  EXPECT_THROW(resize_image(test_pattern(8, 8), 0, 10), std::runtime_error);
  EXPECT_THROW(fit_within(test_pattern(8, 8), 0), std::runtime_error);
  RgbImage inconsistent(4, 4);
  inconsistent.pixels.resize(5);
  EXPECT_THROW(encode_png(inconsistent), std::runtime_error);
}

}  // namespace

namespace {

TEST(ImageCodec, DecodesItsOwnJpegAndPngFromMemory) {
  RgbImage img(40, 30);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 7 % 251);
  RgbImage png = decode_image_bytes(encode_png(img));
  EXPECT_EQ(png.width, 40);
  EXPECT_EQ(png.height, 30);
  EXPECT_EQ(png.pixels, img.pixels);
  RgbImage jpeg = decode_image_bytes(encode_jpeg(img, 95));
  EXPECT_EQ(jpeg.width, 40);
  EXPECT_EQ(jpeg.height, 30);
  EXPECT_THROW(decode_image_bytes("not an image"), std::runtime_error);
  EXPECT_THROW(decode_image_bytes(encode_jpeg(img).substr(0, 20)), std::runtime_error);
}

}  // namespace
}  // namespace palimpsest

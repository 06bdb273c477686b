#pragma once
// Test helper: opens a video with libavformat/libavcodec, as any reader would, and reports its
// stream parameters and decoded frames. Independent of the code under test's own decoding.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/media/av_handles.h"

namespace palimpsest::testing {

struct ProbedVideo {
  std::string codec;
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  int width = 0;
  int height = 0;
  AVRational r_frame_rate{0, 1};
  AVRational avg_frame_rate{0, 1};
  double duration_s = 0;
  int decoded_frames = 0;
  // Luma plane of every decoded frame (width * height bytes each), when asked for.
  std::vector<std::vector<std::uint8_t>> luma;
};

inline ProbedVideo probe_video(const std::filesystem::path& path, bool keep_luma = false) {
  AvInputFormatContextPtr format = open_input_file(path.string());
  const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  av_check(index, "no video stream in " + path.string());
  const AVStream* stream = format->streams[index];
  ProbedVideo result;
  result.codec = avcodec_get_name(stream->codecpar->codec_id);
  result.pix_fmt = static_cast<AVPixelFormat>(stream->codecpar->format);
  result.width = stream->codecpar->width;
  result.height = stream->codecpar->height;
  result.r_frame_rate = stream->r_frame_rate;
  result.avg_frame_rate = stream->avg_frame_rate;
  result.duration_s = stream->duration * av_q2d(stream->time_base);

  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  AvCodecContextPtr decoder = make_codec_context(codec);
  av_check(avcodec_parameters_to_context(decoder.get(), stream->codecpar), "parameters");
  av_check(avcodec_open2(decoder.get(), codec, nullptr), "open decoder");
  AvPacketPtr packet = make_av_packet();
  AvFramePtr frame = make_av_frame();
  auto receive_all = [&] {
    while (avcodec_receive_frame(decoder.get(), frame.get()) >= 0) {
      ++result.decoded_frames;
      if (keep_luma) {
        std::vector<std::uint8_t> plane(static_cast<size_t>(frame->width) * frame->height);
        for (int y = 0; y < frame->height; ++y) {
          const std::uint8_t* row = frame->data[0] + static_cast<size_t>(y) * frame->linesize[0];
          std::copy(row, row + frame->width, plane.begin() + static_cast<size_t>(y) * frame->width);
        }
        result.luma.push_back(std::move(plane));
      }
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == index) {
      av_check(avcodec_send_packet(decoder.get(), packet.get()), "decode");
      receive_all();
    }
    av_packet_unref(packet.get());
  }
  avcodec_send_packet(decoder.get(), nullptr);
  receive_all();
  return result;
}

}  // namespace palimpsest::testing

#include "indexer/media/video_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "indexer/media/av_handles.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/rational.h>
}

namespace palimpsest {
namespace {

constexpr const char* kPreferredEncoder = "libx264";
constexpr const char* kFallbackEncoder = "mpeg4";

// Flushes a closed file's data to disk before it is renamed into place, so that after a power
// loss the final name never points at a file whose contents did not make it.
void fsync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename below still reports real failures
  ::fsync(fd);
  ::close(fd);
}

const AVCodec* choose_encoder(const std::string& requested, std::string& warning) {
  if (!requested.empty()) {
    const AVCodec* codec = avcodec_find_encoder_by_name(requested.c_str());
    if (!codec) throw std::invalid_argument("video encoder not available: " + requested);
    return codec;
  }
  if (const AVCodec* codec = avcodec_find_encoder_by_name(kPreferredEncoder)) return codec;
  const AVCodec* fallback = avcodec_find_encoder_by_name(kFallbackEncoder);
  if (!fallback) {
    throw std::runtime_error("neither libx264 nor the mpeg4 encoder is available in this FFmpeg");
  }
  warning =
      "libx264 is not available in this FFmpeg build; wrote MPEG-4 Part 2 video instead "
      "(larger files, and browsers may not play it)";
  return fallback;
}

// mpeg4 has no CRF; map the x264-style value onto its quantiser scale (crf 20 -> q 3).
int mpeg4_qscale_for_crf(int crf) {
  return std::clamp(static_cast<int>(std::lround(crf / 6.0)), 2, 31);
}

}  // namespace

struct VideoWriter::State {
  std::filesystem::path path;
  std::filesystem::path partial;
  int width = 0;
  int height = 0;
  AVRational frame_rate{0, 1};
  std::string codec_name;
  std::string warning;
  std::int64_t frames = 0;
  bool finished = false;

  AvOutputFormatContextPtr format;
  AVStream* stream = nullptr;  // owned by `format`
  AvCodecContextPtr encoder;
  SwsContextPtr converter;
  AvFramePtr frame;  // yuv420p, reused for every input frame
  AvPacketPtr packet;

  ~State() { abandon(); }

  // Closes the output without a trailer and deletes the partial file.
  void abandon() noexcept {
    if (finished) return;
    if (format && format->pb) avio_closep(&format->pb);
    if (!partial.empty()) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
    }
  }

  void send(const AVFrame* input) {
    av_check(avcodec_send_frame(encoder.get(), input), "sending a frame to " + codec_name);
    while (true) {
      const int status = avcodec_receive_packet(encoder.get(), packet.get());
      if (status == AVERROR(EAGAIN) || status == AVERROR_EOF) return;
      av_check(status, "encoding with " + codec_name);
      // Every packet is one frame long. Setting it explicitly gives the last frame its full
      // duration in the MP4, so the stream lasts exactly frames / fps.
      if (packet->duration == 0) packet->duration = 1;
      av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      av_check(av_interleaved_write_frame(format.get(), packet.get()),
               "writing video packet to " + partial.string());
    }
  }
};

VideoWriter::VideoWriter(std::filesystem::path path, int width, int height, double fps,
                         VideoWriterOptions options)
    : state_(std::make_unique<State>()) {
  if (width <= 0 || height <= 0) {
    throw std::invalid_argument("video size must be positive, got " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
  if (width % 2 != 0 || height % 2 != 0) {
    throw std::invalid_argument("video width and height must be even for yuv420p, got " +
                                std::to_string(width) + "x" + std::to_string(height));
  }
  if (!(fps > 0) || !std::isfinite(fps) || fps > 1000) {
    throw std::invalid_argument("video fps must be in (0, 1000], got " + std::to_string(fps));
  }
  State& s = *state_;
  s.path = std::move(path);
  s.partial = s.path;
  s.partial += ".partial";
  s.width = width;
  s.height = height;
  s.frame_rate = av_d2q(fps, 1001000);  // 29.97 -> 30000/1001, 24 -> 24/1

  const AVCodec* codec = choose_encoder(options.encoder, s.warning);
  s.codec_name = codec->name;

  // The container is named explicitly: the ".partial" suffix would defeat guessing by extension.
  AVFormatContext* raw_format = nullptr;
  av_check(avformat_alloc_output_context2(&raw_format, nullptr, "mp4", s.partial.c_str()),
           "cannot create MP4 muxer");
  s.format.reset(raw_format);

  s.stream = avformat_new_stream(s.format.get(), nullptr);
  if (!s.stream) throw std::runtime_error("avformat_new_stream failed");

  s.encoder = make_codec_context(codec);
  AVCodecContext& c = *s.encoder;
  c.width = width;
  c.height = height;
  c.pix_fmt = AV_PIX_FMT_YUV420P;
  c.time_base = av_inv_q(s.frame_rate);
  c.framerate = s.frame_rate;
  c.gop_size = std::max(1, static_cast<int>(std::lround(fps * options.keyframe_interval_s)));
  // Tag the colours we convert with (BT.709, limited range) so players do not guess BT.601.
  c.color_range = AVCOL_RANGE_MPEG;
  c.colorspace = AVCOL_SPC_BT709;
  c.color_primaries = AVCOL_PRI_BT709;
  c.color_trc = AVCOL_TRC_BT709;
  if (s.format->oformat->flags & AVFMT_GLOBALHEADER) c.flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  AvDictionary codec_options;
  if (s.codec_name == kPreferredEncoder) {
    codec_options.set("preset", options.preset);
    codec_options.set("crf", std::to_string(std::clamp(options.crf, 0, 51)));
  } else {
    const int qscale = mpeg4_qscale_for_crf(options.crf);
    c.flags |= AV_CODEC_FLAG_QSCALE;
    c.global_quality = FF_QP2LAMBDA * qscale;
  }
  av_check(avcodec_open2(s.encoder.get(), codec, codec_options.address()),
           "cannot open video encoder " + s.codec_name);
  av_check(avcodec_parameters_from_context(s.stream->codecpar, s.encoder.get()),
           "avcodec_parameters_from_context");
  s.stream->time_base = c.time_base;  // a hint; the muxer picks its own in write_header
  s.stream->avg_frame_rate = s.frame_rate;

  av_check(avio_open(&s.format->pb, s.partial.c_str(), AVIO_FLAG_WRITE),
           "cannot open " + s.partial.string() + " for writing");
  AvDictionary muxer_options;
  muxer_options.set("movflags", "+faststart");
  av_check(avformat_write_header(s.format.get(), muxer_options.address()),
           "cannot write MP4 header to " + s.partial.string());

  s.converter.reset(sws_getContext(
      width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
      SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
  if (!s.converter) throw std::runtime_error("cannot create RGB to YUV converter");
  const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
  sws_setColorspaceDetails(s.converter.get(), bt709, /*srcRange=*/1, bt709, /*dstRange=*/0, 0,
                           1 << 16, 1 << 16);

  s.frame = make_av_frame();
  s.frame->format = AV_PIX_FMT_YUV420P;
  s.frame->width = width;
  s.frame->height = height;
  s.frame->color_range = AVCOL_RANGE_MPEG;
  s.frame->colorspace = AVCOL_SPC_BT709;
  av_check(av_frame_get_buffer(s.frame.get(), 0), "av_frame_get_buffer");
  s.packet = make_av_packet();
}

VideoWriter::~VideoWriter() = default;
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;

void VideoWriter::write(const RgbImage& image) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("VideoWriter::write after finish()");
  if (image.width != s.width || image.height != s.height ||
      image.pixels.size() != static_cast<size_t>(s.width) * s.height * 3) {
    throw std::invalid_argument("frame is " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + ", the video is " +
                                std::to_string(s.width) + "x" + std::to_string(s.height));
  }
  // The encoder may still hold a reference to the previous frame's buffer.
  av_check(av_frame_make_writable(s.frame.get()), "av_frame_make_writable");
  const std::uint8_t* source[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
  const int source_stride[4] = {s.width * 3, 0, 0, 0};
  sws_scale(s.converter.get(), source, source_stride, 0, s.height, s.frame->data,
            s.frame->linesize);
  s.frame->pts = s.frames;
  s.send(s.frame.get());
  ++s.frames;
}

void VideoWriter::finish() {
  State& s = *state_;
  if (s.finished) throw std::logic_error("VideoWriter::finish called twice");
  s.send(nullptr);  // drain frames the encoder still holds (x264 looks ahead)
  av_check(av_write_trailer(s.format.get()), "cannot finish " + s.partial.string());
  av_check(avio_closep(&s.format->pb), "cannot close " + s.partial.string());
  fsync_file(s.partial);
  std::error_code error;
  std::filesystem::rename(s.partial, s.path, error);
  if (error) {
    throw std::runtime_error("cannot rename " + s.partial.string() + " to " + s.path.string() +
                             ": " + error.message());
  }
  s.finished = true;
}

const std::filesystem::path& VideoWriter::path() const { return state_->path; }
std::filesystem::path VideoWriter::partial_path() const { return state_->partial; }
const std::string& VideoWriter::codec_name() const { return state_->codec_name; }
const std::string& VideoWriter::warning() const { return state_->warning; }
std::int64_t VideoWriter::frames_written() const { return state_->frames; }
bool VideoWriter::finished() const { return state_->finished; }

}  // namespace palimpsest

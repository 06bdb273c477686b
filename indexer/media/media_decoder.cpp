#include "indexer/media/media_decoder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "indexer/media/av_handles.h"
#include "indexer/media/image_header.h"


namespace palimpsest {
namespace {

bool is_image_container(const std::string& name) {
  return name.find("_pipe") != std::string::npos || name == "image2" || name == "gif" ||
         name == "webp" || name == "apng";
}

// Files a decoder may break off early (a truncated download) are accepted when they end within
// this margin of the container's claimed duration.
constexpr double kTruncationTolerance = 0.9;
constexpr std::int64_t kTruncationSlackMs = 1500;

}  // namespace

struct MediaDecoder::Impl {
  std::string path;
  MediaInfo info;
  AvInputFormatContextPtr format;
  AvCodecContextPtr codec;
  AvFramePtr frame = make_av_frame();
  AvPacketPtr packet = make_av_packet();
  int stream_index = -1;
  AVRational time_base{1, 1000};
  std::int64_t start_pts = 0;
  std::int64_t ts_ms = 0;
  std::int64_t last_ts_ms = 0;
  std::int64_t frames = 0;
  int corrupt = 0;
  bool demux_done = false;
  bool decoder_drained = false;
  std::map<std::pair<int, int>, SwsContextPtr> scalers;

  [[noreturn]] void fail(const std::string& reason) const { throw MediaError(reason); }

  // Feeds packets until the decoder yields a frame; false at the end.
  bool decode_next() {
    while (true) {
      int rc = avcodec_receive_frame(codec.get(), frame.get());
      if (rc == 0) return true;
      if (rc == AVERROR_EOF) return false;
      if (rc != AVERROR(EAGAIN)) {
        ++corrupt;
        if (corrupt > 64 && frames == 0) fail("undecodable stream: " + av_error_string(rc));
        continue;
      }
      if (demux_done) {
        if (decoder_drained) return false;
        avcodec_send_packet(codec.get(), nullptr);  // enter draining mode
        decoder_drained = true;
        continue;
      }
      rc = av_read_frame(format.get(), packet.get());
      if (rc == AVERROR_EOF) {
        demux_done = true;
        continue;
      }
      if (rc < 0) {
        // A read error mid-file: treat as the end and let the truncation check judge it.
        demux_done = true;
        continue;
      }
      if (packet->stream_index == stream_index) {
        int send = avcodec_send_packet(codec.get(), packet.get());
        if (send < 0 && send != AVERROR(EAGAIN)) ++corrupt;
      }
      av_packet_unref(packet.get());
    }
  }
};

MediaDecoder::MediaDecoder(const std::filesystem::path& path, const PixelBudget& budget)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.path = path.string();
  // A still image's header tells its size before libav allocates anything (probing decodes a
  // frame of an image pipe): one over the budget is decoded reduced or refused here.
  const std::optional<DeclaredImage> declared = read_declared_image_file(path);
  const ReducedDecode plan = declared ? plan_reduced_decode(*declared, budget) : ReducedDecode{};
  const std::int64_t max_pixels = declared ? libav_max_pixels(*declared) : libav_max_pixels(budget);
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, d.path.c_str(), nullptr, nullptr);
  if (rc < 0) d.fail("not a decodable image or video (" + av_error_string(rc) + ")");
  d.format.reset(raw);
  // What the container itself says of each stream's size: a decoder refused by max_pixels while
  // probing leaves the stream without one.
  std::vector<std::pair<int, int>> container_sizes;
  for (unsigned i = 0; i < d.format->nb_streams; ++i)
    container_sizes.emplace_back(d.format->streams[i]->codecpar->width, d.format->streams[i]->codecpar->height);
  {
    // The probing decoders get the same limits as the real one.
    std::vector<AvDictionary> options(d.format->nb_streams);
    std::vector<AVDictionary*> raw_options(d.format->nb_streams);
    for (unsigned i = 0; i < d.format->nb_streams; ++i) {
      options[i].set("max_pixels", std::to_string(max_pixels));
      if (plan.lowres) options[i].set("lowres", std::to_string(plan.lowres));
      raw_options[i] = options[i].get();
    }
    rc = avformat_find_stream_info(d.format.get(), raw_options.empty() ? nullptr : raw_options.data());
    // avformat_find_stream_info replaces each dictionary with the options it did not use.
    for (unsigned i = 0; i < d.format->nb_streams && i < raw_options.size(); ++i) *options[i].address() = raw_options[i];
  }
  if (rc < 0) d.fail("cannot read media streams (" + av_error_string(rc) + ")");

  const AVCodec* decoder = nullptr;
  d.stream_index = av_find_best_stream(d.format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (d.stream_index < 0) d.fail("no video or image stream");
  if (!decoder) d.fail("no decoder for this codec");
  AVStream* stream = d.format->streams[d.stream_index];
  // A still image's size is its header's (the stream's may be the reduced one); a video's frames
  // are checked against the budget here.
  std::int64_t width = declared ? declared->width : stream->codecpar->width;
  std::int64_t height = declared ? declared->height : stream->codecpar->height;
  if ((width <= 0 || height <= 0) && static_cast<std::size_t>(d.stream_index) < container_sizes.size())
    std::tie(width, height) = container_sizes[static_cast<std::size_t>(d.stream_index)];
  if (width <= 0 || height <= 0)
    d.fail("no usable picture size: the stream is corrupt, or its pictures are over the pixel budget of " +
           describe_pixels(budget.max_pixels) + " (libav refused to decode them)");
  if (!declared && width * height > budget.max_pixels)
    throw PixelBudgetError((is_image_container(d.format->iformat->name) ? "the picture is " : "the video's frames are ") +
                           describe_size(width, height) + ", over the pixel budget of " +
                           describe_pixels(budget.max_pixels) + ": refused");
  d.codec = make_codec_context(decoder);
  av_check(avcodec_parameters_to_context(d.codec.get(), stream->codecpar), d.path);
  d.codec->max_pixels = max_pixels;
  d.codec->lowres = plan.lowres;
  // Frame threads each hold frames in flight: as many as the budget allows four times over.
  const std::int64_t by_memory = std::max<std::int64_t>(1, 4 * budget.max_pixels / (width * height));
  d.codec->thread_count = static_cast<int>(
      std::min<std::int64_t>(by_memory, std::max(1u, std::thread::hardware_concurrency())));
  d.codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  rc = avcodec_open2(d.codec.get(), decoder, nullptr);
  if (rc < 0) d.fail("cannot open decoder " + std::string(decoder->name) + " (" + av_error_string(rc) + ")");

  d.time_base = stream->time_base;
  d.start_pts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  d.info.container = d.format->iformat->name;
  d.info.codec = decoder->name;
  d.info.is_still_image = is_image_container(d.info.container);
  d.info.width = static_cast<int>(width);
  d.info.height = static_cast<int>(height);
  d.info.reduced = plan.note;
  AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
  d.info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  if (!d.info.is_still_image) {
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
      d.info.duration_ms = av_rescale_q(stream->duration, d.time_base, AVRational{1, 1000});
    } else if (d.format->duration != AV_NOPTS_VALUE && d.format->duration > 0) {
      d.info.duration_ms = d.format->duration / 1000;
    }
  }
}

MediaDecoder::~MediaDecoder() = default;

const MediaInfo& MediaDecoder::info() const { return impl_->info; }

bool MediaDecoder::next_frame() {
  Impl& d = *impl_;
  if (d.info.is_still_image && d.frames > 0) return false;
  if (!d.decode_next()) {
    if (d.frames == 0) d.fail("no frame could be decoded (corrupt or truncated file)");
    if (!d.info.is_still_image && d.info.duration_ms > 0) {
      const std::int64_t frame_ms = d.info.fps > 0 ? static_cast<std::int64_t>(1000 / d.info.fps) : 0;
      const std::int64_t decoded_ms = d.last_ts_ms + frame_ms;
      if (decoded_ms < d.info.duration_ms * kTruncationTolerance &&
          d.info.duration_ms - decoded_ms > kTruncationSlackMs) {
        d.fail("truncated: decoded " + std::to_string(decoded_ms / 1000.0).substr(0, 6) + " s of the " +
               std::to_string(d.info.duration_ms / 1000.0).substr(0, 6) + " s the container declares");
      }
    }
    return false;
  }
  std::int64_t pts = d.frame->best_effort_timestamp;
  if (pts == AV_NOPTS_VALUE) pts = d.frame->pts;
  if (pts == AV_NOPTS_VALUE) {
    d.ts_ms = d.info.fps > 0 ? static_cast<std::int64_t>(d.frames * 1000 / d.info.fps) : 0;
  } else {
    d.ts_ms = av_rescale_q(pts - d.start_pts, d.time_base, AVRational{1, 1000});
  }
  d.last_ts_ms = std::max(d.last_ts_ms, d.ts_ms);
  ++d.frames;
  return true;
}

std::int64_t MediaDecoder::frame_ts_ms() const { return impl_->ts_ms; }

RgbImage MediaDecoder::frame_rgb() {
  return frame_rgb(impl_->frame->width, impl_->frame->height);
}

RgbImage MediaDecoder::frame_rgb(int width, int height) {
  Impl& d = *impl_;
  AVFrame* f = d.frame.get();
  if (f->width <= 0 || f->height <= 0) throw MediaError("no current frame");
  SwsContextPtr& scaler = d.scalers[{width, height}];
  const bool shrinking = width <= f->width && height <= f->height;
  scaler.reset(sws_getCachedContext(scaler.release(), f->width, f->height,
                                    static_cast<AVPixelFormat>(f->format), width, height,
                                    AV_PIX_FMT_RGB24, shrinking ? SWS_AREA : SWS_BICUBIC, nullptr,
                                    nullptr, nullptr));
  if (!scaler) throw MediaError("cannot convert pixel format " + std::to_string(f->format));
  RgbImage out(width, height);
  sws_scale_packed(scaler.get(), f->data, f->linesize, f->height, AV_PIX_FMT_RGB24, width, height, 3,
                   out.pixels.data());
  return out;
}

std::int64_t MediaDecoder::frames_decoded() const { return impl_->frames; }
int MediaDecoder::corrupt_packets() const { return impl_->corrupt; }

RgbImage decode_image_file(const std::filesystem::path& path, const PixelBudget& budget, std::string* reduced) {
  MediaDecoder decoder(path, budget);
  if (!decoder.next_frame()) throw MediaError(path.string() + ": no frame");
  if (reduced) *reduced = decoder.info().reduced;
  return decoder.frame_rgb();
}

}  // namespace palimpsest

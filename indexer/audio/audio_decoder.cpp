#include "indexer/audio/audio_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "indexer/audio/av_audio_handles.h"

namespace palimpsest {
namespace {

// A seek lands this far before the range start, so that lossy decoders (MDCT overlap, MP3's bit
// reservoir) have settled by the first sample that is kept. Ranges starting earlier than this
// (plus a second) are decoded from the beginning instead.
constexpr double kPrerollS = 1.0;
// Input samples fed to the resampler before a range start, so that its filter history holds real
// samples rather than zeros when the first kept sample is computed (its filter is 32 taps long).
constexpr std::int64_t kResamplerWarmup = 64;
// A stream that ends earlier than its container declares, by more than this, is truncated.
constexpr double kTruncationSlackS = 0.5;
constexpr double kTruncationSlackFraction = 0.02;
// Decoding errors tolerated before the first good frame.
constexpr int kMaxCorruptBeforeFirstFrame = 64;

std::string seconds_text(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f s", s);
  return buffer;
}

// What a WAV file's header declares its samples last, from the RIFF "fmt " byte rate and the
// "data" chunk's size; 0 when it declares nothing usable (streamed WAVs write 0 or ~0 there).
// libavformat replaces a size that runs past the end of the file by an estimate from what is
// there, which would hide a truncation.
double wav_declared_duration_s(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char riff[12];
  if (!in.read(riff, 12) || std::memcmp(riff, "RIFF", 4) != 0 || std::memcmp(riff + 8, "WAVE", 4) != 0) return 0;
  auto le32 = [](const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  };
  std::uint32_t byte_rate = 0;
  for (int chunk = 0; chunk < 64; ++chunk) {
    unsigned char header[8];
    if (!in.read(reinterpret_cast<char*>(header), 8)) return 0;
    const std::uint32_t size = le32(header + 4);
    if (std::memcmp(header, "fmt ", 4) == 0 && size >= 16) {
      unsigned char fmt[16];
      if (!in.read(reinterpret_cast<char*>(fmt), 16)) return 0;
      byte_rate = le32(fmt + 8);
      in.seekg(size - 16 + (size & 1), std::ios::cur);
    } else if (std::memcmp(header, "data", 4) == 0) {
      if (byte_rate == 0 || size == 0 || size == 0xFFFFFFFFu) return 0;
      return static_cast<double>(size) / byte_rate;
    } else {
      in.seekg(size + (size & 1), std::ios::cur);
    }
  }
  return 0;
}

AVSampleFormat output_sample_format(SampleType type) {
  return type == SampleType::s16 ? AV_SAMPLE_FMT_S16 : AV_SAMPLE_FMT_FLT;
}

bool is_real_video(const AVStream* stream) {
  return stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
         !(stream->disposition & AV_DISPOSITION_ATTACHED_PIC);  // cover art in MP3/M4A
}

}  // namespace

struct AudioDecoder::Impl {
  std::filesystem::path path;
  AudioDecoderOptions options;
  AudioSourceInfo info;
  AVSampleFormat out_format = AV_SAMPLE_FMT_S16;
  ChannelLayout out_layout;
  int frame_bytes = 0;  // bytes per output frame

  AvInputFormatContextPtr format;
  AvCodecContextPtr codec;
  AvFramePtr frame = make_av_frame();
  AvPacketPtr packet = make_av_packet();
  AVStream* stream = nullptr;
  int stream_index = -1;
  std::int64_t stream_start = 0;  // first pts, in the stream's time base

  SwrContextPtr swr;
  int swr_rate = 0;
  AVSampleFormat swr_format = AV_SAMPLE_FMT_NONE;
  ChannelLayout swr_layout;

  std::int64_t range_start = 0;  // output frames
  std::int64_t range_end = std::numeric_limits<std::int64_t>::max();
  bool seeking = false;      // decoding started from a seek: the grid is anchored by timestamp
  bool restarted = false;    // a seek landed too late and decoding restarted from the beginning
  bool anchored = false;     // the output grid is fixed: next_out is meaningful
  std::int64_t next_out = 0; // output index of the next sample the resampler emits

  std::vector<std::uint8_t> pending;  // output not yet handed out, from range_start + delivered
  std::int64_t pending_frames = 0;
  std::int64_t handed_out = 0;        // frames of `pending` handed out by the last next()

  bool demux_done = false;
  bool draining = false;
  bool finished = false;
  std::int64_t source_frames = 0;     // decoded input frames (samples per channel)
  std::int64_t delivered = 0;
  int corrupt = 0;
  std::int64_t peak_buffered = 0;

  [[noreturn]] void fail(const std::string& reason) const {
    throw AudioError(path.string() + ": " + reason);
  }

  void open() {
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (rc == AVERROR(ENOENT)) fail("no such file");
    if (rc == AVERROR(EACCES)) fail("cannot read it (permission denied)");
    if (rc < 0) fail("not a decodable audio or video file (" + av_error_string(rc) + ")");
    format.reset(raw);
    rc = avformat_find_stream_info(format.get(), nullptr);
    if (rc < 0) fail("cannot read its streams (" + av_error_string(rc) + ")");

    const AVCodec* decoder = nullptr;
    if (options.stream_index >= 0) {
      if (options.stream_index >= static_cast<int>(format->nb_streams)) {
        fail("has no stream " + std::to_string(options.stream_index));
      }
      const AVStream* chosen = format->streams[options.stream_index];
      if (chosen->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) {
        fail("stream " + std::to_string(options.stream_index) + " is not an audio stream");
      }
      stream_index = options.stream_index;
      decoder = avcodec_find_decoder(chosen->codecpar->codec_id);
    } else {
      stream_index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
      if (stream_index < 0) {
        bool video = false;
        for (unsigned i = 0; i < format->nb_streams; ++i) video = video || is_real_video(format->streams[i]);
        throw NoAudioStreamError(path.string() + ": " +
                                 (video ? "no audio stream (the video has no sound)" : "no audio stream"));
      }
    }
    stream = format->streams[stream_index];
    if (!decoder) {
      fail("no decoder for audio codec " + std::string(avcodec_get_name(stream->codecpar->codec_id)));
    }
    // Only this stream is demuxed: a video's picture packets are skipped, not read.
    for (unsigned i = 0; i < format->nb_streams; ++i) {
      if (static_cast<int>(i) != stream_index) format->streams[i]->discard = AVDISCARD_ALL;
    }
    codec = make_codec_context(decoder);
    av_check(avcodec_parameters_to_context(codec.get(), stream->codecpar), path.string());
    codec->thread_count = 1;  // audio decoders gain nothing from threads; keeps forks safe
    rc = avcodec_open2(codec.get(), decoder, nullptr);
    if (rc < 0) fail("cannot open the " + std::string(decoder->name) + " decoder (" + av_error_string(rc) + ")");
    stream_start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  }

  void describe_source() {
    const AVCodecParameters& par = *stream->codecpar;
    info.container = format->iformat->name;
    info.codec = codec->codec->name;
    info.stream_index = stream_index;
    info.sample_rate = par.sample_rate;
    info.channels = par.ch_layout.nb_channels;
    char layout[128] = {0};
    if (av_channel_layout_describe(&par.ch_layout, layout, sizeof(layout)) >= 0) info.channel_layout = layout;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
      info.duration_s = stream->duration * av_q2d(stream->time_base);
    } else if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
      info.duration_s = static_cast<double>(format->duration) / AV_TIME_BASE;
    }
    info.duration_estimated = format->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
    if (info.container == "wav") {
      if (const double declared = wav_declared_duration_s(path); declared > 0) {
        info.duration_s = declared;
        info.duration_estimated = false;
      }
    }
    const int video = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video >= 0 && is_real_video(format->streams[video])) {
      info.has_video = true;
      const AVStream* v = format->streams[video];
      const double video_start = v->start_time != AV_NOPTS_VALUE ? v->start_time * av_q2d(v->time_base) : 0;
      info.video_offset_s = stream_start * av_q2d(stream->time_base) - video_start;
    }
    const AudioFormat& out = options.format;
    info.resampled = info.sample_rate > 0 && info.sample_rate != out.sample_rate;
    info.narrowband = info.sample_rate > 0 && info.sample_rate <= 8000;
    info.downmixed = info.channels > out.channels;
    if (info.narrowband) {
      info.notes.push_back(std::to_string(info.sample_rate) + " Hz telephone-band audio (nothing above " +
                           std::to_string(info.sample_rate / 2000) + " kHz), resampled to " +
                           std::to_string(out.sample_rate) + " Hz");
    }
    if (info.downmixed) {
      info.notes.push_back(std::to_string(info.channels) + " channels (" + info.channel_layout +
                           ") downmixed to " + ChannelLayout(out.channels).describe());
    }
  }

  // Seeks a second before the range start; decoding from there is anchored by timestamps.
  void seek_to_range() {
    const double start_s = options.start_s;
    if (range_start == 0 || start_s < 2 * kPrerollS) return;  // decode from the beginning
    const std::int64_t ts = stream_start + av_rescale_q(std::llround((start_s - kPrerollS) * 1e6),
                                                         AVRational{1, 1000000}, stream->time_base);
    if (av_seek_frame(format.get(), stream_index, ts, AVSEEK_FLAG_BACKWARD) < 0) return;
    avcodec_flush_buffers(codec.get());
    seeking = true;
  }

  // The seek landed after the start of what is needed: decode from the beginning instead.
  void restart_from_beginning() {
    if (restarted) fail("cannot position the decoder at " + seconds_text(options.start_s));
    restarted = true;
    seeking = false;
    format.reset();
    codec.reset();
    open();
    demux_done = draining = false;
  }

  // Next decoded frame into `frame`; false at the end of the stream.
  bool receive() {
    while (true) {
      int rc = avcodec_receive_frame(codec.get(), frame.get());
      if (rc == 0) return true;
      if (rc == AVERROR_EOF) return false;
      if (rc != AVERROR(EAGAIN)) {
        ++corrupt;
        if (corrupt > kMaxCorruptBeforeFirstFrame && source_frames == 0) {
          fail("nothing decodable (" + av_error_string(rc) + ")");
        }
        continue;
      }
      if (demux_done) {
        if (draining) return false;
        avcodec_send_packet(codec.get(), nullptr);  // enter draining mode
        draining = true;
        continue;
      }
      rc = av_read_frame(format.get(), packet.get());
      if (rc < 0) {
        // The end, or a read error mid-file: the truncation check judges what was decoded.
        demux_done = true;
        continue;
      }
      if (packet->stream_index == stream_index) {
        const int sent = avcodec_send_packet(codec.get(), packet.get());
        if (sent < 0 && sent != AVERROR(EAGAIN)) ++corrupt;
      }
      av_packet_unref(packet.get());
    }
  }

  // (Re)creates the resampler when the decoded frames' shape changes; drains the old one first.
  void ensure_resampler(const AVFrame& f) {
    ChannelLayout layout = ChannelLayout::native(f.ch_layout);
    const AVSampleFormat fmt = static_cast<AVSampleFormat>(f.format);
    if (swr && swr_rate == f.sample_rate && swr_format == fmt && swr_layout == layout) return;
    if (swr) convert(nullptr, 0);
    SwrContext* raw = nullptr;
    av_check(swr_alloc_set_opts2(&raw, out_layout.get(), out_format, options.format.sample_rate,
                                 layout.get(), fmt, f.sample_rate, 0, nullptr),
             path.string() + ": cannot set up the resampler");
    swr.reset(raw);
    const int rc = swr_init(swr.get());
    if (rc < 0) {
      fail("cannot resample " + layout.describe() + " " + std::to_string(f.sample_rate) + " Hz (" +
           av_error_string(rc) + ")");
    }
    swr_rate = f.sample_rate;
    swr_format = fmt;
    swr_layout = layout;
  }

  // Runs the resampler on `count` input frames (nullptr: flush its tail) and keeps the part of
  // its output that falls inside the range.
  void convert(const std::uint8_t** input, int count) {
    const int room = swr_get_out_samples(swr.get(), count);
    if (room < 0) fail("resampler error (" + av_error_string(room) + ")");
    pending.resize(static_cast<std::size_t>(pending_frames + room + 1) * frame_bytes);
    std::uint8_t* out = pending.data() + pending_frames * frame_bytes;
    const int produced = swr_convert(swr.get(), &out, room + 1, input, count);
    if (produced < 0) fail("resampling failed (" + av_error_string(produced) + ")");
    const std::int64_t keep_from = std::clamp<std::int64_t>(range_start - next_out, 0, produced);
    const std::int64_t keep_to = std::clamp<std::int64_t>(range_end - next_out, 0, produced);
    const std::int64_t kept = std::max<std::int64_t>(0, keep_to - keep_from);
    if (keep_from > 0 && kept > 0) {
      std::memmove(out, out + keep_from * frame_bytes, static_cast<std::size_t>(kept) * frame_bytes);
    }
    pending_frames += kept;
    next_out += produced;
    if (next_out >= range_end) finished = true;
    const std::int64_t delay = swr_get_delay(swr.get(), options.format.sample_rate);
    peak_buffered = std::max(peak_buffered, pending_frames + delay);
  }

  // Input plane pointers of `f`, `offset` frames in.
  std::vector<const std::uint8_t*> planes(const AVFrame& f, int offset) const {
    const AVSampleFormat fmt = static_cast<AVSampleFormat>(f.format);
    const int bytes = av_get_bytes_per_sample(fmt);
    const int channels = f.ch_layout.nb_channels;
    const bool planar = av_sample_fmt_is_planar(fmt);
    std::vector<const std::uint8_t*> result(planar ? channels : 1);
    for (std::size_t p = 0; p < result.size(); ++p) {
      result[p] = f.extended_data[p] + static_cast<std::size_t>(offset) * bytes * (planar ? 1 : channels);
    }
    return result;
  }

  // Fixes the output grid on the first frame after a seek, so that the kept samples fall on the
  // grid a decode from the beginning uses. Returns the frames of `f` to skip, or -1 to skip it.
  std::int64_t anchor(const AVFrame& f) {
    if (!seeking) {
      anchored = true;
      next_out = 0;
      return 0;
    }
    std::int64_t pts = f.best_effort_timestamp != AV_NOPTS_VALUE ? f.best_effort_timestamp : f.pts;
    if (pts == AV_NOPTS_VALUE) {
      restart_from_beginning();
      return -1;
    }
    const int in_rate = f.sample_rate;
    const int out_rate = options.format.sample_rate;
    const std::int64_t frame_in = av_rescale_q(pts - stream_start, stream->time_base, AVRational{1, in_rate});
    const std::int64_t target_in = av_rescale_rnd(range_start, in_rate, out_rate, AV_ROUND_DOWN);
    const std::int64_t g = std::gcd(in_rate, out_rate);
    const std::int64_t step = in_rate / g;  // input samples between samples on both grids
    const std::int64_t warmup = in_rate == out_rate ? 0 : kResamplerWarmup;
    const std::int64_t wanted = std::max<std::int64_t>(0, (target_in - warmup) / step * step);
    if (frame_in > wanted) {
      restart_from_beginning();
      return -1;
    }
    if (frame_in + f.nb_samples <= wanted) return -1;  // wholly before: not fed
    anchored = true;
    next_out = wanted / step * (out_rate / g);
    return wanted - frame_in;
  }

  void feed(const AVFrame& f) {
    if (f.nb_samples <= 0 || f.sample_rate <= 0) return;
    source_frames += f.nb_samples;
    std::int64_t skip = 0;
    if (!anchored) {
      skip = anchor(f);
      if (skip < 0) return;
    }
    ensure_resampler(f);
    std::vector<const std::uint8_t*> in = planes(f, static_cast<int>(skip));
    convert(in.data(), f.nb_samples - static_cast<int>(skip));
  }

  void end_of_stream() {
    if (swr) convert(nullptr, 0);
    finished = true;
    const double rate = options.format.sample_rate;
    if (range_start > 0 && (!anchored || next_out <= range_start) && info.duration_s > 0) {
      fail("the range starts at " + seconds_text(range_start / rate) + ", past the end of the audio (" +
           seconds_text(anchored ? next_out / rate : info.duration_s) + ")");
    }
    if (source_frames == 0) {
      if (corrupt > 0) fail("nothing decodable (" + std::to_string(corrupt) + " corrupt packets)");
      fail("no audio samples (0-length audio)");
    }
    const double end_s = next_out / rate;
    if (info.duration_s > 0 && !info.duration_estimated) {
      const double slack = std::max(kTruncationSlackS, kTruncationSlackFraction * info.duration_s);
      if (end_s < info.duration_s - slack) {
        fail("truncated: the audio breaks off at " + seconds_text(end_s) + " of the " +
             seconds_text(info.duration_s) + " its container declares");
      }
    }
    if (corrupt > 0) info.notes.push_back(std::to_string(corrupt) + " corrupt packets skipped");
  }
};

AudioDecoder::AudioDecoder(const std::filesystem::path& path, AudioDecoderOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  const AudioFormat& out = options.format;
  if (out.sample_rate < 1000 || out.sample_rate > 384000 || out.channels < 1 || out.channels > 8) {
    throw std::invalid_argument("unsupported output audio format " + describe(out));
  }
  if (!(options.start_s >= 0) || !std::isfinite(options.start_s) || !std::isfinite(options.duration_s)) {
    throw std::invalid_argument("audio range must start at a finite time >= 0");
  }
  if (options.block_frames < 1) throw std::invalid_argument("audio block size must be positive");
  d.path = path;
  d.options = options;
  d.out_format = output_sample_format(out.type);
  d.out_layout = ChannelLayout(out.channels);
  d.frame_bytes = out.bytes_per_frame();
  d.range_start = std::llround(options.start_s * out.sample_rate);
  if (options.duration_s >= 0) d.range_end = d.range_start + std::llround(options.duration_s * out.sample_rate);
  if (d.range_end == d.range_start) d.finished = true;
  d.open();
  d.describe_source();
  d.seek_to_range();
}

AudioDecoder::~AudioDecoder() = default;

const AudioSourceInfo& AudioDecoder::info() const { return impl_->info; }
const AudioFormat& AudioDecoder::format() const { return impl_->options.format; }

bool AudioDecoder::next(AudioBlock& block) {
  Impl& d = *impl_;
  if (d.handed_out > 0) {
    const std::int64_t rest = d.pending_frames - d.handed_out;
    std::memmove(d.pending.data(), d.pending.data() + d.handed_out * d.frame_bytes,
                 static_cast<std::size_t>(rest) * d.frame_bytes);
    d.pending_frames = rest;
    d.handed_out = 0;
  }
  const std::int64_t block_frames = d.options.block_frames;
  while (true) {
    if (d.pending_frames >= block_frames || (d.finished && d.pending_frames > 0)) {
      const std::int64_t n = std::min(d.pending_frames, block_frames);
      block.start_frame = d.range_start + d.delivered;
      block.frames = n;
      block.s16 = nullptr;
      block.f32 = nullptr;
      if (d.options.format.type == SampleType::s16) {
        block.s16 = reinterpret_cast<const std::int16_t*>(d.pending.data());
      } else {
        block.f32 = reinterpret_cast<const float*>(d.pending.data());
      }
      d.handed_out = n;
      d.delivered += n;
      return true;
    }
    if (d.finished) return false;
    if (!d.receive()) {
      d.end_of_stream();
      continue;
    }
    d.feed(*d.frame);
    av_frame_unref(d.frame.get());
  }
}

std::int64_t AudioDecoder::frames_delivered() const { return impl_->delivered; }
int AudioDecoder::corrupt_packets() const { return impl_->corrupt; }
std::int64_t AudioDecoder::peak_buffered_frames() const { return impl_->peak_buffered; }

AudioSourceInfo decode_audio(const std::filesystem::path& path, const AudioDecoderOptions& options,
                             const std::function<void(const AudioBlock&)>& sink) {
  AudioDecoder decoder(path, options);
  AudioBlock block;
  while (decoder.next(block)) sink(block);
  return decoder.info();
}

}  // namespace palimpsest

#include "indexer/audio/audio_stream_writer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "indexer/audio/av_audio_handles.h"

namespace palimpsest {
namespace {

// The encoder's sample format: float first (no conversion loss), then 16 and 32 bits.
AVSampleFormat choose_sample_format(const AVCodec* codec) {
  if (!codec->sample_fmts) return AV_SAMPLE_FMT_FLTP;
  for (AVSampleFormat preferred : {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16P,
                                   AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S32P, AV_SAMPLE_FMT_S32}) {
    for (const AVSampleFormat* f = codec->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f) {
      if (*f == preferred) return preferred;
    }
  }
  return codec->sample_fmts[0];
}

bool supports_rate(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return true;
  for (const int* r = codec->supported_samplerates; *r != 0; ++r) {
    if (*r == rate) return true;
  }
  return false;
}

constexpr int kVariableFrameSize = 4096;  // frames per packet for encoders without a fixed size

}  // namespace

struct AudioStreamWriter::State {
  AVFormatContext* format = nullptr;
  AVStream* stream = nullptr;  // owned by `format`
  AudioStreamOptions options;
  std::string codec_name;
  AvCodecContextPtr encoder;
  SwrContextPtr converter;
  AvFramePtr frame;
  AvPacketPtr packet = make_av_packet();
  int frame_size = 0;
  bool short_last_frame = false;
  std::vector<float> leftover;  // fewer than frame_size frames, interleaved
  std::int64_t leftover_frames = 0;
  std::int64_t next_pts = 0;
  std::int64_t frames_written = 0;
  bool finished = false;

  void send(const AVFrame* input) {
    av_check(avcodec_send_frame(encoder.get(), input), "sending audio to the " + codec_name + " encoder");
    while (true) {
      const int status = avcodec_receive_packet(encoder.get(), packet.get());
      if (status == AVERROR(EAGAIN) || status == AVERROR_EOF) return;
      av_check(status, "encoding audio with " + codec_name);
      av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      av_check(av_interleaved_write_frame(format, packet.get()), "writing an audio packet");
    }
  }

  // Encodes `count` frames of interleaved float at `samples` as one encoder frame.
  void encode(const float* samples, int count) {
    av_check(av_frame_make_writable(frame.get()), "av_frame_make_writable");
    frame->nb_samples = count;
    const std::uint8_t* in[1] = {reinterpret_cast<const std::uint8_t*>(samples)};
    const int converted = swr_convert(converter.get(), frame->data, count, in, count);
    if (converted != count) throw std::runtime_error("audio sample conversion failed for " + codec_name);
    frame->pts = next_pts;
    next_pts += count;
    send(frame.get());
  }
};

AudioStreamWriter::AudioStreamWriter(AVFormatContext* format, AudioStreamOptions options)
    : state_(std::make_unique<State>()) {
  if (!format || !format->oformat) throw std::invalid_argument("AudioStreamWriter needs a muxing context");
  if (options.channels < 1 || options.channels > 8 || options.sample_rate < 1000) {
    throw std::invalid_argument("unsupported audio stream: " + std::to_string(options.sample_rate) + " Hz, " +
                                std::to_string(options.channels) + " channels");
  }
  State& s = *state_;
  s.format = format;
  s.options = options;
  const AVCodec* codec = avcodec_find_encoder_by_name(options.encoder.c_str());
  if (!codec || codec->type != AVMEDIA_TYPE_AUDIO) {
    throw std::invalid_argument("audio encoder not available: " + options.encoder);
  }
  if (!supports_rate(codec, options.sample_rate)) {
    throw std::invalid_argument(options.encoder + " cannot encode at " + std::to_string(options.sample_rate) + " Hz");
  }
  s.codec_name = codec->name;
  s.encoder = make_codec_context(codec);
  AVCodecContext& c = *s.encoder;
  c.sample_rate = options.sample_rate;
  av_channel_layout_default(&c.ch_layout, options.channels);
  c.sample_fmt = choose_sample_format(codec);
  c.bit_rate = options.bit_rate;
  c.time_base = AVRational{1, options.sample_rate};
  if (format->oformat->flags & AVFMT_GLOBALHEADER) c.flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AvDictionary encoder_options;
  for (const auto& [key, value] : options.encoder_options) encoder_options.set(key.c_str(), value);
  av_check(avcodec_open2(s.encoder.get(), codec, encoder_options.address()),
           "cannot open the " + s.codec_name + " encoder");
  if (const AVDictionaryEntry* unused = av_dict_get(encoder_options.get(), "", nullptr, AV_DICT_IGNORE_SUFFIX)) {
    throw std::invalid_argument(s.codec_name + " has no option " + unused->key);
  }

  s.stream = avformat_new_stream(format, nullptr);
  if (!s.stream) throw std::runtime_error("avformat_new_stream failed");
  av_check(avcodec_parameters_from_context(s.stream->codecpar, s.encoder.get()),
           "avcodec_parameters_from_context");
  s.stream->time_base = c.time_base;  // a hint; the muxer sets its own in write_header

  const bool variable = codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE;
  s.frame_size = c.frame_size > 0 && !variable ? c.frame_size : kVariableFrameSize;
  s.short_last_frame = variable || (codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) || c.frame_size == 0;

  ChannelLayout layout(options.channels);
  SwrContext* raw = nullptr;
  av_check(swr_alloc_set_opts2(&raw, layout.get(), c.sample_fmt, c.sample_rate, layout.get(), AV_SAMPLE_FMT_FLT,
                               c.sample_rate, 0, nullptr),
           "cannot set up audio sample conversion");
  s.converter.reset(raw);
  av_check(swr_init(s.converter.get()), "cannot set up audio sample conversion");

  s.frame = make_av_frame();
  s.frame->format = c.sample_fmt;
  s.frame->sample_rate = c.sample_rate;
  av_check(av_channel_layout_copy(&s.frame->ch_layout, &c.ch_layout), "av_channel_layout_copy");
  s.frame->nb_samples = s.frame_size;
  av_check(av_frame_get_buffer(s.frame.get(), 0), "av_frame_get_buffer");
  s.leftover.resize(static_cast<std::size_t>(s.frame_size) * options.channels);
}

AudioStreamWriter::~AudioStreamWriter() = default;

void AudioStreamWriter::write(const float* interleaved, std::int64_t frames) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("AudioStreamWriter::write after finish()");
  const int channels = s.options.channels;
  s.frames_written += frames;
  std::int64_t i = 0;
  if (s.leftover_frames > 0) {
    const std::int64_t take = std::min<std::int64_t>(frames, s.frame_size - s.leftover_frames);
    std::memcpy(s.leftover.data() + s.leftover_frames * channels, interleaved,
                sizeof(float) * static_cast<std::size_t>(take * channels));
    s.leftover_frames += take;
    i = take;
    if (s.leftover_frames < s.frame_size) return;
    s.encode(s.leftover.data(), s.frame_size);
    s.leftover_frames = 0;
  }
  for (; frames - i >= s.frame_size; i += s.frame_size) s.encode(interleaved + i * channels, s.frame_size);
  const std::int64_t rest = frames - i;
  std::memcpy(s.leftover.data(), interleaved + i * channels, sizeof(float) * static_cast<std::size_t>(rest * channels));
  s.leftover_frames = rest;
}

void AudioStreamWriter::finish() {
  State& s = *state_;
  if (s.finished) throw std::logic_error("AudioStreamWriter::finish called twice");
  if (s.leftover_frames > 0) {
    if (!s.short_last_frame) {
      std::fill(s.leftover.begin() + s.leftover_frames * s.options.channels, s.leftover.end(), 0.0f);
      s.leftover_frames = s.frame_size;
    }
    s.encode(s.leftover.data(), static_cast<int>(s.leftover_frames));
    s.leftover_frames = 0;
  }
  s.send(nullptr);
  s.finished = true;
}

AVStream* AudioStreamWriter::stream() const { return state_->stream; }
const std::string& AudioStreamWriter::codec_name() const { return state_->codec_name; }
std::int64_t AudioStreamWriter::frames_written() const { return state_->frames_written; }

}  // namespace palimpsest

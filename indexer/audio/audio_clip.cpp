#include "indexer/audio/audio_clip.h"

#include <cmath>
#include <stdexcept>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/audio_stream_writer.h"
#include "indexer/media/av_handles.h"

namespace palimpsest {
namespace {

// A seekable in-memory output for the muxer (an ordinary MP4 seeks back to patch sizes and
// writes its index, with the edit list that trims AAC's priming, at the end).
class MemoryOutput {
 public:
  MemoryOutput() {
    buffer_ = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (!buffer_) throw std::runtime_error("av_malloc failed");
    io_ = avio_alloc_context(buffer_, kBufferSize, 1, this, nullptr, &MemoryOutput::write, &MemoryOutput::seek);
    if (!io_) {
      av_free(buffer_);
      throw std::runtime_error("avio_alloc_context failed");
    }
  }
  ~MemoryOutput() {
    if (io_) av_freep(&io_->buffer);  // the context may have replaced the buffer
    avio_context_free(&io_);
  }
  MemoryOutput(const MemoryOutput&) = delete;
  MemoryOutput& operator=(const MemoryOutput&) = delete;

  AVIOContext* io() { return io_; }
  std::string take() {
    avio_flush(io_);
    return std::move(data_);
  }

 private:
  static constexpr int kBufferSize = 64 * 1024;

  static int write(void* opaque, std::uint8_t* bytes, int size) {  // FFmpeg 5 takes a non-const buffer
    MemoryOutput& out = *static_cast<MemoryOutput*>(opaque);
    const std::size_t end = out.position_ + static_cast<std::size_t>(size);
    if (end > out.data_.size()) out.data_.resize(end);
    std::copy_n(bytes, size, out.data_.begin() + static_cast<std::ptrdiff_t>(out.position_));
    out.position_ = end;
    return size;
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    MemoryOutput& out = *static_cast<MemoryOutput*>(opaque);
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return static_cast<std::int64_t>(out.data_.size());
    std::int64_t target = offset;
    if (whence == SEEK_CUR) target += static_cast<std::int64_t>(out.position_);
    if (whence == SEEK_END) target += static_cast<std::int64_t>(out.data_.size());
    if (target < 0) return AVERROR(EINVAL);
    out.position_ = static_cast<std::size_t>(target);
    return target;
  }

  unsigned char* buffer_ = nullptr;
  AVIOContext* io_ = nullptr;
  std::string data_;
  std::size_t position_ = 0;
};

}  // namespace

EncodedAudioClip encode_audio_clip(const std::filesystem::path& source, double start_s, double duration_s,
                                   int stream_index) {
  if (!(duration_s > 0) || duration_s > kMaxClipSeconds) {
    throw std::invalid_argument("audio excerpt must last more than 0 and at most " +
                                std::to_string(static_cast<int>(kMaxClipSeconds)) + " s");
  }
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  options.start_s = start_s;
  options.duration_s = duration_s;
  options.stream_index = stream_index;
  AudioDecoder decoder(source, options);

  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr), "cannot create an MP4 muxer");
  AvOutputFormatContextPtr format(raw);
  AudioStreamOptions aac;  // AAC, 48 kHz stereo
  aac.bit_rate = 128000;
  AudioStreamWriter writer(format.get(), aac);
  MemoryOutput output;
  format->pb = output.io();
  format->flags |= AVFMT_FLAG_CUSTOM_IO;
  av_check(avformat_write_header(format.get(), nullptr), "cannot start the MP4 excerpt");
  AudioBlock block;
  while (decoder.next(block)) writer.write(block.f32, block.frames);
  writer.finish();
  av_check(av_write_trailer(format.get()), "cannot finish the MP4 excerpt");
  EncodedAudioClip clip;
  clip.bytes = output.take();
  clip.duration_s = static_cast<double>(decoder.frames_delivered()) / options.format.sample_rate;
  return clip;
}

}  // namespace palimpsest

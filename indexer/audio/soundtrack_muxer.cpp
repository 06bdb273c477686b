#include "indexer/audio/soundtrack_muxer.h"

#include <fcntl.h>
#include <unistd.h>

#include <limits>
#include <stdexcept>
#include <system_error>

#include "indexer/audio/audio_format.h"
#include "indexer/media/av_handles.h"

namespace palimpsest {
namespace {

// Removes the partial output unless the mux completed.
struct PartialFile {
  std::filesystem::path path;
  bool keep = false;
  ~PartialFile() {
    if (keep) return;
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

void fsync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

SoundtrackResult mux_soundtrack(const std::filesystem::path& video, const std::filesystem::path& out,
                                double film_duration_s, const std::vector<SoundtrackClip>& clips,
                                const SoundtrackOptions& options, const AudioStreamOptions& aac) {
  if (aac.sample_rate != kSoundtrackRate || aac.channels != kSoundtrackChannels) {
    throw std::invalid_argument("the soundtrack is 48 kHz stereo; its AAC stream must be too");
  }
  AVFormatContext* raw_input = nullptr;
  int rc = avformat_open_input(&raw_input, video.c_str(), nullptr, nullptr);
  if (rc < 0) throw AudioError(video.string() + ": cannot open the film (" + av_error_string(rc) + ")");
  AvInputFormatContextPtr input(raw_input);
  rc = avformat_find_stream_info(input.get(), nullptr);
  if (rc < 0) throw AudioError(video.string() + ": cannot read the film's streams (" + av_error_string(rc) + ")");
  const int video_index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video_index < 0) throw AudioError(video.string() + ": the film has no video stream");
  const AVStream* in_stream = input->streams[video_index];

  PartialFile partial{out};
  partial.path += ".partial";
  AVFormatContext* raw_output = nullptr;
  av_check(avformat_alloc_output_context2(&raw_output, nullptr, "mp4", partial.path.c_str()),
           "cannot create an MP4 muxer");
  AvOutputFormatContextPtr output(raw_output);
  AVStream* out_stream = avformat_new_stream(output.get(), nullptr);
  if (!out_stream) throw std::runtime_error("avformat_new_stream failed");
  av_check(avcodec_parameters_copy(out_stream->codecpar, in_stream->codecpar), "copying the video parameters");
  out_stream->codecpar->codec_tag = 0;
  out_stream->time_base = in_stream->time_base;
  out_stream->avg_frame_rate = in_stream->avg_frame_rate;
  AudioStreamWriter audio(output.get(), aac);

  av_check(avio_open(&output->pb, partial.path.c_str(), AVIO_FLAG_WRITE), "cannot open " + partial.path.string());
  struct CloseOutput {
    AVFormatContext* format;
    ~CloseOutput() {
      if (format->pb) avio_closep(&format->pb);
    }
  } close_output{output.get()};
  AvDictionary muxer_options;
  muxer_options.set("movflags", "+faststart");
  av_check(avformat_write_header(output.get(), muxer_options.address()), "cannot write " + partial.path.string());

  // Video packets are copied in file order, each before the audio that follows its time.
  AvPacketPtr packet = make_av_packet();
  bool have_packet = false, input_done = false;
  auto next_video_packet = [&] {
    while (!have_packet && !input_done) {
      if (av_read_frame(input.get(), packet.get()) < 0) {
        input_done = true;
      } else if (packet->stream_index == video_index) {
        have_packet = true;
      } else {
        av_packet_unref(packet.get());
      }
    }
    return have_packet;
  };
  auto copy_video_until = [&](double seconds) {
    while (next_video_packet()) {
      const std::int64_t ts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
      if (ts != AV_NOPTS_VALUE && ts * av_q2d(in_stream->time_base) >= seconds) return;
      av_packet_rescale_ts(packet.get(), in_stream->time_base, out_stream->time_base);
      packet->stream_index = out_stream->index;
      packet->pos = -1;
      av_check(av_interleaved_write_frame(output.get(), packet.get()), "writing a video packet");
      have_packet = false;
    }
  };

  std::int64_t mixed = 0;
  SoundtrackResult result = mix_soundtrack(film_duration_s, clips, options, [&](const float* pcm, std::int64_t frames) {
    mixed += frames;
    copy_video_until(static_cast<double>(mixed) / kSoundtrackRate);
    audio.write(pcm, frames);
  });
  copy_video_until(std::numeric_limits<double>::infinity());
  audio.finish();
  av_check(av_write_trailer(output.get()), "cannot finish " + partial.path.string());
  av_check(avio_closep(&output->pb), "cannot close " + partial.path.string());
  fsync_file(partial.path);
  std::error_code error;
  std::filesystem::rename(partial.path, out, error);
  if (error) {
    throw std::runtime_error("cannot rename " + partial.path.string() + " to " + out.string() + ": " + error.message());
  }
  partial.keep = true;
  return result;
}

}  // namespace palimpsest

#pragma once
// Encodes interleaved float PCM into a new audio stream of a container that the caller owns and
// writes (the film's MP4): AAC with libavcodec's native encoder unless told otherwise.
//
// Order of calls; the caller owns the AVFormatContext, its IO, its header and its trailer:
//   AudioStreamWriter audio(format);      // before avformat_write_header: adds and opens the stream
//   avformat_write_header(format, ...);
//   audio.write(pcm, frames); ...         // any block sizes, between the video's packets
//   audio.finish();                       // drains the encoder; before av_write_trailer
//   av_write_trailer(format);
//
// Rules:
// - Input is interleaved float at the stream's own rate and channel count (the soundtrack mixer's
//   48 kHz stereo); it is converted only in sample format, never resampled.
// - Packets go through av_interleaved_write_frame, stamped in the stream's time base after the
//   header is written (muxers may change it). Writing the audio in step with the video (up to each
//   frame's time) keeps the file interleaved; the muxer reorders whatever arrives within its
//   max_interleave_delta.
// - The encoder's priming is declared in the stream (initial_padding), so MP4 demuxers trim it:
//   a decode returns the samples written, give or take the last AAC frame (1024 samples).
// - Encoders with a fixed frame size get full frames; the last partial frame is sent short where
//   the encoder allows it and padded with silence otherwise.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct AVFormatContext;
struct AVStream;

namespace palimpsest {

struct AudioStreamOptions {
  std::string encoder = "aac";     // a libavcodec encoder name: aac, flac, libmp3lame, libopus...
  int sample_rate = 48000;
  int channels = 2;
  std::int64_t bit_rate = 160000;  // ignored by lossless and PCM encoders
  // Private options of the encoder (av_opt names), e.g. {"aac_coder", "fast"}.
  std::vector<std::pair<std::string, std::string>> encoder_options;
};

class AudioStreamWriter {
 public:
  // Adds the stream to `format` (not owned; it must outlive the writer). Throws
  // std::invalid_argument for an unknown encoder or a rate it cannot encode, and
  // std::runtime_error when libav fails.
  explicit AudioStreamWriter(AVFormatContext* format, AudioStreamOptions options = {});
  ~AudioStreamWriter();
  AudioStreamWriter(const AudioStreamWriter&) = delete;
  AudioStreamWriter& operator=(const AudioStreamWriter&) = delete;

  // Encodes `frames` frames (after avformat_write_header). Throws std::logic_error after finish().
  void write(const float* interleaved, std::int64_t frames);
  // Encodes what is buffered and drains the encoder. Calling it twice is an error.
  void finish();

  AVStream* stream() const;
  const std::string& codec_name() const;
  std::int64_t frames_written() const;  // frames given to write()

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace palimpsest

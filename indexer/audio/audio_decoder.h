#pragma once
// Streaming decode of any audio libavformat reads — audio files (WAV, FLAC, MP3, Ogg Vorbis/Opus,
// M4A/AAC...) and the sound track of a video — resampled and remixed with libswresample to the
// caller's AudioFormat, delivered in blocks of bounded size.
//
// Rules:
// - Memory is bounded by the block size plus one decoded packet, whatever the file's length
//   (peak_buffered_frames() reports the high-water mark).
// - Positions count output frames from the stream's first sample. A range (start_s, duration_s)
//   is cut exactly on the output grid: sources at the output rate (and PCM/FLAC in general)
//   give the very samples a full decode gives; a resampled source joins the full decode's sample
//   grid exactly (the decode starts on an input sample that falls on an output sample, with the
//   resampler's history warmed up). Lossy codecs are decoded from up to a second before the start
//   so that their priming does not show. Where a demuxer can only estimate where a time is (a
//   VBR MP3 without a seek table), the range is placed by that estimate; a seek that lands past
//   the start makes the decoder start again from the beginning.
// - Gaps in a stream's timestamps are closed up (samples are counted, not placed by timestamp).
// - Downmixing follows libswresample's standard matrix; integer output is normalised so that
//   it cannot clip.
// - Errors are AudioError with one line naming the file: not a media file, no audio stream,
//   0-length audio, a range past the end, a stream that breaks off before the duration its
//   container declares (a truncated file), nothing decodable. Corrupt packets among good ones
//   are skipped, counted, and noted in AudioSourceInfo::notes. A file without any audio stream
//   throws NoAudioStreamError (an AudioError), so that a silent video can be told apart.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "indexer/audio/audio_format.h"

namespace palimpsest {

struct AudioDecoderOptions {
  AudioFormat format = kSpeechFormat;
  double start_s = 0;          // first output sample at round(start_s * rate)
  double duration_s = -1;      // negative: to the end of the stream
  int stream_index = -1;       // -1: libavformat's best audio stream
  int block_frames = 4096;     // frames per delivered block (the last one may be shorter)
};

// Facts about the source stream, known after opening (notes grow while decoding).
struct AudioSourceInfo {
  std::string container;       // libavformat's name, e.g. "wav", "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;           // decoder name, e.g. "flac", "aac", "mp3float"
  int stream_index = -1;
  int sample_rate = 0;         // the source's own
  int channels = 0;
  std::string channel_layout;  // "mono", "stereo", "5.1(side)"...
  double duration_s = 0;       // what the container declares; 0 when unknown
  bool duration_estimated = false;  // declared from the bit rate only (not trusted for truncation)
  bool has_video = false;      // the file also has a video stream
  // Offset to add to this decoder's positions to get the video stream's timestamps (MediaDecoder
  // frame_ts_ms), for a video's sound track: audio start minus video start. 0 without video.
  double video_offset_s = 0;
  bool resampled = false;      // the source rate differs from the output rate
  bool narrowband = false;     // source at 8 kHz or less: telephone band, nothing above 4 kHz
  bool downmixed = false;      // the source has more channels than the output
  std::vector<std::string> notes;  // one line each: narrowband, downmix, corrupt packets skipped
};

// A block of interleaved samples in the decoder's output format; valid until the next call.
struct AudioBlock {
  std::int64_t start_frame = 0;       // position of the first frame (output rate, stream origin)
  std::int64_t frames = 0;
  const std::int16_t* s16 = nullptr;  // set when the format is s16
  const float* f32 = nullptr;         // set when the format is f32
};

class AudioDecoder {
 public:
  // Opens the file and its audio stream. Throws AudioError (see the rules above) and
  // std::invalid_argument for a bad format or range.
  AudioDecoder(const std::filesystem::path& path, AudioDecoderOptions options = {});
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  const AudioSourceInfo& info() const;
  const AudioFormat& format() const;

  // The next block; false at the end of the range or stream. Throws AudioError at the end when
  // the stream proved empty, truncated or undecodable.
  bool next(AudioBlock& block);

  std::int64_t frames_delivered() const;
  int corrupt_packets() const;
  // Largest number of output frames the decoder held at once (pending output plus the
  // resampler's delay): bounded, whatever the stream's length.
  std::int64_t peak_buffered_frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes a whole file or range through `sink`; returns the decoder's facts.
AudioSourceInfo decode_audio(const std::filesystem::path& path, const AudioDecoderOptions& options,
                             const std::function<void(const AudioBlock&)>& sink);

}  // namespace palimpsest

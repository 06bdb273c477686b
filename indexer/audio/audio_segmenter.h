#pragma once
// Cuts a stream of audio into segments at its silences, streaming, and measures each one.
//
// Analysis runs in one libavfilter graph, `silencedetect` then `ebur128`, fed 100 ms frames:
// silencedetect reports silences (every sample below the threshold for at least min_silence_s)
// to the sample; ebur128 reports each 100 ms block's momentary loudness (the 400 ms window ending
// with it, K-weighted, BS.1770). ebur128 is used rather than astats because a segment's
// integrated loudness is then exactly BS.1770-4's: the gated mean (absolute gate -70 LUFS,
// relative gate -10 LU) of the 400 ms blocks, overlapping by 75%, that lie inside the segment,
// which is why every cut falls on the 100 ms block grid.
//
// Cutting rules (all lengths rounded to 100 ms blocks):
// - A silence long enough to hold min_length_s after keeping pad_s of it on each side (none at
//   the stream's ends) becomes its own segment(s), flagged silent; the sound around it ends and
//   starts pad_s inside it.
// - Sound between such silences is one segment when it fits max_length_s; longer stretches are
//   cut at the longest shorter pause that leaves both sides at least min_length_s, else at the
//   quietest point (lowest momentary loudness centred on the cut) inside the bound — never
//   blindly at the maximum.
// - Sound shorter than min_length_s is widened into the silence after it (and absorbs that
//   silence when what would remain of it is shorter than the minimum); a short last segment
//   takes what it lacks from a silent segment before it, else is merged with the one before, or
//   the two are re-cut by the rules above.
// - So every segment lasts between min_length_s and max_length_s, except a whole stream shorter
//   than the minimum, which is one segment.
// Memory is bounded by max_length_s plus about 2 x min_length_s of 100 ms summaries
// (peak_window_blocks), whatever the stream's length.
//
// Loudness is measured on the signal given: feed the source's channels for broadcast-exact
// figures; a mono signal is measured as dual mono (EBU Tech 3341, dual_mono), so the 16 kHz mono
// downmix of a stereo source with correlated channels reads what the stereo source reads, and up
// to 3 LU less when its channels are unrelated.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/waveform.h"

namespace palimpsest {

struct SegmenterOptions {
  double min_length_s = 2.0;
  double max_length_s = 15.0;           // at least twice min_length_s
  double silence_threshold_db = -50.0;  // dBFS sample amplitude below which audio is silent
  double min_silence_s = 0.3;           // the shortest pause that counts as silence (>= 0.2)
  double pad_s = 0.2;                   // sound kept on each side of a long silence
  bool dual_mono = true;                // measure a mono signal as dual mono
};

// How a segment's end was chosen.
enum class SegmentCut {
  silence,      // at the edge of a long silence (sound before it, or the silence itself)
  pause,        // in the middle of a shorter pause, to respect max_length_s
  quiet_point,  // at the quietest 100 ms boundary, no pause being available
  split,        // a long silence split evenly into segments of at most max_length_s
  end,          // the end of the stream
};
std::string_view to_string(SegmentCut cut);

struct AudioSegment {
  int sample_rate = 0;
  std::int64_t start_frame = 0;  // at the analysed signal's rate
  std::int64_t frames = 0;
  double loudness_lufs = -std::numeric_limits<double>::infinity();  // -inf: nothing above -70 LUFS
  double peak_dbfs = -std::numeric_limits<double>::infinity();      // sample peak; -inf: digital silence
  bool silent = false;  // every 100 ms of it lies in a silence: the caller may skip it
  SegmentCut cut = SegmentCut::end;
  // Min/max/RMS per 2.5 ms (40 ticks per 100 ms block) for waveform_png.
  std::vector<WaveformColumn> waveform;

  double start_s() const { return static_cast<double>(start_frame) / sample_rate; }
  double duration_s() const { return static_cast<double>(frames) / sample_rate; }
  std::int64_t start_ms() const { return start_frame * 1000 / sample_rate; }
  std::int64_t end_ms() const { return (start_frame + frames) * 1000 / sample_rate; }
};

struct SegmenterStats {
  std::int64_t frames = 0;           // analysed
  std::int64_t segments = 0;
  std::int64_t silent_segments = 0;
  std::int64_t cuts_at_pause = 0;
  std::int64_t cuts_at_quiet_point = 0;
  std::int64_t peak_window_blocks = 0;  // most 100 ms summaries held at once
};

class AudioSegmenter {
 public:
  using SegmentSink = std::function<void(AudioSegment&&)>;

  // `sample_rate` must be a multiple of 10 (100 ms blocks of whole samples). Throws
  // std::invalid_argument for bad options.
  AudioSegmenter(int sample_rate, int channels, SegmenterOptions options, SegmentSink on_segment);
  ~AudioSegmenter();
  AudioSegmenter(const AudioSegmenter&) = delete;
  AudioSegmenter& operator=(const AudioSegmenter&) = delete;

  void push(const float* interleaved, std::int64_t frames);
  void push(const std::int16_t* interleaved, std::int64_t frames);
  void push(const AudioBlock& block);
  // Ends the stream: the remaining segments are delivered.
  void finish();

  const SegmenterStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Names the segmentation — engine and settings — for the records it makes, so that segments made
// with other settings can be recognised: "libavfilter 8.44.100 silencedetect+ebur128: silence
// below -50 dBFS for 0.3 s, segments 2-15 s, pad 0.2 s".
std::string describe(const SegmenterOptions& options);

struct SegmentedAudio {
  AudioSourceInfo source;
  SegmenterStats stats;
};

// Decodes `path` to `analysis` (16 kHz mono by default: one pass serves segmentation and a
// speech recogniser, which `tap` can be) and segments it. Throws AudioError as AudioDecoder does.
SegmentedAudio segment_audio_file(const std::filesystem::path& path, const SegmenterOptions& options,
                                  const AudioSegmenter::SegmentSink& on_segment,
                                  const std::function<void(const AudioBlock&)>& tap = {},
                                  const AudioFormat& analysis = kSpeechFormat);

}  // namespace palimpsest

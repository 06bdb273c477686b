#pragma once
// Mixes a film's soundtrack from clips of archive audio, with exact audio provenance: a pure
// library (no catalog), called by the film renderer.
//
// Input: the film's duration and clips (a source file and stream, a range of it, where it
// starts in the film, a gain, fade lengths, and an opaque record id). Output: 48 kHz stereo float
// PCM for the whole film, streamed in blocks to a sink (memory is bounded by the clips playing at
// once, never by the film's length), and what is heard when.
//
// Rules:
// - Times are seconds, rounded to the nearest 48 kHz sample; the output has exactly
//   round(duration_s * 48000) frames. Where no clip plays the output is exactly zero.
// - A clip's gain envelope is gain x fade-in x fade-out, both fades equal-power (sine/cosine of
//   a quarter period, sampled at frame centres), so that two clips whose fade-out and fade-in
//   cover the same frames keep constant power: g_out^2 + g_in^2 = 1 on every frame.
//   crossfade_at_cuts() makes such overlaps from clips that abut at cuts.
// - Loudness: the mix is measured first (ebur128, BS.1770-4 integrated, true peak), then mixed
//   again with one gain that brings it to target_lufs (EBU R128: -23 LUFS), lowered if the true
//   peak would pass max_true_peak_dbtp and capped at max_gain_db; either limit, or a silent mix,
//   is reported in `warnings`. One gain, no limiter: the provenance stays exact. Sources are
//   decoded twice (two passes); nothing is buffered.
// - Provenance: for every interval of provenance_interval_s (1 s by default; the last one may be
//   shorter), each record heard and its effective gain, the mean over the interval's frames of
//   normalisation x gain x fades (0 on frames where it is not playing). The sum over records is
//   the mean total gain applied; a frame's output is exactly sum_k gain_k[n] x source_k[n]
//   (computed in double, stored as float).
// - A source that cannot be opened or decoded, or runs out before its clip ends, plays as
//   silence there, is not counted as heard, and gets a warning naming the record and the file.
// - Deterministic: the same clips and options give byte-identical PCM.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace palimpsest {

inline constexpr int kSoundtrackRate = 48000;
inline constexpr int kSoundtrackChannels = 2;

struct SoundtrackClip {
  std::filesystem::path source;
  int stream_index = -1;       // -1: the source's best audio stream
  double source_start_s = 0;   // where the clip starts in the source
  double duration_s = 0;
  double film_start_s = 0;     // where it starts in the film (parts outside the film are cut off)
  double gain = 1.0;           // linear amplitude factor, >= 0
  double fade_in_s = 0;        // equal-power ramps inside the clip (scaled down if they overlap)
  double fade_out_s = 0;
  std::int64_t record_id = 0;  // opaque: reported in the provenance
};

struct SoundtrackOptions {
  bool normalise = true;
  double target_lufs = -23.0;
  double max_true_peak_dbtp = -1.0;
  double max_gain_db = 30.0;
  double provenance_interval_s = 1.0;
  int block_frames = 4800;     // frames per block handed to the sink
};

struct HeardRecord {
  std::int64_t record_id = 0;
  double gain = 0;  // mean effective gain over the interval
};

struct SoundtrackResult {
  std::int64_t frames = 0;
  double mix_lufs = -std::numeric_limits<double>::infinity();        // before normalisation
  double mix_true_peak_dbtp = -std::numeric_limits<double>::infinity();
  double gain_db = 0;                                                // the one normalisation gain
  double output_lufs = -std::numeric_limits<double>::infinity();     // measured on the output
  double output_true_peak_dbtp = -std::numeric_limits<double>::infinity();
  double interval_s = 1.0;
  std::vector<std::vector<HeardRecord>> provenance;  // per interval, by record id
  std::vector<std::string> warnings;
};

using PcmSink = std::function<void(const float* interleaved_stereo, std::int64_t frames)>;

// Mixes the soundtrack into `sink`. Throws std::invalid_argument for a negative or non-finite
// duration, gain, fade or interval.
SoundtrackResult mix_soundtrack(double film_duration_s, const std::vector<SoundtrackClip>& clips,
                                const SoundtrackOptions& options, const PcmSink& sink);

// Clips that abut at a cut (one ends within a frame of where another, later one starts) are
// made to overlap by `crossfade_s`, half on each side of the cut: the earlier one is extended
// and fades out over the overlap, the later one starts earlier in film and source and fades in
// over it. Extensions are limited by the start of the later clip's source, the film's start, and
// the clips' own lengths. Other clips are returned unchanged; the order is kept.
std::vector<SoundtrackClip> crossfade_at_cuts(std::vector<SoundtrackClip> clips, double crossfade_s);

}  // namespace palimpsest

#include "indexer/audio/audio_segmenter.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <optional>
#include <stdexcept>

#include "indexer/audio/audio_filter_graph.h"

extern "C" {
#include <libavfilter/avfilter.h>
}

namespace palimpsest {
namespace {

constexpr int kTicksPerBlock = 40;  // 2.5 ms waveform ticks
// Frame timestamps given to the graph wrap every 100 s: silencedetect prints its times with six
// significant digits, which would round to 0.1 s in a three-hour file. Times are made absolute
// again from the frame that reports them.
constexpr std::int64_t kWrapBlocks = 1000;
constexpr double kAbsoluteGateLufs = -70.0;
constexpr double kRelativeGateLu = -10.0;

double energy_of(double lufs) { return std::pow(10.0, (lufs + 0.691) / 10.0); }
double lufs_of(double energy) { return -0.691 + 10.0 * std::log10(energy); }

struct Block {
  std::int64_t frames = 0;  // real samples; only the last block may be partial
  double momentary = std::nan("");  // LUFS of the 400 ms ending with this block; NaN: unmeasured
  float peak = 0;
  bool silent = false;
  int tick_count = 0;
  std::array<WaveformColumn, kTicksPerBlock> ticks{};
};

struct Span {
  std::int64_t first = 0;  // blocks [first, last)
  std::int64_t last = 0;
  SegmentCut cut = SegmentCut::end;
};

std::int64_t blocks_of(double seconds) { return std::llround(seconds * 10.0); }

}  // namespace

std::string_view to_string(SegmentCut cut) {
  switch (cut) {
    case SegmentCut::silence: return "silence";
    case SegmentCut::pause: return "pause";
    case SegmentCut::quiet_point: return "quiet_point";
    case SegmentCut::split: return "split";
    case SegmentCut::end: return "end";
  }
  return "?";
}

struct AudioSegmenter::Impl {
  int rate = 0;
  int channels = 0;
  SegmenterOptions options;
  SegmentSink sink;
  std::int64_t block_frames = 0;  // rate / 10
  std::int64_t min_blocks = 0, max_blocks = 0, pad_blocks = 0;
  std::int64_t min_silence_frames = 0;
  std::int64_t lag = 0;        // blocks until silencedetect has spoken about a block
  std::int64_t lookahead = 0;  // final blocks needed past a segment start to decide its end
  std::unique_ptr<AudioFilterGraph> graph;

  std::vector<double> buffer;  // the block being filled
  std::int64_t filled = 0;
  std::deque<Block> blocks;    // the window: blocks [first, first + size)
  std::int64_t first = 0;
  std::int64_t pushed = 0;     // blocks sent to the graph
  std::int64_t measured = 0;   // blocks whose analysis came back
  std::int64_t final_blocks = 0;
  bool in_silence = false;
  std::int64_t silence_from = 0;  // frames
  bool padded_last = false;

  bool ended = false;
  std::int64_t total_frames = 0;
  std::int64_t total_blocks = 0;
  std::int64_t start = 0;      // first block of the next segment
  std::optional<Span> held;    // decided but not delivered (a short last segment may join it)
  SegmenterStats stats;

  Block& block(std::int64_t i) { return blocks[static_cast<std::size_t>(i - first)]; }
  bool silent(std::int64_t i) { return block(i).silent; }
  std::int64_t run_end(std::int64_t i, std::int64_t limit) {
    while (i < limit && silent(i)) ++i;
    return i;
  }

  void mark_silent(std::int64_t from_frame, std::int64_t to_frame) {
    if (to_frame <= from_frame) return;
    std::int64_t i = std::max(first, (from_frame + block_frames - 1) / block_frames);
    for (; i < first + static_cast<std::int64_t>(blocks.size()); ++i) {
      Block& b = block(i);
      if (i * block_frames + b.frames > to_frame) break;
      b.silent = true;
    }
  }

  void analyse(const FilterMetadata& metadata, std::int64_t j) {
    Block& b = block(j);
    if (const std::string* m = find_metadata(metadata, "lavfi.r128.M")) {
      if (j >= 3 && b.frames == block_frames) {
        const double value = std::strtod(m->c_str(), nullptr);  // ebur128 says "nan" for digital silence
        b.momentary = std::isnan(value) ? -std::numeric_limits<double>::infinity() : value;
      }
    }
    const std::int64_t fake = (j % kWrapBlocks) * block_frames;
    auto absolute = [&](const std::string& seconds) {
      return j * block_frames + (std::llround(std::strtod(seconds.c_str(), nullptr) * rate) - fake);
    };
    if (const std::string* s = find_metadata(metadata, "lavfi.silence_start")) {
      in_silence = true;
      silence_from = std::max<std::int64_t>(0, absolute(*s));
    }
    if (const std::string* e = find_metadata(metadata, "lavfi.silence_end")) {
      if (in_silence) mark_silent(silence_from, absolute(*e));
      in_silence = false;
    }
    // An ongoing silence covers this block; the zero-padded last block is judged in finish().
    const bool padded = padded_last && j == pushed - 1;
    if (in_silence && !padded) mark_silent(silence_from, (j + 1) * block_frames);
  }

  void drain_graph() {
    FilterMetadata metadata;
    int frames = 0;
    while (graph->pull(metadata, frames)) analyse(metadata, measured++);
  }

  void process_block() {
    Block b;
    b.frames = filled;
    const double* samples = buffer.data();
    for (int k = 0; k < kTicksPerBlock; ++k) {
      const std::int64_t s = k * block_frames / kTicksPerBlock;
      const std::int64_t e = std::min(filled, (k + 1) * block_frames / kTicksPerBlock);
      if (s >= e) break;
      WaveformColumn& t = b.ticks[k];
      double lo = samples[s * channels], hi = lo, squares = 0;
      for (std::int64_t i = s * channels; i < e * channels; ++i) {
        const double v = samples[i];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        squares += v * v;
      }
      t.min = static_cast<float>(lo);
      t.max = static_cast<float>(hi);
      t.rms = static_cast<float>(std::sqrt(squares / static_cast<double>((e - s) * channels)));
      b.peak = std::max({b.peak, std::abs(t.min), std::abs(t.max)});
      b.tick_count = k + 1;
    }
    if (filled < block_frames) {
      std::fill(buffer.begin() + filled * channels, buffer.end(), 0.0);
      padded_last = true;
    }
    blocks.push_back(b);
    stats.peak_window_blocks = std::max<std::int64_t>(stats.peak_window_blocks, blocks.size());
    graph->push(buffer.data(), static_cast<int>(block_frames), (pushed % kWrapBlocks) * block_frames);
    ++pushed;
    filled = 0;
    drain_graph();
    final_blocks = std::max<std::int64_t>(0, measured - lag);
    decide(false);
  }

  // Where to cut inside [lo, hi] (blocks): the middle of the longest pause whose middle lies
  // there, else the boundary whose centred 400 ms window is quietest. Ties go to the later cut.
  std::pair<std::int64_t, SegmentCut> best_cut(std::int64_t from, std::int64_t lo, std::int64_t hi,
                                               std::int64_t limit) {
    std::int64_t best = -1, best_length = 0;
    for (std::int64_t j = from; j <= hi && j < limit;) {
      if (!silent(j)) {
        ++j;
        continue;
      }
      const std::int64_t b = run_end(j, limit);
      const std::int64_t middle = (j + b) / 2;
      if (middle >= lo && middle <= hi && b - j >= best_length) {
        best = middle;
        best_length = b - j;
      }
      j = b;
    }
    if (best >= 0) return {best, SegmentCut::pause};
    double quietest = std::numeric_limits<double>::infinity();
    best = hi;
    for (std::int64_t c = lo; c <= hi; ++c) {
      // Block c+1's momentary window covers blocks c-2 .. c+1: centred on the boundary c.
      if (c + 1 >= limit) break;
      const double m = block(c + 1).momentary;
      if (!std::isnan(m) && m <= quietest) {
        quietest = m;
        best = c;
      }
    }
    return {best, SegmentCut::quiet_point};
  }

  // Real frames in blocks [a, b) (the last block of the stream may be partial).
  std::int64_t frames_in(std::int64_t a, std::int64_t b) const {
    return std::min(b * block_frames, total_frames) - a * block_frames;
  }
  // The last block at which a segment reaching the end of the stream may start and still last
  // min_length_s.
  std::int64_t last_start_at_end() const { return total_frames / block_frames - min_blocks; }

  void emit(std::int64_t a, std::int64_t b, SegmentCut cut, bool at_end) {
    const std::int64_t short_by = min_blocks * block_frames - frames_in(a, b);
    if (at_end && b == total_blocks && held && short_by > 0) {
      // A short last segment takes what it lacks from a silent segment before it, else joins the
      // one before, or the two are re-cut by the usual rules.
      const std::int64_t joined_start = held->first;
      const std::int64_t lacking = (short_by + block_frames - 1) / block_frames;
      bool held_silent = true;
      for (std::int64_t i = held->first; i < held->last && held_silent; ++i) held_silent = silent(i);
      if (held_silent && held->last - held->first - lacking >= min_blocks) {
        held->last -= lacking;
        deliver(*held);
        held = Span{a - lacking, b, cut};
      } else if (b - joined_start <= max_blocks) {
        held = Span{joined_start, b, SegmentCut::end};
      } else {
        const auto [c, how] = best_cut(joined_start, joined_start + min_blocks, last_start_at_end(), b);
        deliver(Span{joined_start, c, how});
        held = Span{c, b, SegmentCut::end};
      }
    } else {
      if (held) deliver(*held);
      held = Span{a, b, cut};
    }
    start = b;
    const std::int64_t keep_from = std::min(held->first, start);
    while (first < keep_from && !blocks.empty()) {
      blocks.pop_front();
      ++first;
    }
  }

  void decide(bool at_end) {
    const std::int64_t limit = at_end ? total_blocks : final_blocks;
    while (start < limit) {
      const std::int64_t s = start;
      if (!at_end && limit - s < lookahead) return;
      std::int64_t scan = s + 1;
      if (silent(s)) {
        const std::int64_t b = run_end(s, limit);
        if (!at_end && b == limit) {  // a silence longer than the lookahead: cut it at the maximum
          emit(s, s + max_blocks, SegmentCut::split, at_end);
          continue;
        }
        const bool touches_end = at_end && b == total_blocks;
        const std::int64_t region_end = b - (touches_end ? 0 : pad_blocks);
        const std::int64_t length = region_end - s;
        if (length >= min_blocks) {
          if (length <= max_blocks) {
            emit(s, region_end, touches_end ? SegmentCut::end : SegmentCut::silence, at_end);
          } else if (length - max_blocks >= min_blocks) {
            emit(s, s + max_blocks, SegmentCut::split, at_end);
          } else {
            emit(s, s + length / 2, SegmentCut::split, at_end);
          }
          continue;
        }
        scan = b;  // a short silence opens a segment of sound
      }
      // Sound from s: find the first silence long enough to be a segment of its own.
      const std::int64_t horizon = s + max_blocks + min_blocks;
      std::int64_t sound_end = -1, run_stop = -1;
      for (std::int64_t j = scan; j < limit && j <= horizon;) {
        if (!silent(j)) {
          ++j;
          continue;
        }
        const std::int64_t b = run_end(j, limit);
        const bool touches_end = at_end && b == total_blocks;
        if ((b - j) - pad_blocks - (touches_end ? 0 : pad_blocks) >= min_blocks) {
          sound_end = j + pad_blocks;
          run_stop = b;
          break;
        }
        j = b;
      }
      if (sound_end >= 0 && sound_end - s <= max_blocks) {
        if (sound_end - s >= min_blocks) {
          emit(s, sound_end, SegmentCut::silence, at_end);
        } else {
          // Too short: widen it into the silence, or take all of that silence if what would
          // remain of it could not be a segment.
          const bool touches_end = at_end && run_stop == total_blocks;
          const std::int64_t region_end = run_stop - (touches_end ? 0 : pad_blocks);
          const std::int64_t widened = s + min_blocks;
          if (region_end - widened < min_blocks) {
            emit(s, region_end, touches_end ? SegmentCut::end : SegmentCut::silence, at_end);
          } else {
            emit(s, widened, SegmentCut::silence, at_end);
          }
        }
        continue;
      }
      if (sound_end < 0 && at_end && limit - s <= max_blocks) {
        emit(s, limit, SegmentCut::end, at_end);
        continue;
      }
      std::int64_t hi = s + max_blocks;
      if (sound_end >= 0 && sound_end - s <= max_blocks + min_blocks) hi = sound_end - min_blocks;
      if (sound_end < 0 && at_end && limit - s <= max_blocks + min_blocks) hi = last_start_at_end();
      const auto [c, how] = best_cut(s, s + min_blocks, hi, limit);
      emit(s, c, how, at_end);
    }
  }

  void deliver(const Span& span) {
    AudioSegment segment;
    segment.sample_rate = rate;
    segment.start_frame = span.first * block_frames;
    segment.frames = std::min(span.last * block_frames, total_frames) - segment.start_frame;
    segment.cut = span.cut;
    segment.silent = true;
    float peak = 0;
    std::vector<double> energies;
    for (std::int64_t i = span.first; i < span.last; ++i) {
      const Block& b = block(i);
      segment.silent = segment.silent && b.silent;
      peak = std::max(peak, b.peak);
      segment.waveform.insert(segment.waveform.end(), b.ticks.begin(), b.ticks.begin() + b.tick_count);
      if (i >= span.first + 3 && !std::isnan(b.momentary) && b.momentary > kAbsoluteGateLufs) {
        energies.push_back(energy_of(b.momentary));
      }
    }
    if (!energies.empty()) {
      double sum = 0;
      for (double e : energies) sum += e;
      const double relative_gate = lufs_of(sum / energies.size()) + kRelativeGateLu;
      double kept = 0;
      std::size_t count = 0;
      for (double e : energies) {
        if (lufs_of(e) > relative_gate) {
          kept += e;
          ++count;
        }
      }
      if (count > 0) segment.loudness_lufs = lufs_of(kept / count);
    }
    if (peak > 0) segment.peak_dbfs = 20.0 * std::log10(peak);
    ++stats.segments;
    if (segment.silent) ++stats.silent_segments;
    if (span.cut == SegmentCut::pause) ++stats.cuts_at_pause;
    if (span.cut == SegmentCut::quiet_point) ++stats.cuts_at_quiet_point;
    sink(std::move(segment));
  }

  template <typename Sample>
  void push_samples(const Sample* samples, std::int64_t frames, double scale) {
    if (ended) throw std::logic_error("AudioSegmenter::push after finish()");
    std::int64_t i = 0;
    while (i < frames) {
      const std::int64_t take = std::min(frames - i, block_frames - filled);
      const Sample* from = samples + i * channels;
      double* to = buffer.data() + filled * channels;
      for (std::int64_t k = 0; k < take * channels; ++k) to[k] = from[k] * scale;
      filled += take;
      i += take;
      total_frames += take;
      if (filled == block_frames) process_block();
    }
  }
};

AudioSegmenter::AudioSegmenter(int sample_rate, int channels, SegmenterOptions options, SegmentSink on_segment)
    : impl_(std::make_unique<Impl>()) {
  if (sample_rate < 1000 || sample_rate % 10 != 0) {
    throw std::invalid_argument("segmenter sample rate must be a multiple of 10 Hz, got " + std::to_string(sample_rate));
  }
  if (channels < 1 || channels > 8) throw std::invalid_argument("segmenter needs 1 to 8 channels");
  Impl& d = *impl_;
  d.min_blocks = blocks_of(options.min_length_s);
  d.max_blocks = blocks_of(options.max_length_s);
  d.pad_blocks = blocks_of(options.pad_s);
  if (d.min_blocks < 1 || d.max_blocks < 2 * d.min_blocks) {
    throw std::invalid_argument("segment lengths need 0.1 s <= min and max >= 2 x min");
  }
  if (d.pad_blocks < 0 || !(options.min_silence_s >= 0.2) || !(options.silence_threshold_db < 0)) {
    throw std::invalid_argument("segmenter needs pad >= 0, min_silence >= 0.2 s and a threshold below 0 dBFS");
  }
  if (!on_segment) throw std::invalid_argument("segmenter needs a segment sink");
  d.rate = sample_rate;
  d.channels = channels;
  d.options = options;
  d.sink = std::move(on_segment);
  d.block_frames = sample_rate / 10;
  d.min_silence_frames = std::llround(options.min_silence_s * sample_rate);
  d.lag = static_cast<std::int64_t>(std::ceil(options.min_silence_s * 10.0)) + 2;
  d.lookahead = d.max_blocks + 2 * d.min_blocks + 2 * d.pad_blocks + 2;
  d.buffer.assign(static_cast<std::size_t>(d.block_frames * channels), 0.0);
  char chain[256];
  std::snprintf(chain, sizeof(chain), "silencedetect=n=%.3fdB:d=%.3f,ebur128=metadata=1%s",
                options.silence_threshold_db, options.min_silence_s,
                channels == 1 && options.dual_mono ? ":dualmono=true" : "");
  d.graph = std::make_unique<AudioFilterGraph>(sample_rate, channels, chain);
}

AudioSegmenter::~AudioSegmenter() = default;

void AudioSegmenter::push(const float* interleaved, std::int64_t frames) {
  impl_->push_samples(interleaved, frames, 1.0);
}

void AudioSegmenter::push(const std::int16_t* interleaved, std::int64_t frames) {
  impl_->push_samples(interleaved, frames, 1.0 / 32768.0);
}

void AudioSegmenter::push(const AudioBlock& block) {
  if (block.s16) push(block.s16, block.frames);
  else if (block.f32) push(block.f32, block.frames);
}

void AudioSegmenter::finish() {
  Impl& d = *impl_;
  if (d.ended) return;
  if (d.filled > 0) d.process_block();
  d.graph->close();
  d.drain_graph();
  d.ended = true;
  d.total_blocks = d.pushed;
  // A silence still running at the end counts if it lasted long enough within the real samples
  // (the zero padding of the last block must not make one).
  if (d.in_silence && d.total_frames - d.silence_from >= d.min_silence_frames) {
    d.mark_silent(d.silence_from, d.total_frames);
  }
  d.final_blocks = d.total_blocks;
  d.decide(true);
  if (d.held) d.deliver(*d.held);
  d.held.reset();
  d.stats.frames = d.total_frames;
}

const SegmenterStats& AudioSegmenter::stats() const { return impl_->stats; }

std::string describe(const SegmenterOptions& options) {
  const unsigned version = avfilter_version();
  char text[256];
  std::snprintf(text, sizeof(text),
                "libavfilter %u.%u.%u silencedetect+ebur128: silence below %g dBFS for %g s, segments %g-%g s, pad %g s",
                AV_VERSION_MAJOR(version), AV_VERSION_MINOR(version), AV_VERSION_MICRO(version),
                options.silence_threshold_db, options.min_silence_s, options.min_length_s, options.max_length_s,
                options.pad_s);
  return text;
}

SegmentedAudio segment_audio_file(const std::filesystem::path& path, const SegmenterOptions& options,
                                  const AudioSegmenter::SegmentSink& on_segment,
                                  const std::function<void(const AudioBlock&)>& tap,
                                  const AudioFormat& analysis) {
  AudioDecoderOptions decoder_options;
  decoder_options.format = analysis;
  AudioDecoder decoder(path, decoder_options);
  AudioSegmenter segmenter(analysis.sample_rate, analysis.channels, options, on_segment);
  AudioBlock block;
  while (decoder.next(block)) {
    if (tap) tap(block);
    segmenter.push(block);
  }
  segmenter.finish();
  return {decoder.info(), segmenter.stats()};
}

}  // namespace palimpsest

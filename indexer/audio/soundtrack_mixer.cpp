#include "indexer/audio/soundtrack_mixer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/loudness_meter.h"

namespace palimpsest {
namespace {

constexpr double kAbutToleranceS = 0.0005;

std::int64_t to_frames(double seconds) { return std::llround(seconds * kSoundtrackRate); }

std::string seconds_text(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f s", s);
  return buffer;
}

std::string db_text(double db) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", db);
  return buffer;
}

void require_finite(double value, bool non_negative, const std::string& what) {
  if (!std::isfinite(value) || (non_negative && value < 0)) {
    throw std::invalid_argument("soundtrack: " + what + " must be a finite" +
                                (non_negative ? " non-negative" : "") + " number");
  }
}

// A clip placed on the film's frame grid, with its envelope.
struct Placement {
  const SoundtrackClip* clip = nullptr;
  std::size_t index = 0;
  std::int64_t start = 0;   // film frame of the clip's first frame (may be < 0: cut off)
  std::int64_t length = 0;  // frames
  std::int64_t fade_in = 0, fade_out = 0;
  std::int64_t source_start = 0;  // source frame (48 kHz) of the clip's first frame
  std::int64_t first = 0, last = 0;  // film frames actually played: [first, last)

  // Gain envelope without the normalisation, at clip-relative frame k.
  double envelope(std::int64_t k) const {
    double g = clip->gain;
    if (k < fade_in) g *= std::sin(std::numbers::pi / 2 * (k + 0.5) / fade_in);
    if (k >= length - fade_out) g *= std::sin(std::numbers::pi / 2 * (length - k - 0.5) / fade_out);
    return g;
  }
};

std::string who(const Placement& p) {
  return "record " + std::to_string(p.clip->record_id) + " (" + p.clip->source.string() + ")";
}

// Reads one clip's source, frame-aligned to the film, through its own decoder.
class ClipReader {
 public:
  ClipReader(const Placement& p, std::vector<std::string>* warnings) : p_(p), warnings_(warnings) {
    AudioDecoderOptions options;
    options.format = AudioFormat{kSoundtrackRate, kSoundtrackChannels, SampleType::f32};
    options.stream_index = p.clip->stream_index;
    options.start_s = static_cast<double>(p.source_start + (p.first - p.start)) / kSoundtrackRate;
    options.duration_s = static_cast<double>(p.last - p.first) / kSoundtrackRate;
    options.block_frames = 4800;
    try {
      decoder_ = std::make_unique<AudioDecoder>(p.clip->source, options);
      opened_ = true;
    } catch (const std::exception& e) {
      warn(reason(e) + "; silent in the soundtrack");
    }
  }

  // Up to `frames` source frames into `out` (interleaved stereo); fewer at its end.
  std::int64_t read(float* out, std::int64_t frames) {
    std::int64_t got = 0;
    while (got < frames && decoder_) {
      if (offset_ == block_.frames) {
        if (!pull()) break;
        continue;
      }
      const std::int64_t take = std::min(frames - got, block_.frames - offset_);
      std::copy_n(block_.f32 + offset_ * kSoundtrackChannels, take * kSoundtrackChannels,
                  out + got * kSoundtrackChannels);
      offset_ += take;
      got += take;
    }
    read_ += got;
    return got;
  }

  // Called when the clip's last film frame has been mixed.
  void close() {
    const std::int64_t wanted = p_.last - p_.first;
    if (opened_ && !failed_ && read_ < wanted) {
      warn("the source ends " + seconds_text(static_cast<double>(wanted - read_) / kSoundtrackRate) +
           " before the clip does; silence instead");
    }
    decoder_.reset();
  }

 private:
  bool pull() {
    try {
      if (decoder_->next(block_)) {
        offset_ = 0;
        return true;
      }
    } catch (const std::exception& e) {
      failed_ = true;
      warn(reason(e) + "; silence after " +
           seconds_text(static_cast<double>(read_) / kSoundtrackRate) + " of the clip");
    }
    decoder_.reset();
    return false;
  }

  // An AudioError's message without the path it starts with (the warning names the file).
  std::string reason(const std::exception& e) const {
    const std::string message = e.what();
    const std::string prefix = p_.clip->source.string() + ": ";
    return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
  }

  void warn(const std::string& message) {
    if (warnings_) warnings_->push_back(who(p_) + ": " + message);
  }

  const Placement& p_;
  std::vector<std::string>* warnings_;
  std::unique_ptr<AudioDecoder> decoder_;
  AudioBlock block_;
  std::int64_t offset_ = 0;
  std::int64_t read_ = 0;
  bool opened_ = false;
  bool failed_ = false;  // a decoding error, already reported
};

struct Mixer {
  std::int64_t total = 0;
  std::int64_t interval = 0;  // provenance interval in frames
  int block_frames = 4800;
  std::vector<Placement> placements;  // by film start, then input order

  // One pass over the film: every block is mixed with `norm` applied and handed to `out`.
  // Provenance and warnings are collected when their pointers are given.
  void run(double norm, const PcmSink& out, std::vector<std::vector<HeardRecord>>* provenance,
           std::vector<std::string>* warnings) const {
    std::vector<std::unique_ptr<ClipReader>> readers(placements.size());
    std::vector<double> mix(static_cast<std::size_t>(block_frames) * kSoundtrackChannels);
    std::vector<float> pcm(mix.size());
    std::vector<float> source(mix.size());
    std::map<std::int64_t, std::map<std::int64_t, double>> open;  // interval -> record -> sum of gains
    std::size_t next = 0;               // first placement not yet started
    std::vector<std::size_t> active;    // placements playing
    if (provenance) provenance->assign(static_cast<std::size_t>((total + interval - 1) / interval), {});

    for (std::int64_t block_start = 0; block_start < total; block_start += block_frames) {
      const std::int64_t block_end = std::min(total, block_start + block_frames);
      std::fill(mix.begin(), mix.end(), 0.0);
      while (next < placements.size() && placements[next].first < block_end) {
        active.push_back(next);
        ++next;
      }
      for (std::size_t a : active) {
        const Placement& p = placements[a];
        const std::int64_t from = std::max(block_start, p.first);
        const std::int64_t to = std::min(block_end, p.last);
        if (from >= to) continue;
        if (!readers[a]) readers[a] = std::make_unique<ClipReader>(p, warnings);
        const std::int64_t got = readers[a]->read(source.data(), to - from);
        std::int64_t current_interval = -1;
        double* sum = nullptr;
        for (std::int64_t i = 0; i < got; ++i) {
          const std::int64_t frame = from + i;
          const double g = norm * p.envelope(frame - p.start);
          double* m = mix.data() + (frame - block_start) * kSoundtrackChannels;
          m[0] += g * source[2 * i];
          m[1] += g * source[2 * i + 1];
          if (provenance) {
            if (frame / interval != current_interval) {
              current_interval = frame / interval;
              sum = &open[current_interval][p.clip->record_id];
            }
            *sum += g;
          }
        }
        if (p.last <= block_end) readers[a]->close();
      }
      std::erase_if(active, [&](std::size_t a) {
        if (placements[a].last > block_end) return false;
        readers[a].reset();
        return true;
      });
      const std::int64_t frames = block_end - block_start;
      for (std::int64_t i = 0; i < frames * kSoundtrackChannels; ++i) pcm[i] = static_cast<float>(mix[i]);
      out(pcm.data(), frames);
      if (provenance) close_intervals(open, block_end, *provenance);
    }
  }

  // Turns the sums of intervals that ended by `upto` into mean gains.
  void close_intervals(std::map<std::int64_t, std::map<std::int64_t, double>>& open, std::int64_t upto,
                       std::vector<std::vector<HeardRecord>>& provenance) const {
    while (!open.empty() && ((open.begin()->first + 1) * interval <= upto || upto == total)) {
      const auto& [index, sums] = *open.begin();
      const std::int64_t length = std::min(total, (index + 1) * interval) - index * interval;
      std::vector<HeardRecord>& heard = provenance[static_cast<std::size_t>(index)];
      for (const auto& [record, sum] : sums) heard.push_back({record, sum / static_cast<double>(length)});
      open.erase(open.begin());
    }
  }
};

}  // namespace

SoundtrackResult mix_soundtrack(double film_duration_s, const std::vector<SoundtrackClip>& clips,
                                const SoundtrackOptions& options, const PcmSink& sink) {
  require_finite(film_duration_s, true, "the film's duration");
  require_finite(options.provenance_interval_s, true, "the provenance interval");
  if (options.provenance_interval_s * kSoundtrackRate < 1) {
    throw std::invalid_argument("soundtrack: the provenance interval must be at least one frame");
  }
  if (options.block_frames < 1) throw std::invalid_argument("soundtrack: block size must be positive");
  if (!sink) throw std::invalid_argument("soundtrack: no sink for the PCM");

  SoundtrackResult result;
  Mixer mixer;
  mixer.total = to_frames(film_duration_s);
  mixer.interval = std::max<std::int64_t>(1, to_frames(options.provenance_interval_s));
  mixer.block_frames = options.block_frames;
  result.frames = mixer.total;
  result.interval_s = static_cast<double>(mixer.interval) / kSoundtrackRate;

  for (std::size_t i = 0; i < clips.size(); ++i) {
    const SoundtrackClip& c = clips[i];
    const std::string what = "clip " + std::to_string(i) + " (record " + std::to_string(c.record_id) + ")";
    require_finite(c.duration_s, true, what + " duration");
    require_finite(c.source_start_s, true, what + " source start");
    require_finite(c.film_start_s, false, what + " film start");
    require_finite(c.gain, true, what + " gain");
    require_finite(c.fade_in_s, true, what + " fade-in");
    require_finite(c.fade_out_s, true, what + " fade-out");
    Placement p;
    p.clip = &c;
    p.index = i;
    // Edges are rounded as film times, so that clips meeting at a time meet at the same frame
    // and a fade-out and a fade-in over the same span cover the same frames.
    const double end_s = c.film_start_s + c.duration_s;
    p.start = to_frames(c.film_start_s);
    p.length = to_frames(end_s) - p.start;
    p.source_start = to_frames(c.source_start_s);
    p.fade_in = std::min(to_frames(c.film_start_s + c.fade_in_s) - p.start, p.length);
    p.fade_out = std::min(p.start + p.length - to_frames(end_s - c.fade_out_s), p.length);
    if (p.fade_in + p.fade_out > p.length) {  // overlapping fades: shrink both in proportion
      const double scale = static_cast<double>(p.length) / static_cast<double>(p.fade_in + p.fade_out);
      p.fade_in = static_cast<std::int64_t>(std::floor(p.fade_in * scale));
      p.fade_out = p.length - p.fade_in;
    }
    p.first = std::clamp<std::int64_t>(p.start, 0, mixer.total);
    p.last = std::clamp<std::int64_t>(p.start + p.length, 0, mixer.total);
    if (p.length == 0 || c.gain == 0) continue;
    if (p.first >= p.last) {
      result.warnings.push_back(who(p) + ": the clip lies outside the film (" + seconds_text(c.film_start_s) +
                                " + " + seconds_text(c.duration_s) + " in a " + seconds_text(film_duration_s) +
                                " film); left out");
      continue;
    }
    mixer.placements.push_back(p);
  }
  std::stable_sort(mixer.placements.begin(), mixer.placements.end(),
                   [](const Placement& a, const Placement& b) { return a.first < b.first; });

  double norm = 1.0;
  if (options.normalise && !mixer.placements.empty()) {
    LoudnessMeter meter(kSoundtrackRate, kSoundtrackChannels, /*true_peak=*/true);
    mixer.run(1.0, [&](const float* pcm, std::int64_t frames) { meter.add(pcm, frames); }, nullptr,
              &result.warnings);
    const LoudnessReading reading = meter.finish();
    result.mix_lufs = reading.integrated_lufs;
    result.mix_true_peak_dbtp = reading.true_peak_dbtp;
    if (!std::isfinite(reading.integrated_lufs)) {
      result.warnings.push_back("the soundtrack is silent (below -70 LUFS): not normalised");
    } else {
      double gain_db = options.target_lufs - reading.integrated_lufs;
      if (gain_db > options.max_gain_db) {
        gain_db = options.max_gain_db;
        result.warnings.push_back("the soundtrack is very quiet (" + db_text(reading.integrated_lufs) +
                                  " LUFS): raised by at most " + db_text(options.max_gain_db) + " dB, to " +
                                  db_text(reading.integrated_lufs + gain_db) + " LUFS instead of " +
                                  db_text(options.target_lufs));
      }
      if (reading.true_peak_dbtp + gain_db > options.max_true_peak_dbtp) {
        gain_db = options.max_true_peak_dbtp - reading.true_peak_dbtp;
        result.warnings.push_back("the soundtrack reaches " + db_text(reading.integrated_lufs + gain_db) +
                                  " LUFS instead of " + db_text(options.target_lufs) +
                                  ": more gain would take its true peak above " +
                                  db_text(options.max_true_peak_dbtp) + " dBTP");
      }
      result.gain_db = gain_db;
      norm = std::pow(10.0, gain_db / 20.0);
    }
  }

  LoudnessMeter output_meter(kSoundtrackRate, kSoundtrackChannels, /*true_peak=*/false);
  const bool first_pass = !(options.normalise && !mixer.placements.empty());
  mixer.run(norm,
            [&](const float* pcm, std::int64_t frames) {
              output_meter.add(pcm, frames);
              sink(pcm, frames);
            },
            &result.provenance, first_pass ? &result.warnings : nullptr);
  const LoudnessReading output = output_meter.finish();
  result.output_lufs = output.integrated_lufs;
  result.output_true_peak_dbtp = std::isfinite(result.mix_true_peak_dbtp)
                                     ? result.mix_true_peak_dbtp + result.gain_db
                                     : output.sample_peak_dbfs;
  return result;
}

std::vector<SoundtrackClip> crossfade_at_cuts(std::vector<SoundtrackClip> clips, double crossfade_s) {
  require_finite(crossfade_s, true, "the cross-fade length");
  const std::vector<SoundtrackClip> original = clips;
  const double half = crossfade_s / 2;
  if (half <= 0) return clips;
  std::vector<bool> joined_after(clips.size(), false), joined_before(clips.size(), false);
  for (std::size_t a = 0; a < original.size(); ++a) {
    const SoundtrackClip& A = original[a];
    const double cut = A.film_start_s + A.duration_s;
    for (std::size_t b = 0; b < original.size(); ++b) {
      const SoundtrackClip& B = original[b];
      if (a == b || joined_after[a] || joined_before[b]) continue;
      if (std::abs(B.film_start_s - cut) > kAbutToleranceS || B.film_start_s <= A.film_start_s) continue;
      const double h = std::min({half, B.source_start_s, B.film_start_s, A.duration_s / 2, B.duration_s / 2});
      if (h <= 0) continue;
      joined_after[a] = joined_before[b] = true;
      clips[a].duration_s += h;
      clips[a].fade_out_s = 2 * h;
      clips[b].film_start_s -= h;
      clips[b].source_start_s -= h;
      clips[b].duration_s += h;
      clips[b].fade_in_s = 2 * h;
      break;
    }
  }
  return clips;
}

}  // namespace palimpsest

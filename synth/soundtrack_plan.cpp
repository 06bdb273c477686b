#include "synth/soundtrack_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "indexer/audio/audio_decoder.h"

namespace palimpsest {
namespace {

std::string seconds_text(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f s", s);
  return buffer;
}

std::string who(const RecordRow& r) { return "record " + std::to_string(r.id) + " (" + r.uri + ")"; }

// Reads each source's facts once; remembers failures so that they are said once.
class Sources {
 public:
  explicit Sources(const SourceSoundProbe& probe) : probe_(probe) {}

  // The record's sound, or nullopt (silent: no audio stream, or unreadable and noted).
  std::optional<SourceSound> of(const RecordRow& r, std::vector<std::string>& notes) {
    auto found = cache_.find(r.uri);
    if (found == cache_.end()) {
      Entry entry;
      try {
        entry.sound = probe_(r.uri);
      } catch (const std::exception& e) {
        entry.error = e.what();
      }
      found = cache_.emplace(r.uri, std::move(entry)).first;
    }
    if (!found->second.error.empty() && reported_.insert(r.uri).second)
      notes.push_back(who(r) + ": cannot be heard (" + found->second.error + "); silent in the soundtrack");
    return found->second.sound;
  }

 private:
  struct Entry {
    std::optional<SourceSound> sound;
    std::string error;
  };
  const SourceSoundProbe& probe_;
  std::map<std::string, Entry> cache_;
  std::set<std::string> reported_;
};

// A clip of `r`'s source from its own time for `duration_s`, placed at `film_start_s`; cut where
// the source's sound ends (said in the notes). nullopt when nothing of it can play.
std::optional<SoundtrackClip> clip_of(const RecordRow& r, const SourceSound& sound, double film_start_s,
                                      double duration_s, double gain, double frame_s,
                                      std::vector<std::string>& notes) {
  SoundtrackClip c;
  c.source = r.uri;
  c.record_id = r.id;
  c.gain = gain;
  c.film_start_s = film_start_s;
  c.duration_s = duration_s;
  c.source_start_s = static_cast<double>(r.ts_ms) / 1000.0 - sound.video_offset_s;
  if (c.source_start_s < 0) {  // the picture starts before its sound does
    c.film_start_s -= c.source_start_s;
    c.duration_s += c.source_start_s;
    c.source_start_s = 0;
  }
  if (sound.duration_s > 0 && c.source_start_s + c.duration_s > sound.duration_s) {
    const double available = std::max(0.0, sound.duration_s - c.source_start_s);
    if (duration_s - available > frame_s)
      notes.push_back(who(r) + ": its sound ends " + seconds_text(c.duration_s - available) +
                      " before its place in the film does; silence there");
    c.duration_s = available;
  }
  if (c.duration_s <= 0) return std::nullopt;
  return c;
}

// Equal-power ramps on every edge that did not become a cross-fade.
void ramp_open_edges(std::vector<SoundtrackClip>& clips) {
  for (SoundtrackClip& c : clips) {
    if (c.fade_in_s == 0) c.fade_in_s = std::min(kEdgeFadeS, c.duration_s / 2);
    if (c.fade_out_s == 0) c.fade_out_s = std::min(kEdgeFadeS, c.duration_s / 2);
  }
}

bool is_sound(RecordKind kind) { return kind == RecordKind::audio || kind == RecordKind::speech; }

}  // namespace

SourceSoundProbe probe_source_sound() {
  auto cache = std::make_shared<std::map<std::filesystem::path, std::optional<SourceSound>>>();
  return [cache](const std::filesystem::path& path) -> std::optional<SourceSound> {
    if (auto found = cache->find(path); found != cache->end()) return found->second;
    std::optional<SourceSound> sound;
    try {
      AudioDecoderOptions options;
      options.format = kSoundtrackFormat;
      AudioDecoder decoder(path, options);
      sound = SourceSound{decoder.info().duration_s, decoder.info().video_offset_s};
    } catch (const NoAudioStreamError&) {
      sound = std::nullopt;
    }
    (*cache)[path] = sound;
    return sound;
  };
}

double sound_interval_s(double fps) {
  const double samples = kSoundtrackRate / fps;
  return std::abs(samples - std::round(samples)) < 1e-9 ? 1.0 / fps : 1.0;
}

SoundtrackPlan plan_soundtrack(const Timeline& timeline, const SoundRecordLookup& record,
                               const SourceSoundProbe& probe) {
  SoundtrackPlan plan;
  const double fps = timeline.fps;
  const double frame_s = 1.0 / fps;
  plan.duration_s = static_cast<double>(timeline.frame_count) / fps;
  plan.interval_s = sound_interval_s(fps);
  plan.per_frame = std::abs(plan.interval_s - frame_s) < 1e-12;
  Sources sources(probe);

  std::vector<SoundtrackClip> picture;                         // track 0
  std::vector<std::vector<SoundtrackClip>> guidance(kMaxGuidanceSounds);  // one track per rank
  for (const Shot& shot : timeline.shots) {
    const std::int64_t end = std::min(shot.end_frame, timeline.frame_count);
    if (shot.start_frame >= end) continue;
    std::set<std::int64_t> negative;
    for (const NegativeRecord& n : shot.negatives) negative.insert(n.record_id);

    // Picture sound: the keyframes the frame plans draw, in anchor order.
    std::vector<std::pair<ShotKeyframe, RecordRow>> keys;
    for (const ShotKeyframe& k : shot.keyframes) {
      if (negative.count(k.record_id)) continue;
      std::optional<RecordRow> r = record(k.record_id);
      if (r && (r->kind == RecordKind::frame || r->kind == RecordKind::image)) keys.emplace_back(k, std::move(*r));
    }
    std::stable_sort(keys.begin(), keys.end(),
                     [](const auto& a, const auto& b) { return a.first.frame < b.first.frame; });
    bool shot_has_picture_sound = false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const RecordRow& r = keys[i].second;
      if (r.kind != RecordKind::frame) continue;
      const std::int64_t from = i == 0 ? shot.start_frame : std::clamp(keys[i].first.frame, shot.start_frame, end);
      const std::int64_t to = i + 1 < keys.size() ? std::clamp(keys[i + 1].first.frame, from, end) : end;
      if (from >= to) continue;
      const std::optional<SourceSound> sound = sources.of(r, plan.notes);
      if (!sound) continue;
      const double start_s = static_cast<double>(from) / fps;
      const double length_s = static_cast<double>(to - from) / fps;
      std::optional<SoundtrackClip> c = clip_of(r, *sound, start_s, length_s, kPictureGain, frame_s, plan.notes);
      if (!c) continue;
      shot_has_picture_sound = true;
      if (!picture.empty()) {
        SoundtrackClip& last = picture.back();
        const double last_end = last.film_start_s + last.duration_s;
        if (last.source == c->source && std::abs(last_end - c->film_start_s) < 1e-9 &&
            std::abs(last.source_start_s + last.duration_s - c->source_start_s) <= frame_s + 1e-9 &&
            last.record_id == c->record_id) {
          last.duration_s += c->duration_s;  // the same record's sound simply goes on
          continue;
        }
      }
      picture.push_back(std::move(*c));
    }

    // Guidance sound.
    std::vector<std::pair<GuidanceRecord, RecordRow>> sounding;
    for (const GuidanceRecord& g : shot.guidance) {
      if (negative.count(g.record_id) || g.weight <= 0) continue;
      std::optional<RecordRow> r = record(g.record_id);
      if (r && is_sound(r->kind)) sounding.emplace_back(g, std::move(*r));
    }
    std::stable_sort(sounding.begin(), sounding.end(), [](const auto& a, const auto& b) {
      return a.first.weight != b.first.weight ? a.first.weight > b.first.weight : a.first.record_id < b.first.record_id;
    });
    if (sounding.size() > static_cast<std::size_t>(kMaxGuidanceSounds)) sounding.resize(kMaxGuidanceSounds);
    double total = 0;
    for (const auto& [g, r] : sounding) total += g.weight;
    const double start_s = static_cast<double>(shot.start_frame) / fps;
    const double shot_s = static_cast<double>(end - shot.start_frame) / fps;
    for (std::size_t rank = 0; rank < sounding.size(); ++rank) {
      const auto& [g, r] = sounding[rank];
      const std::optional<SourceSound> sound = sources.of(r, plan.notes);
      if (!sound) continue;
      const double gain = g.weight / total * (shot_has_picture_sound ? kUnderPictureGain : 1.0);
      const double wanted = r.dur_ms ? std::min(shot_s, static_cast<double>(*r.dur_ms) / 1000.0) : shot_s;
      if (std::optional<SoundtrackClip> c = clip_of(r, *sound, start_s, wanted, gain, frame_s, plan.notes))
        guidance[rank].push_back(std::move(*c));
    }
  }

  guidance.insert(guidance.begin(), std::move(picture));
  for (std::vector<SoundtrackClip>& track : guidance) {
    std::vector<SoundtrackClip> faded = crossfade_at_cuts(std::move(track), kCrossfadeS);
    ramp_open_edges(faded);
    plan.clips.insert(plan.clips.end(), faded.begin(), faded.end());
  }
  return plan;
}

}  // namespace palimpsest

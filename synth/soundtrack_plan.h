#pragma once
// What a film sounds like: the clips of archive audio that play under its shots, planned from its
// timeline and the records the timeline names. The film renderer mixes them into the MP4
// (indexer/audio/soundtrack_mixer.h, soundtrack_muxer.h), with exact provenance per interval.
//
// Rules:
// - The soundtrack lasts exactly the film: frame_count / fps seconds. Where no clip plays it is
//   silence (exact zeros before encoding).
// - Picture sound: a keyframe that is a frame of a video holds the span of its shot from its
//   anchor frame to the next keyframe's anchor (the first one from the shot's start, the last one
//   to the shot's end), and plays its video's sound there from the keyframe's own time (ts_ms), at
//   gain kPictureGain. Keyframes that are stills, keyframes near the shot's negative prompt, shots
//   that borrow another shot's pictures and gaps between shots are silent. Spans of one video that
//   continue each other in its time (within a frame) are one clip.
// - Guidance sound: `audio` and `speech` records among a shot's guidance (not near its negative
//   prompt) play under the shot from its first frame, from the record's start (ts_ms) for its
//   duration (dur_ms; the shot's length when it has none), cut at the shot's end. At most
//   kMaxGuidanceSounds of them, largest weight first (then smaller record id). Gain: the record's
//   weight / the sum of the weights of the shot's sounding guidance records, times
//   kUnderPictureGain when the shot's keyframes carry sound, so the sound the text chose is heard
//   under the picture's own; the gains of a shot's guidance sounds add up to 1 (or 0.5).
// - Edges: clips of one track (the picture sound; the first, second... guidance sound of every
//   shot) that meet at a cut cross-fade over kCrossfadeS (equal power, half on each side:
//   crossfade_at_cuts); every other clip edge is a kEdgeFadeS equal-power ramp inside the clip,
//   so that nothing clicks. Fades are part of the gains the provenance reports.
// - Times: frame and record times of a video are the video stream's; its audio stream's offset
//   from them (AudioSourceInfo::video_offset_s) is taken off. A clip is cut where its source's
//   sound ends, and that is said in the notes. A video without an audio stream is silent (not an
//   error); a source that cannot be read is silent and named in the notes.
// - Provenance interval: one film frame when a frame is a whole number of 48 kHz samples
//   (48000 / fps: 12, 24, 25, 30, 48, 50, 60 fps...), else one second.
// - Deterministic: the same timeline, records and files give the same clips.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "indexer/audio/soundtrack_mixer.h"
#include "retrieval/timeline/timeline.h"
#include "schema/catalog_rows.h"

namespace palimpsest {

inline constexpr double kPictureGain = 1.0;
inline constexpr double kUnderPictureGain = 0.5;
inline constexpr int kMaxGuidanceSounds = 3;
inline constexpr double kCrossfadeS = 0.25;
inline constexpr double kEdgeFadeS = 0.05;

// A record of the catalog by id; nullopt when it is unknown.
using SoundRecordLookup = std::function<std::optional<RecordRow>(std::int64_t record_id)>;

// What the plan needs of a source file's sound.
struct SourceSound {
  double duration_s = 0;      // declared length of its audio (0: unknown)
  double video_offset_s = 0;  // audio positions + this = the video stream's times
};
// nullopt for a file without an audio stream; throws (any exception, its what() one line) when
// the file cannot be read.
using SourceSoundProbe = std::function<std::optional<SourceSound>(const std::filesystem::path&)>;

// The probe over libav (AudioDecoder's facts), each file opened once per probe object.
SourceSoundProbe probe_source_sound();

struct SoundtrackPlan {
  double duration_s = 0;
  double interval_s = 1.0;  // the provenance interval (see the rules)
  bool per_frame = false;   // the interval is one frame
  std::vector<SoundtrackClip> clips;
  std::vector<std::string> notes;  // sources that could not be read, clips cut short
};

// The provenance interval for a film at `fps`: 1 / fps when that is a whole number of samples at
// kSoundtrackRate, else 1 s.
double sound_interval_s(double fps);

SoundtrackPlan plan_soundtrack(const Timeline& timeline, const SoundRecordLookup& record,
                               const SourceSoundProbe& probe);

}  // namespace palimpsest

#pragma once
// A small archive that sounds, made in the test (tests/synth and tests/cli): a video (mpeg4 +
// AAC, 8 s at 12 fps) whose sound is a rising chirp, frame records of it at 1 s and 3 s, a
// still, and an audio file (a 1 kHz tone) with one audio record; and a planned film over them:
//   shot 0, frames [0, 24):  keyframe: the video's frame at 3 s  -> the chirp from 3 s
//   shot 1, frames [24, 48): keyframe: the still                 -> silence
//   shot 2, frames [48, 72): keyframe: the video's frame at 1 s  -> the chirp from 1 s, and
//                            guidance: the tone (0.6) and a text (0.4) -> the tone at 0.5 under it
#include <cmath>
#include <filesystem>
#include <numbers>

#include "indexer/media/image_codec.h"
#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/parameters.h"
#include "schema/catalog.h"
#include "schema/film_store.h"
#include "tests/audio/audio_test_media.h"

namespace palimpsest::testing {

inline constexpr double kChirpAmplitude = 0.3;

// The video's sound at `t` seconds: a chirp rising from 220 Hz by 60 Hz a second.
inline double chirp(double t) {
  return kChirpAmplitude * std::sin(2 * std::numbers::pi * (220 * t + 30 * t * t));
}

struct SoundArchive {
  std::filesystem::path video, tone;
  std::int64_t frame_at_3s = 0, frame_at_1s = 0, still = 0, tone_record = 0, text = 0;
  std::int64_t film = 0;
};

inline std::string solid_jpeg(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  RgbImage img(32, 24);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x) {
      std::uint8_t* p = img.row(y) + 3 * x;
      const bool spot = (x / 4 + y / 4) % 2 == 0;
      p[0] = spot ? r : 255 - r;
      p[1] = spot ? g : 255 - g;
      p[2] = spot ? b : 255 - b;
    }
  return encode_jpeg(img, 95);
}

// Writes the media into `dir` (when missing), the records and the film into `catalog`.
inline SoundArchive make_sound_archive(Catalog& catalog, const std::filesystem::path& dir) {
  SoundArchive a;
  a.video = dir / "chirp.mp4";
  a.tone = dir / "tone.wav";
  if (!std::filesystem::exists(a.video))
    write_mp4_with_sound(a.video, 96, 12, 8 * 48000, [](std::int64_t first, std::int64_t count, float* out) {
      for (std::int64_t i = 0; i < count; ++i)
        out[2 * i] = out[2 * i + 1] = static_cast<float>(chirp(static_cast<double>(first + i) / 48000));
    });
  if (!std::filesystem::exists(a.tone))
    write_audio_file(a.tone, "wav", {"pcm_s16le", 48000, 1, 0, {}}, 4 * 48000, tone(48000, 1, 1000, 0.3));

  const std::int64_t archive = catalog.ensure_archive("sound", dir.string());
  auto add_source = [&](const std::filesystem::path& uri, SourceKind kind) {
    SourceRow s;
    s.archive_id = archive;
    s.uri = uri.string();
    s.sha256 = "sha-" + uri.filename().string();
    s.kind = kind;
    return catalog.replace_source(s);
  };
  {
    auto w = add_source(a.video, SourceKind::video);
    RecordRow r;
    r.kind = RecordKind::frame;
    r.width = 32;
    r.height = 24;
    r.ts_ms = 3000;
    r.dur_ms = 1000;
    r.title = "chirp.mp4 @ 00:03.000";
    a.frame_at_3s = w.add_record(r, solid_jpeg(200, 40, 40));
    r.ts_ms = 1000;
    r.title = "chirp.mp4 @ 00:01.000";
    a.frame_at_1s = w.add_record(r, solid_jpeg(40, 200, 40));
    w.commit();
  }
  {
    auto w = add_source(dir / "still.png", SourceKind::image);
    RecordRow r;
    r.kind = RecordKind::image;
    r.width = 32;
    r.height = 24;
    r.title = "a silent still";
    a.still = w.add_record(r, solid_jpeg(40, 40, 200));
    w.commit();
  }
  {
    auto w = add_source(a.tone, SourceKind::audio);
    RecordRow r;
    r.kind = RecordKind::audio;
    r.ts_ms = 500;
    r.dur_ms = 3000;
    r.title = "tone.wav @ 00:00.500";
    a.tone_record = w.add_record(r);
    w.commit();
  }
  {
    auto w = add_source(dir / "notes.txt", SourceKind::text);
    RecordRow r;
    r.kind = RecordKind::text;
    r.text = "A bell rings over the water.";
    a.text = w.add_record(r);
    w.commit();
  }

  TimelineOptions options;
  options.fps = 12;
  options.width = 32;
  options.height = 24;
  set_parameter(options.parameters, "steps", "0:(2)");
  Timeline t = plan_shots("The chirp. [[duration: 2s]]\n\nA still. [[duration: 2s]]\n\nThe chirp and a bell. [[duration: 2s]]\n",
                          ManuscriptFormat::text, options, "sound.txt");
  t.shots[0].keyframes = {{a.frame_at_3s, 0, false, 1}};
  t.shots[1].keyframes = {{a.still, 24, false, 1}};
  t.shots[2].keyframes = {{a.frame_at_1s, 48, false, 1}};
  t.shots[2].guidance = {{a.tone_record, RecordKind::audio, 0.6, 0.5, false}, {a.text, RecordKind::text, 0.4, 0.4, false}};
  t.planned = true;
  a.film = catalog.films().create("Sound", "sound.txt", t.to_json(true), nlohmann::json::object());
  return a;
}

}  // namespace palimpsest::testing

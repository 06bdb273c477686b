// Audio engine throughput, as multiples of real time and as ratios against baselines measured in
// the same run on the same files:
//   1. ingest analysis (decode to 16 kHz mono + segmentation + a waveform PNG per segment, no
//      speech) on a long file of real speech (Debian's pocketsphinx-testdata LibriVox
//      recordings, installed by scripts/setup.sh), against libavcodec's bare decode of the file
//      (no resampling) and our decode alone;
//   2. a 60 s film's soundtrack: mix (two passes: measure, then normalise) + AAC encode into an
//      M4A, against decoding the same clips once.
//
//   build/bench/audio_bench [--minutes 20] [--repeats 3] [--keep DIR]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/audio_segmenter.h"
#include "indexer/audio/audio_stream_writer.h"
#include "indexer/audio/soundtrack_mixer.h"
#include "indexer/audio/soundtrack_muxer.h"
#include "indexer/media/video_writer.h"
#include "indexer/audio/waveform.h"
#include "tests/audio/audio_test_media.h"

namespace fs = std::filesystem;
using namespace palimpsest;

namespace {

const fs::path kLibriVox = "/usr/share/pocketsphinx/test/data/librivox";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

// Median wall and CPU seconds of `repeats` runs. The engine is single-threaded, so CPU time is
// what a run costs on an idle core; wall time shows what other processes took from it.
struct Timing {
  double wall = 0;
  double cpu = 0;
};

template <typename F>
Timing timed(int repeats, F f) {
  std::vector<double> walls, cpus;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    f();
    cpus.push_back(cpu_seconds() - c0);
    walls.push_back(seconds_since(t0));
  }
  return {median(walls), median(cpus)};
}

// The LibriVox recordings at 44.1 kHz stereo, each followed by 1.5 s of silence.
std::vector<float> real_speech() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kLibriVox)) {
    if (entry.path().extension() == ".wav") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<float> pcm;
  for (const fs::path& file : files) {
    AudioDecoderOptions options;
    options.format = AudioFormat{44100, 2, SampleType::f32};
    decode_audio(file, options, [&](const AudioBlock& b) { pcm.insert(pcm.end(), b.f32, b.f32 + 2 * b.frames); });
    pcm.insert(pcm.end(), 2 * 44100 * 3 / 2, 0.0f);
  }
  return pcm;
}

// libavcodec's own decode of the file's audio, without resampling: the floor for any decoder.
std::int64_t bare_decode(const fs::path& path) {
  AvInputFormatContextPtr format = open_input_file(path.string());
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  AvCodecContextPtr decoder = make_codec_context(codec);
  avcodec_parameters_to_context(decoder.get(), format->streams[index]->codecpar);
  avcodec_open2(decoder.get(), codec, nullptr);
  AvPacketPtr packet = make_av_packet();
  AvFramePtr frame = make_av_frame();
  std::int64_t samples = 0;
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == index && avcodec_send_packet(decoder.get(), packet.get()) >= 0) {
      while (avcodec_receive_frame(decoder.get(), frame.get()) >= 0) samples += frame->nb_samples;
    }
    av_packet_unref(packet.get());
  }
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  double minutes = 20;
  int repeats = 3;
  fs::path keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--minutes")) minutes = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--keep")) keep = argv[i + 1];
  }
  if (!fs::is_directory(kLibriVox)) {
    std::fprintf(stderr, "%s is missing: install pocketsphinx-testdata (scripts/setup.sh)\n", kLibriVox.c_str());
    return 1;
  }
  const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("palimpsest-audio-bench-" + std::to_string(::getpid())) : keep;
  fs::create_directories(dir);

  // 1. A long file of real speech, as an archive would hold it.
  const std::vector<float> speech = real_speech();
  const std::int64_t speech_frames = static_cast<std::int64_t>(speech.size() / 2);
  const std::int64_t frames = static_cast<std::int64_t>(minutes * 60 * 44100);
  std::printf("source: %zu LibriVox recordings (%.1f s with gaps), looped to %.0f min, 44.1 kHz stereo\n",
              std::size_t{5}, speech_frames / 44100.0, minutes);
  const testing::SignalFill loop = [&](std::int64_t first, std::int64_t count, float* out) {
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t s = (first + i) % speech_frames;
      out[2 * i] = speech[2 * s];
      out[2 * i + 1] = speech[2 * s + 1];
    }
  };
  struct Encoded {
    std::string name;
    fs::path path;
  };
  std::vector<Encoded> files = {{"MP3 128k", dir / "speech.mp3"}, {"AAC 128k (M4A)", dir / "speech.m4a"},
                                {"FLAC", dir / "speech.flac"}};
  testing::write_audio_file(files[0].path, "mp3", {"libmp3lame", 44100, 2, 128000}, frames, loop);
  testing::write_audio_file(files[1].path, "ipod", {"aac", 44100, 2, 128000}, frames, loop);
  testing::write_audio_file(files[2].path, "flac", {"flac", 44100, 2, 0}, frames, loop);
  const double media_s = frames / 44100.0;

  std::printf("\n1. ingest analysis, %.0f s of real speech, median of %d: multiples of real time by CPU time "
              "(by wall time)\n", media_s, repeats);
  std::printf("%-16s %18s %18s %20s %9s %8s\n", "file", "bare decode", "our decode", "decode+segment+PNG",
              "segments", "vs bare");
  for (const Encoded& f : files) {
    const Timing bare = timed(repeats, [&] { bare_decode(f.path); });
    const Timing decode = timed(repeats, [&] {
      AudioDecoder decoder(f.path);
      AudioBlock block;
      while (decoder.next(block)) {
      }
    });
    std::int64_t segments = 0, png_bytes = 0;
    const Timing analyse = timed(repeats, [&] {
      segments = png_bytes = 0;
      segment_audio_file(f.path, {}, [&](AudioSegment&& s) {
        ++segments;
        png_bytes += static_cast<std::int64_t>(waveform_png(s.waveform).size());
      });
    });
    auto rt = [&](const Timing& t) {
      char text[32];
      std::snprintf(text, sizeof(text), "%5.0fx (%4.0fx)", media_s / t.cpu, media_s / t.wall);
      return std::string(text);
    };
    std::printf("%-16s %18s %18s %20s %9lld %7.2fx\n", f.name.c_str(), rt(bare).c_str(), rt(decode).c_str(),
                rt(analyse).c_str(), static_cast<long long>(segments), bare.cpu / analyse.cpu);
  }

  // 2. A 60 s film: twelve 5 s clips from the MP3 and the M4A, cross-faded at every cut.
  std::vector<SoundtrackClip> clips;
  for (int i = 0; i < 12; ++i) {
    clips.push_back({.source = files[i % 2].path, .source_start_s = std::fmod(37.0 * i + 3, media_s - 10), .duration_s = 5.0,
                     .film_start_s = 5.0 * i, .gain = 0.6 + 0.05 * (i % 5), .record_id = i + 1});
  }
  clips = crossfade_at_cuts(clips, 0.5);
  const Timing decode_clips = timed(repeats, [&] {
    for (const SoundtrackClip& c : clips) {
      AudioDecoderOptions options;
      options.format = kSoundtrackFormat;
      options.start_s = c.source_start_s;
      options.duration_s = c.duration_s;
      decode_audio(c.source, options, [](const AudioBlock&) {});
    }
  });
  SoundtrackResult result;
  const Timing mix_only = timed(repeats, [&] { result = mix_soundtrack(60.0, clips, {}, [](const float*, std::int64_t) {}); });
  const fs::path m4a = dir / "soundtrack.m4a";
  auto mix_and_encode = [&](const AudioStreamOptions& aac) {
    return timed(repeats, [&] {
      AVFormatContext* raw = nullptr;
      av_check(avformat_alloc_output_context2(&raw, nullptr, "ipod", m4a.c_str()), "m4a");
      AvOutputFormatContextPtr format(raw);
      AudioStreamWriter writer(format.get(), aac);
      av_check(avio_open(&format->pb, m4a.c_str(), AVIO_FLAG_WRITE), "open");
      av_check(avformat_write_header(format.get(), nullptr), "header");
      result = mix_soundtrack(60.0, clips, {}, [&](const float* pcm, std::int64_t n) { writer.write(pcm, n); });
      writer.finish();
      av_check(av_write_trailer(format.get()), "trailer");
      avio_closep(&format->pb);
    });
  };
  const Timing mix_encode = mix_and_encode({});
  const Timing mix_encode_fast = mix_and_encode({.encoder_options = {{"aac_coder", "fast"}}});
  // 3. Muxing it into a rendered film: a 60 s, 320x192, 12 fps H.264 film (the demo's size),
  // against only encoding that film's frames, a lower bound of any render.
  const fs::path film = dir / "film.mp4", with_sound = dir / "film_sound.mp4";
  const Timing encode_film = timed(repeats, [&] {
    VideoWriter writer(film, 320, 192, 12);
    RgbImage image(320, 192);
    for (int f = 0; f < 720; ++f) {
      for (int y = 0; y < 192; ++y) {
        for (int x = 0; x < 320; ++x) {
          std::uint8_t* p = image.row(y) + 3 * x;
          p[0] = static_cast<std::uint8_t>(x + 2 * f);
          p[1] = static_cast<std::uint8_t>(y + (f / 60) * 40);
          p[2] = static_cast<std::uint8_t>((x ^ y) + f);
        }
      }
      writer.write(image);
    }
    writer.finish();
  });
  const Timing mux = timed(repeats, [&] { result = mux_soundtrack(film, with_sound, 60.0, clips); });

  std::printf("\n2. soundtrack of a 60 s film (12 clips, 11 cross-fades), median of %d: CPU s (wall s)\n", repeats);
  auto line = [&](const char* what, const Timing& t, bool ratio) {
    std::printf("   %-36s %6.2f s (%5.2f s)", what, t.cpu, t.wall);
    if (ratio) std::printf("  %5.2fx the baseline, %4.0fx real time", t.cpu / decode_clips.cpu, 60.0 / t.cpu);
    std::printf("\n");
  };
  line("decoding the clips once (baseline)", decode_clips, false);
  line("mix (measure + normalise)", mix_only, true);
  line("mix + AAC encode into an M4A", mix_encode, true);
  line("the same, aac_coder=fast", mix_encode_fast, true);
  std::printf("   loudness %.1f LUFS -> %.1f LUFS (gain %+.1f dB), %zu warnings\n", result.mix_lufs, result.output_lufs,
              result.gain_db, result.warnings.size());
  std::printf("\n3. the soundtrack muxed into the rendered 60 s film (320x192, 12 fps), CPU s (wall s)\n");
  std::printf("   encoding the film's 720 frames only     %6.2f s (%5.2f s)\n", encode_film.cpu, encode_film.wall);
  std::printf("   mux_soundtrack (mix + AAC + copy video) %6.2f s (%5.2f s)  %.0f%% of the encoding alone\n", mux.cpu,
              mux.wall, 100 * mux.cpu / encode_film.cpu);
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}

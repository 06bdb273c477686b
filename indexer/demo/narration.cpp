#include "indexer/demo/narration.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/audio_stream_writer.h"
#include "indexer/audio/soundtrack_muxer.h"
#include "indexer/demo/procedural_noise.h"
#include "indexer/media/av_handles.h"

extern char** environ;

namespace palimpsest::demo {
namespace {

namespace fs = std::filesystem;

constexpr double kLeadS = 0.15;     // a line starts this far into its shot
constexpr double kGapS = 0.1;       // at least this between two lines
constexpr double kMaxSpeedUp = 1.6;

// Files removed when the narration is done, whatever happened.
struct WorkFiles {
  std::vector<fs::path> paths;
  ~WorkFiles() {
    std::error_code ignored;
    for (const fs::path& p : paths) fs::remove(p, ignored);
  }
};

std::string count_word(int count) {
  switch (count) {
    case 1: return "A";
    case 2: return "Two";
    default: return "Three";
  }
}

std::string shape_word(Shape shape, int count) {
  std::string w(word(shape));
  if (count > 1) w += shape == Shape::Cross ? "es" : "s";
  return w;
}

// Seconds of audio in a WAV file espeak-ng wrote.
double wav_seconds(const fs::path& wav) {
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  std::int64_t frames = 0;
  decode_audio(wav, options, [&](const AudioBlock& block) { frames += block.frames; });
  return static_cast<double>(frames) / kSoundtrackRate;
}

void speak(const NarrationOptions& o, const std::string& text, int rate, const fs::path& wav) {
  std::string err;
  const int status = run_program({o.program, "-v", o.voice, "-s", std::to_string(rate), "-w", wav.string(), text}, err);
  if (status == 127)
    throw NarrationError(o.program + " could not be run (install Debian's espeak-ng: scripts/setup.sh)");
  if (status != 0 || !fs::is_regular_file(wav))
    throw NarrationError(o.program + " failed (exit " + std::to_string(status) + "): " + err);
}

// Deterministic white noise at `dbfs` RMS, 48 kHz mono 16-bit WAV, `seconds` long.
void write_noise(const fs::path& path, double seconds, double dbfs) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "wav", path.c_str()), "wav muxer");
  AvOutputFormatContextPtr format(raw);
  AudioStreamWriter writer(format.get(), {"pcm_s16le", kSoundtrackRate, 1, 0, {}});
  av_check(avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE), "cannot write " + path.string());
  av_check(avformat_write_header(format.get(), nullptr), "cannot write " + path.string());
  // Uniform in [-a, a] has RMS a / sqrt(3).
  const double amplitude = std::pow(10.0, dbfs / 20.0) * std::sqrt(3.0);
  const auto total = static_cast<std::int64_t>(std::ceil(seconds * kSoundtrackRate));
  std::vector<float> block(4800);
  for (std::int64_t first = 0; first < total; first += static_cast<std::int64_t>(block.size())) {
    const std::int64_t n = std::min<std::int64_t>(static_cast<std::int64_t>(block.size()), total - first);
    for (std::int64_t i = 0; i < n; ++i)
      block[static_cast<std::size_t>(i)] =
          static_cast<float>(amplitude * (2 * noise::unit(noise::hash(0x6e6f697365, first + i)) - 1));
    writer.write(block.data(), n);
  }
  writer.finish();
  av_check(av_write_trailer(format.get()), "cannot finish " + path.string());
  avio_closep(&format->pb);
}

}  // namespace

int run_program(const std::vector<std::string>& argv, std::string& err) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return 127;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return 127;
  }
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (err.size() < 65536) err.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!err.empty() && std::isspace(static_cast<unsigned char>(err.back()))) err.pop_back();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string narration_text(const SceneSpec& scene) {
  std::string background = caption(SceneSpec{scene.background, {}, 0, {}});
  if (scene.groups.empty()) {
    background[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(background[0])));
    return background + ".";
  }
  const ShapeGroup& g = scene.groups.front();
  return count_word(g.count) + " " + std::string(word(g.colour)) + " " + shape_word(g.shape, g.count) + ", " +
         background + ".";
}

std::vector<NarrationLine> narrate_video(const fs::path& video, double duration_s, const std::vector<NarratedShot>& shots,
                                         const fs::path& work_dir, const NarrationOptions& options) {
  WorkFiles work;
  const std::string stem = "." + video.stem().string() + ".narration";
  std::vector<NarrationLine> lines;
  std::vector<SoundtrackClip> clips;
  double previous_end = 0;
  for (std::size_t i = 0; i < shots.size(); ++i) {
    NarrationLine line;
    line.shot = static_cast<int>(i);
    line.text = narration_text(shots[i].scene);
    const fs::path wav = work_dir / (stem + "-" + std::to_string(i) + ".wav");
    work.paths.push_back(wav);
    speak(options, line.text, options.words_per_minute, wav);
    double seconds = wav_seconds(wav);
    const double room = shots[i].end_s - shots[i].start_s - kLeadS;
    if (seconds > room && room > 0) {  // faster, within reason
      const double speed_up = std::min(kMaxSpeedUp, seconds / room);
      speak(options, line.text, static_cast<int>(std::lround(options.words_per_minute * speed_up)), wav);
      seconds = wav_seconds(wav);
    }
    line.start_s = std::max(shots[i].start_s + kLeadS, previous_end + (lines.empty() ? 0 : kGapS));
    line.end_s = line.start_s + seconds;
    if (line.end_s > duration_s) continue;
    previous_end = line.end_s;
    SoundtrackClip clip;
    clip.source = wav;
    clip.duration_s = seconds;
    clip.film_start_s = line.start_s;
    clip.record_id = static_cast<std::int64_t>(i) + 1;
    clips.push_back(clip);
    lines.push_back(std::move(line));
  }
  const fs::path noise = work_dir / (stem + "-noise.wav");
  work.paths.push_back(noise);
  write_noise(noise, duration_s, options.noise_dbfs);
  SoundtrackClip floor;
  floor.source = noise;
  floor.duration_s = duration_s;
  clips.push_back(floor);
  mux_soundtrack(video, video, duration_s, clips);
  return lines;
}

}  // namespace palimpsest::demo

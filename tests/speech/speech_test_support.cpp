#include "tests/speech/speech_test_support.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <memory>
#include <sstream>
#include <stdexcept>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

#include "indexer/speech/wav_file.h"
#include "indexer/speech/word_error_rate.h"
#include "tests/common/test_support.h"

extern char** environ;

namespace palimpsest::testing {
namespace {

std::string read_fd(int fd) {
  std::string out;
  char buffer[65536];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

struct SwrDeleter {
  void operator()(SwrContext* context) const { swr_free(&context); }
};

}  // namespace

std::filesystem::path librivox_dir() { return "/usr/share/pocketsphinx/test/data/librivox"; }

std::vector<std::string> librivox_ids() {
  std::ifstream in(librivox_dir() / "fileids");
  if (!in) throw std::runtime_error("cannot read " + (librivox_dir() / "fileids").string() +
                                    " (Debian package pocketsphinx-testdata)");
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(line);
  return ids;
}

std::vector<std::int16_t> librivox_samples(const std::string& id) {
  const PcmAudio audio = read_wav(librivox_dir() / (id + ".wav"));
  if (audio.sample_rate != 16000 || audio.channels != 1)
    throw std::runtime_error(id + ".wav is not 16 kHz mono");
  return audio.samples;
}

std::map<std::string, std::string> librivox_transcripts() {
  std::ifstream in(librivox_dir() / "transcription");
  if (!in) throw std::runtime_error("cannot read " + (librivox_dir() / "transcription").string());
  std::map<std::string, std::string> transcripts;
  for (std::string line; std::getline(in, line);) {
    const auto open = line.rfind('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::string text;
    for (const std::string& word : normalise_words(line.substr(0, open))) text += (text.empty() ? "" : " ") + word;
    transcripts[line.substr(open + 1, close - open - 1)] = text;
  }
  return transcripts;
}

std::vector<std::int16_t> resample_to_16k(const std::vector<std::int16_t>& samples, int sample_rate) {
  if (sample_rate == 16000) return samples;
  SwrContext* raw = nullptr;
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  if (swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_S16, 16000, &mono, AV_SAMPLE_FMT_S16, sample_rate, 0,
                          nullptr) < 0)
    throw std::runtime_error("swr_alloc_set_opts2 failed");
  std::unique_ptr<SwrContext, SwrDeleter> context(raw);
  if (swr_init(context.get()) < 0) throw std::runtime_error("swr_init failed");
  std::vector<std::int16_t> out(static_cast<std::size_t>(
      swr_get_out_samples(context.get(), static_cast<int>(samples.size())) + 64));
  auto* out_data = reinterpret_cast<std::uint8_t*>(out.data());
  const auto* in_data = reinterpret_cast<const std::uint8_t*>(samples.data());
  int produced = swr_convert(context.get(), &out_data, static_cast<int>(out.size()), &in_data,
                             static_cast<int>(samples.size()));
  if (produced < 0) throw std::runtime_error("swr_convert failed");
  std::uint8_t* tail = reinterpret_cast<std::uint8_t*>(out.data() + produced);
  const int flushed = swr_convert(context.get(), &tail, static_cast<int>(out.size()) - produced, nullptr, 0);
  if (flushed < 0) throw std::runtime_error("swr_convert (flush) failed");
  out.resize(static_cast<std::size_t>(produced + flushed));
  return out;
}

std::vector<std::int16_t> synthesise_speech(const std::string& text, int words_per_minute, const std::string& voice) {
  TempDir dir;
  const std::filesystem::path wav = dir / "speech.wav";
  const CommandOutput run =
      run_command({"espeak-ng", "-v", voice, "-s", std::to_string(words_per_minute), "-w", wav.string(), text});
  if (run.exit_code != 0)
    throw std::runtime_error("espeak-ng failed (exit " + std::to_string(run.exit_code) + "): " + run.err);
  const PcmAudio audio = read_wav(wav);
  if (audio.channels != 1) throw std::runtime_error("espeak-ng wrote " + std::to_string(audio.channels) + " channels");
  std::vector<std::int16_t> samples = resample_to_16k(audio.samples, audio.sample_rate);
  add_noise_floor(samples);
  return samples;
}

void add_noise_floor(std::vector<std::int16_t>& samples, int amplitude) {
  std::uint32_t state = 1;
  for (std::int16_t& sample : samples) {
    state = state * 1103515245u + 12345u;
    const int noise = static_cast<int>((state >> 16) % static_cast<std::uint32_t>(2 * amplitude + 1)) - amplitude;
    sample = static_cast<std::int16_t>(std::clamp(sample + noise, -32768, 32767));
  }
}

std::vector<std::int16_t> synthetic_music(double seconds) {
  constexpr double kPi = 3.14159265358979323846;
  const double notes[] = {261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3};
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / 16000;
    const int note = static_cast<int>(t / 0.3);
    const double f = notes[(note * 5) % 8];
    const double envelope = std::exp(-3 * std::fmod(t, 0.3));
    double melody = 0;
    for (int h = 1; h <= 6; ++h) melody += std::sin(2 * kPi * f * h * t) / h;
    const double chord = std::sin(2 * kPi * 130.8 * t) + std::sin(2 * kPi * 196.0 * t);
    out[i] = static_cast<std::int16_t>(6000 * (0.5 * envelope * melody + 0.2 * chord));
  }
  return out;
}

std::vector<std::int16_t> white_noise(double seconds, double amplitude) {
  std::mt19937 random(7);
  std::normal_distribution<double> normal(0, amplitude);
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  for (std::int16_t& sample : out) sample = static_cast<std::int16_t>(std::clamp(normal(random), -32768.0, 32767.0));
  return out;
}

std::vector<std::int16_t> synthetic_drums(double seconds) {
  constexpr double kPi = 3.14159265358979323846;
  std::mt19937 random(11);
  std::normal_distribution<double> normal(0, 1);
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / 16000;
    const double phase = std::fmod(t, 0.5);
    const double v = std::exp(-30 * phase) * normal(random) + 0.5 * std::sin(2 * kPi * 55 * t) * std::exp(-4 * phase);
    out[i] = static_cast<std::int16_t>(std::clamp(8000 * v, -32768.0, 32767.0));
  }
  return out;
}

std::vector<std::int16_t> mains_hum(double seconds) {
  constexpr double kPi = 3.14159265358979323846;
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / 16000;
    out[i] = static_cast<std::int16_t>(4000 * std::sin(2 * kPi * 50 * t) + 2000 * std::sin(2 * kPi * 150 * t) +
                                       1000 * std::sin(2 * kPi * 250 * t));
  }
  return out;
}

CommandOutput run_command(const std::vector<std::string>& argv) {
  char out_name[] = "/tmp/palimpsest-speech-out-XXXXXX";
  char err_name[] = "/tmp/palimpsest-speech-err-XXXXXX";
  const int out_fd = mkstemp(out_name);
  const int err_fd = mkstemp(err_name);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");
  unlink(out_name);
  unlink(err_name);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CommandOutput result;
  if (spawned != 0) {
    close(out_fd);
    close(err_fd);
    throw std::runtime_error("cannot run " + argv[0] + " (not installed?)");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_fd(out_fd);
  result.err = read_fd(err_fd);
  close(out_fd);
  close(err_fd);
  return result;
}

}  // namespace palimpsest::testing

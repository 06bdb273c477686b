// Speech transcription: word error rate and speed of PocketsphinxTranscriber against Debian's own
// pocketsphinx_continuous, run in the same benchmark run on the same files with the same model and
// arguments (-hmm, -lm, -dict of /usr/share/pocketsphinx/model/en-us; everything else at the
// decoder's defaults; 16 kHz mono 16-bit WAV in both cases). Corpus: the LibriVox recordings of
// Debian's pocketsphinx-testdata and their `transcription` file.
//
//   build/bench/speech_bench [--repeats 3] [--threads 2] [--data /usr/share/pocketsphinx/test/data/librivox]
//
// The CLI is one process per file, as it is used (it loads the model each time); its start-up is
// also measured alone (on 0.5 s of silence) so that its decoding can be compared with ours
// without it. Wall times are medians of --repeats runs; CPU times are user+system.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "indexer/speech/parallel_transcriber.h"
#include "indexer/speech/pocketsphinx_transcriber.h"
#include "indexer/speech/speech_activity.h"
#include "indexer/speech/wav_file.h"
#include "indexer/speech/word_error_rate.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace palimpsest;

namespace {

struct Timing {
  double wall = 0;
  double cpu = 0;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double process_cpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// Runs the CLI; returns its stdout, wall and CPU time (wait4's rusage of the child).
std::string run_cli(const std::vector<std::string>& argv, Timing& timing) {
  char out_name[] = "/tmp/palimpsest-speech-bench-XXXXXX";
  const int out_fd = mkstemp(out_name);
  const int null_fd = open("/dev/null", O_WRONLY);
  unlink(out_name);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const double t0 = now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    std::fprintf(stderr, "cannot run %s (Debian package pocketsphinx)\n", args[0]);
    std::exit(1);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  timing.wall = now() - t0;
  timing.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  posix_spawn_file_actions_destroy(&actions);
  close(null_fd);
  std::string out;
  lseek(out_fd, 0, SEEK_SET);
  char buffer[4096];
  for (ssize_t n; (n = read(out_fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  close(out_fd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed (status %d)\n", args[0], status);
    std::exit(1);
  }
  std::string hypothesis;  // one line per utterance
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) hypothesis += (hypothesis.empty() ? "" : " ") + line;
  return hypothesis;
}

std::string joined(const std::vector<Utterance>& utterances) {
  std::string text;
  for (const Utterance& u : utterances) text += (text.empty() ? "" : " ") + u.text;
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 3, threads = 2;
  fs::path data = "/usr/share/pocketsphinx/test/data/librivox";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--data")) data = argv[i + 1];
  }

  // The corpus.
  std::vector<std::string> ids;
  std::map<std::string, std::string> references;
  {
    std::ifstream fileids(data / "fileids"), transcription(data / "transcription");
    if (!fileids || !transcription) {
      std::fprintf(stderr, "%s: no fileids/transcription (Debian package pocketsphinx-testdata)\n", data.c_str());
      return 1;
    }
    for (std::string line; std::getline(fileids, line);)
      if (!line.empty()) ids.push_back(line);
    for (std::string line; std::getline(transcription, line);) {
      const auto open = line.rfind('('), close = line.rfind(')');
      if (open != std::string::npos && close > open) references[line.substr(open + 1, close - open - 1)] = line;
    }
  }
  std::vector<std::vector<std::int16_t>> audio;
  double audio_seconds = 0;
  for (const std::string& id : ids) {
    PcmAudio wav = read_wav(data / (id + ".wav"));
    if (wav.sample_rate != 16000 || wav.channels != 1) {
      std::fprintf(stderr, "%s.wav: not 16 kHz mono\n", id.c_str());
      return 1;
    }
    audio_seconds += wav.seconds();
    audio.push_back(std::move(wav.samples));
  }
  std::printf("corpus: %zu LibriVox recordings, %.1f s of speech, %s\n", ids.size(), audio_seconds, data.c_str());

  // Ours: the model loaded once.
  double t0 = now(), c0 = process_cpu();
  const SpeechModelFiles model = find_speech_model("en-us");
  auto transcriber = std::make_unique<PocketsphinxTranscriber>(model);
  const Timing load{now() - t0, process_cpu() - c0};
  std::vector<std::string> cli_base = {"pocketsphinx_continuous"};
  for (const std::string& argument : transcriber->decoder_arguments()) cli_base.push_back(argument);
  std::string arguments;
  for (std::size_t i = 1; i < cli_base.size(); ++i) arguments += " " + cli_base[i];
  std::printf("arguments (both):%s\n\n", arguments.c_str());

  // The CLI, one process per file; and its start-up alone, on 0.5 s of silence.
  const fs::path silence = fs::temp_directory_path() / ("palimpsest-speech-bench-" + std::to_string(getpid()) + ".wav");
  write_wav(silence, PcmAudio{16000, 1, std::vector<std::int16_t>(8000, 0)});
  std::vector<double> cli_wall, cli_cpu, startup_wall, startup_cpu;
  std::vector<std::string> cli_hypotheses(ids.size());
  for (int r = 0; r < repeats; ++r) {
    Timing total, timing;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::vector<std::string> command = cli_base;
      command.insert(command.begin() + 1, {"-infile", (data / (ids[i] + ".wav")).string()});
      cli_hypotheses[i] = run_cli(command, timing);
      total.wall += timing.wall;
      total.cpu += timing.cpu;
    }
    cli_wall.push_back(total.wall);
    cli_cpu.push_back(total.cpu);
    std::vector<std::string> command = cli_base;
    command.insert(command.begin() + 1, {"-infile", silence.string()});
    run_cli(command, timing);
    startup_wall.push_back(timing.wall);
    startup_cpu.push_back(timing.cpu);
  }
  fs::remove(silence);

  // Ours, serial (one decoder), then ParallelTranscriber (one decoder per thread, made on first use).
  std::vector<double> serial_wall, serial_cpu, parallel_wall, parallel_cpu;
  std::vector<std::string> hypotheses(ids.size());
  for (int r = 0; r < repeats; ++r) {
    t0 = now();
    c0 = process_cpu();
    for (std::size_t i = 0; i < ids.size(); ++i) hypotheses[i] = joined(transcriber->transcribe(audio[i]));
    serial_wall.push_back(now() - t0);
    serial_cpu.push_back(process_cpu() - c0);
  }
  std::vector<SpeechSegment> segments;
  for (const auto& samples : audio) segments.push_back({samples, 0});
  ParallelTranscriber parallel([&] { return std::unique_ptr<Transcriber>(std::make_unique<PocketsphinxTranscriber>(model)); },
                               threads);
  t0 = now();
  c0 = process_cpu();
  auto parallel_results = parallel.transcribe(segments);  // includes loading one model per thread
  const Timing parallel_first{now() - t0, process_cpu() - c0};
  for (int r = 0; r < repeats; ++r) {
    t0 = now();
    c0 = process_cpu();
    parallel_results = parallel.transcribe(segments);
    parallel_wall.push_back(now() - t0);
    parallel_cpu.push_back(process_cpu() - c0);
  }

  // The cheap speech-activity test, for its cost against decoding.
  t0 = now();
  for (int r = 0; r < 20; ++r)
    for (const auto& samples : audio) measure_speech_activity(samples);
  const double activity_wall = (now() - t0) / 20;

  // Accuracy.
  WordErrors ours_errors, cli_errors;
  int identical = 0, parallel_identical = 0;
  std::printf("%-42s %6s %6s\n", "recording", "CLI", "ours");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const WordErrors ours = word_errors(references[ids[i]], hypotheses[i]);
    const WordErrors cli = word_errors(references[ids[i]], cli_hypotheses[i]);
    ours_errors += ours;
    cli_errors += cli;
    identical += hypotheses[i] == cli_hypotheses[i] ? 1 : 0;
    parallel_identical += joined(parallel_results[i]) == hypotheses[i] ? 1 : 0;
    std::printf("%-42s %5.1f%% %5.1f%%  \"%s\"\n", ids[i].c_str(), 100 * cli.rate(), 100 * ours.rate(), hypotheses[i].c_str());
  }
  std::printf("word error rate: CLI %.1f%%, ours %.1f%% (%lld words); hypotheses identical to the CLI's: %d/%zu; "
              "%d threads identical to 1: %d/%zu\n\n",
              100 * cli_errors.rate(), 100 * ours_errors.rate(), static_cast<long long>(ours_errors.reference_words),
              identical, ids.size(), threads, parallel_identical, ids.size());

  // Speed.
  const double n = static_cast<double>(ids.size());
  const double cli_total = median(cli_wall), cli_startup = median(startup_wall);
  const double cli_decoding = cli_total - n * cli_startup;
  const double serial = median(serial_wall), parallel_time = median(parallel_wall);
  std::printf("median of %d runs; load average at the end: ", repeats);
  {
    std::ifstream loadavg("/proc/loadavg");
    std::string first;
    loadavg >> first;
    std::printf("%s on %u hardware threads\n", first.c_str(), std::thread::hardware_concurrency());
  }
  std::printf("%-52s %8s %8s %10s\n", "", "wall s", "CPU s", "x realtime");
  auto row = [&](const char* name, double wall, double cpu) {
    std::printf("%-52s %8.2f %8.2f %9.1fx\n", name, wall, cpu, audio_seconds / wall);
  };
  row("CLI, one process per file (as used)", cli_total, median(cli_cpu));
  std::printf("%-52s %8.2f %8.2f\n", "  CLI start-up and model load, per process", cli_startup, median(startup_cpu));
  row("  CLI decoding alone (total - files x start-up)", cli_decoding, median(cli_cpu) - n * median(startup_cpu));
  std::printf("%-52s %8.2f %8.2f\n", "ours: model load, once", load.wall, load.cpu);
  row("ours: 1 decoder, decoding", serial, median(serial_cpu));
  row("ours: 1 decoder, model load + decoding", load.wall + serial, load.cpu + median(serial_cpu));
  std::printf("%-52s %8.2f %8.2f\n", ("ours: " + std::to_string(threads) + " threads, first call (loads " +
                                      std::to_string(threads) + " models)").c_str(), parallel_first.wall, parallel_first.cpu);
  row(("ours: " + std::to_string(threads) + " threads (ParallelTranscriber), decoding").c_str(), parallel_time,
      median(parallel_cpu));
  std::printf("%-52s %8.4f %8s %9.0fx\n", "speech-activity test alone", activity_wall, "", audio_seconds / activity_wall);
  std::printf("\nspeed vs the CLI: decoding %.2fx (1 decoder), %.2fx (%d threads); per-file use %.2fx (1 decoder incl. load), "
              "%.2fx (%d threads)\n",
              cli_decoding / serial, cli_decoding / parallel_time, threads, cli_total / (load.wall + serial),
              cli_total / parallel_time, threads);
  std::printf("targets: WER <= CLI + 2 points: %s; speed >= 1.0x the CLI: %s; >= 4x real time on %d threads: %s (%.1fx)\n",
              ours_errors.rate() <= cli_errors.rate() + 0.02 ? "met" : "MISSED",
              cli_total / parallel_time >= 1.0 ? "met" : "MISSED", threads,
              audio_seconds / parallel_time >= 4 ? "met" : "MISSED", audio_seconds / parallel_time);
  return 0;
}

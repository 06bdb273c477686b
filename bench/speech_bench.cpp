// Speech transcription: word error rate and speed of PocketsphinxTranscriber against Debian's own
// pocketsphinx_continuous, run in the same benchmark run on the same files with the same model and
// arguments (-hmm, -lm, -dict of /usr/share/pocketsphinx/model/en-us; everything else at the
// decoder's defaults; 16 kHz mono 16-bit WAV in both cases). Corpus: the LibriVox recordings of
// Debian's pocketsphinx-testdata and their `transcription` file.
//
//   build/bench/speech_bench [--repeats 3] [--threads 2] [--data /usr/share/pocketsphinx/test/data/librivox]
//                            [--stream-minutes M]
//
// --stream-minutes M (default 0: off) also feeds M minutes of the corpus, repeated with a second
// of room tone between recordings, through one stream in 1 s blocks, and prints the process's
// resident memory after each minute: it stays flat when memory is bounded.
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

// Resident and peak resident memory of this process, MiB (/proc/self/status).
std::pair<double, double> resident_mib() {
  std::ifstream status("/proc/self/status");
  double rss = 0, peak = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) peak = std::atof(line.c_str() + 6) / 1024;
  }
  return {rss, peak};
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
  double stream_minutes = 0;
  fs::path data = "/usr/share/pocketsphinx/test/data/librivox";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--data")) data = argv[i + 1];
    else if (!std::strcmp(argv[i], "--stream-minutes")) stream_minutes = std::atof(argv[i + 1]);
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
  const double rss_before = resident_mib().first;
  double t0 = now(), c0 = process_cpu();
  const SpeechModelFiles model = find_speech_model("en-us");
  auto transcriber = std::make_unique<PocketsphinxTranscriber>(model);
  const Timing load{now() - t0, process_cpu() - c0};
  const double decoder_mib = resident_mib().first - rss_before;
  std::vector<std::string> cli_base = {"pocketsphinx_continuous"};
  for (const std::string& argument : transcriber->decoder_arguments()) cli_base.push_back(argument);
  std::string arguments;
  for (std::size_t i = 1; i < cli_base.size(); ++i) arguments += " " + cli_base[i];
  std::printf("arguments (both):%s\n\n", arguments.c_str());

  // Interleaved, so that both sides meet the same machine load: in every round, each file goes
  // through the CLI and through our decoder back to back (in alternating order), then the whole
  // set goes through ParallelTranscriber, then the CLI starts up alone on 0.5 s of silence.
  const fs::path silence = fs::temp_directory_path() / ("palimpsest-speech-bench-" + std::to_string(getpid()) + ".wav");
  write_wav(silence, PcmAudio{16000, 1, std::vector<std::int16_t>(8000, 0)});
  std::vector<SpeechSegment> segments;
  for (const auto& samples : audio) segments.push_back({samples, 0});
  ParallelTranscriber parallel([&] { return std::unique_ptr<Transcriber>(std::make_unique<PocketsphinxTranscriber>(model)); },
                               threads);
  t0 = now();
  c0 = process_cpu();
  auto parallel_results = parallel.transcribe(segments);  // loads one model per thread
  const Timing parallel_first{now() - t0, process_cpu() - c0};

  struct Round {
    Timing cli, startup, serial, parallel;
  };
  std::vector<Round> rounds(static_cast<std::size_t>(repeats));
  std::vector<std::string> cli_hypotheses(ids.size()), hypotheses(ids.size());
  for (int r = 0; r < repeats; ++r) {
    Round& round = rounds[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::vector<std::string> command = cli_base;
      command.insert(command.begin() + 1, {"-infile", (data / (ids[i] + ".wav")).string()});
      for (int side = 0; side < 2; ++side) {
        if ((side + r + static_cast<int>(i)) % 2 == 0) {
          Timing timing;
          cli_hypotheses[i] = run_cli(command, timing);
          round.cli.wall += timing.wall;
          round.cli.cpu += timing.cpu;
        } else {
          t0 = now();
          c0 = process_cpu();
          hypotheses[i] = joined(transcriber->transcribe(audio[i]));
          round.serial.wall += now() - t0;
          round.serial.cpu += process_cpu() - c0;
        }
      }
    }
    t0 = now();
    c0 = process_cpu();
    parallel_results = parallel.transcribe(segments);
    round.parallel = {now() - t0, process_cpu() - c0};
    std::vector<std::string> command = cli_base;
    command.insert(command.begin() + 1, {"-infile", silence.string()});
    run_cli(command, round.startup);
  }
  fs::remove(silence);

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

  // Speed: medians over rounds of each figure and of each ratio (a ratio is taken within a round).
  const double n = static_cast<double>(ids.size());
  auto median_of = [&](auto field) {
    std::vector<double> values;
    for (const Round& round : rounds) values.push_back(field(round));
    return median(values);
  };
  std::printf("%d rounds, medians; load average at the end: ", repeats);
  {
    std::ifstream loadavg("/proc/loadavg");
    std::string first;
    loadavg >> first;
    std::printf("%s on %u hardware threads\n", first.c_str(), std::thread::hardware_concurrency());
  }
  std::printf("%-54s %8s %8s %11s\n", "", "wall s", "CPU s", "x real time");
  auto row = [&](const std::string& name, double wall, double cpu) {
    std::printf("%-54s %8.2f %8.2f %10.1fx\n", name.c_str(), wall, cpu, audio_seconds / wall);
  };
  const std::string t = std::to_string(threads);
  row("CLI, one process per file (as it is used)", median_of([](const Round& r) { return r.cli.wall; }),
      median_of([](const Round& r) { return r.cli.cpu; }));
  std::printf("%-54s %8.2f %8.2f\n", "  of which start-up and model load, per process",
              median_of([](const Round& r) { return r.startup.wall; }), median_of([](const Round& r) { return r.startup.cpu; }));
  row("  CLI decoding alone (total - files x start-up)", median_of([&](const Round& r) { return r.cli.wall - n * r.startup.wall; }),
      median_of([&](const Round& r) { return r.cli.cpu - n * r.startup.cpu; }));
  std::printf("%-54s %8.2f %8.2f   (+%.0f MiB resident per decoder)\n", "ours: model load, once per decoder", load.wall,
              load.cpu, decoder_mib);
  row("ours: 1 decoder", median_of([](const Round& r) { return r.serial.wall; }),
      median_of([](const Round& r) { return r.serial.cpu; }));
  std::printf("%-54s %8.2f %8.2f\n", ("ours: " + t + " threads, first call (loads " + t + " models)").c_str(),
              parallel_first.wall, parallel_first.cpu);
  row("ours: " + t + " threads (ParallelTranscriber)", median_of([](const Round& r) { return r.parallel.wall; }),
      median_of([](const Round& r) { return r.parallel.cpu; }));

  const double decoding_ratio = median_of([&](const Round& r) { return (r.cli.wall - n * r.startup.wall) / r.serial.wall; });
  const double decoding_cpu_ratio = median_of([&](const Round& r) { return (r.cli.cpu - n * r.startup.cpu) / r.serial.cpu; });
  const double serial_ratio = median_of([](const Round& r) { return r.cli.wall / r.serial.wall; });
  const double parallel_ratio = median_of([](const Round& r) { return r.cli.wall / r.parallel.wall; });
  const double parallel_realtime = median_of([&](const Round& r) { return audio_seconds / r.parallel.wall; });
  const double per_core_realtime = median_of([&](const Round& r) { return audio_seconds / r.serial.cpu; });
  std::printf("\nspeed vs the CLI (ratios within a round):\n");
  std::printf("  decoding alone, 1 decoder vs the CLI's:    %.2fx wall, %.2fx CPU\n", decoding_ratio, decoding_cpu_ratio);
  std::printf("  as used, 1 decoder vs one CLI per file:    %.2fx\n", serial_ratio);
  std::printf("  as used, %d threads vs one CLI per file:    %.2fx\n", threads, parallel_ratio);
  std::printf("  ours: %.1fx real time per CPU second (1 decoder), %.1fx real time on %d threads (wall)\n",
              per_core_realtime, parallel_realtime, threads);
  std::printf("targets: WER <= CLI + 2 points: %s; speed >= 1.0x the CLI: %s; >= 4x real time on %d threads: %s\n",
              ours_errors.rate() <= cli_errors.rate() + 0.02 ? "met" : "MISSED", parallel_ratio >= 1.0 ? "met" : "MISSED",
              threads, parallel_realtime >= 4 ? "met" : "MISSED (a loaded machine? see the load average)");
  std::printf("speech-activity test alone: %.4f s for the corpus, %.0fx real time\n", activity_wall,
              audio_seconds / activity_wall);
  if (stream_minutes > 0) {
    std::printf("\none stream of %.0f minute(s), 1 s blocks: resident memory after each minute (MiB)\n", stream_minutes);
    std::vector<std::int16_t> cycle;
    std::uint32_t state = 1;
    for (const auto& samples : audio) {
      cycle.insert(cycle.end(), samples.begin(), samples.end());
      for (int i = 0; i < 16000; ++i) {  // a second of room tone, -60 dBFS
        state = state * 1103515245u + 12345u;
        cycle.push_back(static_cast<std::int16_t>(static_cast<int>((state >> 16) % 65) - 32));
      }
    }
    const std::int64_t total = static_cast<std::int64_t>(stream_minutes * 60 * 16000);
    std::vector<Utterance> utterances;
    std::int64_t fed = 0, words = 0;
    std::size_t at = 0, longest_ms = 0;
    t0 = now();
    transcriber->begin(0);
    while (fed < total) {
      const std::size_t n = std::min<std::size_t>(16000, cycle.size() - at);
      transcriber->feed(std::span(cycle).subspan(at, n), utterances);
      at = (at + n) % cycle.size();
      fed += static_cast<std::int64_t>(n);
      for (const Utterance& u : utterances) {
        words += static_cast<std::int64_t>(u.words.size());
        longest_ms = std::max<std::size_t>(longest_ms, static_cast<std::size_t>(u.end_ms - u.start_ms));
      }
      utterances.clear();  // a caller stores them and lets them go
      if (fed % (60 * 16000) < static_cast<std::int64_t>(n)) {
        const auto [rss, peak] = resident_mib();
        std::printf("  minute %3lld: resident %.1f, peak %.1f\n", static_cast<long long>(fed / (60 * 16000)), rss, peak);
      }
    }
    transcriber->finish(utterances);
    std::printf("  %lld words, longest utterance %.1f s, %.1fx real time\n", static_cast<long long>(words),
                static_cast<double>(longest_ms) / 1000, static_cast<double>(fed) / 16000 / (now() - t0));
  }
  return 0;
}

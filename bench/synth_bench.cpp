// Synthesis throughput with the archive backend: frames per second of full 20-step DDIM renders
// (global, local same-location, local windowed +-8 px) at two sizes and two record counts, the
// share of time per stage, and two baselines measured in the same run on the same data:
//  - the global denoiser against a naive per-record loop of separate tensor ops (what a direct
//    PyTorch transcription does), over the same DDIM steps;
//  - the windowed coarse-to-fine search against evaluating every (record, offset) pair.
//
//   build/bench/synth_bench [--frames 3] [--steps 20] [--sizes 320x192,512x288]
//                           [--records 16,64] [--threads 0] [--skip-exhaustive]
//
// Uses synth's internal (ATen) headers for the baselines; ATen's headers come from the system
// libtorch (Debian's libtorch-dev installs them under /usr/include).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sys/resource.h>
#include <sstream>
#include <string>
#include <vector>

#include "indexer/runtime/runtime_info.h"
#include "synth/ddim_sampler.h"
#include "synth/denoiser.h"
#include "synth/frame_renderer.h"
#include "synth/global_denoiser.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/patch_denoiser.h"

using namespace palimpsest;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds this process has used (all threads). On a machine shared with other jobs, CPU time
// of a one-thread run is what its wall time would be on an idle core.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// A procedural "photograph": smooth colour fields, edges and texture, different per record.
RgbImage synthetic_record(std::int64_t id, int width, int height) {
  RgbImage image(width, height);
  const double a = 0.7 + 0.13 * (id % 7), b = 0.4 + 0.11 * (id % 5), phase = 0.9 * id;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = static_cast<double>(x) / width, v = static_cast<double>(y) / height;
      const double wave = std::sin(9 * a * u + phase) * std::cos(7 * b * v - phase);
      const bool block = ((x / (16 + id % 9)) + (y / (12 + id % 5))) % 3 == 0;
      const double texture = std::sin(x * 1.7 + y * 2.3 + id) * 0.15;
      std::uint8_t* p = image.row(y) + 3 * x;
      p[0] = static_cast<std::uint8_t>(std::clamp(128 + 90 * wave + 60 * texture, 0.0, 255.0));
      p[1] = static_cast<std::uint8_t>(std::clamp(100 + 80 * v + (block ? 60 : 0), 0.0, 255.0));
      p[2] = static_cast<std::uint8_t>(std::clamp(60 + 150 * u * (1 - wave * 0.3), 0.0, 255.0));
    }
  }
  return image;
}

// The naive baseline: one record at a time, separate ops, distances computed as written.
class NaiveGlobalDenoiser final : public Denoiser {
 public:
  explicit NaiveGlobalDenoiser(RecordSet records) : records_(std::move(records)) {}
  Prediction predict(const at::Tensor& x_t, double abar, Attribution) override {
    const int64_t n = records_.size();
    std::vector<at::Tensor> logits;
    for (int64_t i = 0; i < n; ++i) {
      const at::Tensor d = (x_t - records_.images[i] * std::sqrt(abar)).pow(2).sum();
      logits.push_back(records_.log_prior[i] - d / (2 * (1 - abar)));
    }
    const at::Tensor w = at::softmax(at::stack(logits), 0);
    at::Tensor x0 = at::zeros_like(x_t);
    for (int64_t i = 0; i < n; ++i) x0 = x0 + w[i] * records_.images[i];
    Prediction p;
    p.x0 = x0;
    p.record_weights = w.to(at::kDouble);
    return p;
  }
  void set_log_prior(const at::Tensor& log_prior) override { records_.log_prior = log_prior; }
  const RecordSet& records() const override { return records_; }

 private:
  RecordSet records_;
};

RecordSet record_set(int n, int width, int height) {
  std::vector<std::int64_t> ids;
  std::vector<at::Tensor> images;
  for (int i = 0; i < n; ++i) {
    ids.push_back(i + 1);
    const RgbImage image = synthetic_record(i + 1, width, height);
    at::Tensor hwc = at::empty({height, width, 3}, at::kByte);
    std::memcpy(hwc.data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
    images.push_back(hwc.permute({2, 0, 1}).to(at::kFloat).div(127.5).sub(1.0));
  }
  return RecordSet{ids, at::stack(images).contiguous(), log_prior_tensor(std::vector<double>(n, 1.0))};
}

struct Row {
  std::string backend;
  int width = 0, height = 0, records = 0;
  double fps = 0;
  double cpu_s_per_frame = 0;
  RenderStats stats;
};

Row render_row(DenoiserKind kind, const std::string& name, int width, int height, int records,
               int frames, int steps) {
  RenderSettings settings;
  settings.width = width;
  settings.height = height;
  settings.denoiser = kind;
  settings.local.search.window = 8;
  settings.colour_match = ColourMatchMode::none;
  std::vector<FramePlan> plans;
  for (int f = 0; f <= frames; ++f) {  // frame 0 warms up (loads records, precomputes)
    FramePlan plan;
    plan.frame = f;
    for (int i = 0; i < records; ++i) plan.records.push_back({i + 1, 1.0 + (i % 3), i == 0});
    plan.params.steps = steps;
    plan.params.seed = 1000 + f;
    plan.params.strength = 1.0;  // every frame is a full diffusion from noise
    plans.push_back(std::move(plan));
  }
  FrameRenderer renderer(settings, [&](std::int64_t id) { return synthetic_record(id, width, height); });
  RenderStats warm;
  int seen = 0;
  double cpu_warm = 0;
  renderer.render(plans, [&](RenderedFrame&&) {
    if (seen++ == 0) {
      warm = renderer.stats();
      cpu_warm = cpu_seconds();
    }
  });
  const double cpu = cpu_seconds() - cpu_warm;
  const RenderStats s = renderer.stats();
  // Everything after the warm-up frame.
  Row row{name, width, height, records, 0.0, cpu / frames, s};
  auto minus = [](double a, double b) { return std::max(0.0, a - b); };
  row.stats.search_s = minus(s.search_s, warm.search_s);
  row.stats.denoise_s = minus(s.denoise_s, warm.denoise_s);
  row.stats.sampler_s = minus(s.sampler_s, warm.sampler_s);
  row.stats.camera_s = minus(s.camera_s, warm.camera_s);
  row.stats.provenance_s = minus(s.provenance_s, warm.provenance_s);
  row.stats.load_s = minus(s.load_s, warm.load_s);
  row.stats.exact_pairs = s.exact_pairs - warm.exact_pairs;
  row.stats.denoiser_calls = s.denoiser_calls - warm.denoiser_calls;
  const double busy = row.stats.search_s + row.stats.denoise_s + row.stats.sampler_s +
                      row.stats.camera_s + row.stats.provenance_s + row.stats.load_s;
  row.stats.total_s = busy;
  row.fps = frames / busy;
  return row;
}

double time_ddim(Denoiser& denoiser, const at::Tensor& noise, const std::vector<double>& levels,
                 at::Tensor* out, int repeats) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    SampleResult result = ddim_sample(denoiser, noise, levels, 0.0, std::nullopt, Attribution::frame);
    times.push_back(seconds_since(t0));
    *out = result.image;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) parts.push_back(part);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 3, steps = 20, threads = 0;
  std::string sizes = "320x192,512x288", record_counts = "16,64";
  bool exhaustive = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--frames") frames = std::atoi(next().c_str());
    else if (arg == "--steps") steps = std::atoi(next().c_str());
    else if (arg == "--sizes") sizes = next();
    else if (arg == "--records") record_counts = next();
    else if (arg == "--threads") threads = std::atoi(next().c_str());
    else if (arg == "--skip-exhaustive") exhaustive = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  configure_torch_threads();
  if (threads > 0) at::set_num_threads(threads);
  double load[3] = {0, 0, 0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf("%s\ntorch threads: %d, load average at start: %.2f %.2f %.2f\n\n",
              runtime_versions().c_str(), at::get_num_threads(), load[0], load[1], load[2]);

  // 1. Rendering throughput and stage shares.
  std::printf("| backend | size | records | frames/s | s/frame | CPU s/frame | search | exact denoise | sampler | provenance | pairs/step |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  const std::pair<DenoiserKind, const char*> backends[] = {
      {DenoiserKind::global, "global"},
      {DenoiserKind::local, "local (same location)"},
      {DenoiserKind::local_windowed, "local windowed +-8"}};
  for (const std::string& size : split(sizes)) {
    int w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2) return 2;
    for (const std::string& count : split(record_counts)) {
      const int n = std::atoi(count.c_str());
      for (const auto& [kind, name] : backends) {
        const Row row = render_row(kind, name, w, h, n, frames, steps);
        const RenderStats& s = row.stats;
        auto share = [&](double part) { return 100.0 * part / s.total_s; };
        std::printf("| %s | %dx%d | %d | %.2f | %.3f | %.3f | %.0f %% | %.0f %% | %.0f %% | %.0f %% | %.0f |\n",
                    row.backend.c_str(), w, h, n, row.fps, 1.0 / row.fps, row.cpu_s_per_frame, share(s.search_s),
                    share(s.denoise_s), share(s.sampler_s), share(s.provenance_s),
                    static_cast<double>(s.exact_pairs) / std::max<int64_t>(1, s.denoiser_calls));
        std::fflush(stdout);
      }
    }
  }

  // 2. Global denoiser vs the naive per-record loop, same records, noise and steps.
  std::printf("\n| global denoiser, %d DDIM steps | size | records | naive s/frame | stepwise s/frame | speed-up | coefficient-space s/frame | speed-up | max |difference| |\n", steps);
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const std::string& size : split(sizes)) {
    int w = 0, h = 0;
    std::sscanf(size.c_str(), "%dx%d", &w, &h);
    for (const std::string& count : split(record_counts)) {
      const int n = std::atoi(count.c_str());
      const RecordSet set = record_set(n, w, h);
      GlobalDenoiser fast(set);
      NaiveGlobalDenoiser naive(set);
      const at::Tensor noise = gaussian_noise(3, {3, h, w});
      const auto levels = NoiseSchedule().sampling_levels(steps, 1.0);
      at::Tensor a, b, c;
      const double t_fast = time_ddim(fast, noise, levels, &a, 5);
      const double t_naive = time_ddim(naive, noise, levels, &b, 3);
      GlobalDenoiser coefficients(set);
      coefficients.sample_ddim(noise, levels, Attribution::frame);  // Gram matrix, once per set
      std::vector<double> times;
      for (int r = 0; r < 5; ++r) {
        const auto t0 = Clock::now();
        c = coefficients.sample_ddim(noise, levels, Attribution::frame).image;
        times.push_back(seconds_since(t0));
      }
      std::sort(times.begin(), times.end());
      const double t_coeff = times[times.size() / 2];
      const double diff = std::max((a - b).abs().max().item<double>(), (c - b).abs().max().item<double>());
      std::printf("| | %dx%d | %d | %.4f | %.4f | %.1fx | %.4f | %.0fx | %.1e |\n", w, h, n, t_naive,
                  t_fast, t_naive / t_fast, t_coeff, t_naive / t_coeff, diff);
      std::fflush(stdout);
    }
  }

  // 3. Windowed search: coarse-to-fine vs every (record, offset) pair, one denoiser call at a
  // mid-schedule noise level.
  if (exhaustive) {
    const int w = 320, h = 192, n = 16;
    const RecordSet set = record_set(n, w, h);
    LocalDenoiserOptions pruned_options, all_options;
    all_options.search.exhaustive = true;
    PatchDenoiser pruned(set, pruned_options, 8), all(set, all_options, 8);
    const double abar = 0.5;
    const at::Tensor x = set.images[3] * std::sqrt(abar) + gaussian_noise(4, {3, h, w}) * std::sqrt(1 - abar);
    pruned.predict(x, abar, Attribution::none);  // warm-up (square sums per patch size)
    all.predict(x, abar, Attribution::none);
    auto t0 = Clock::now();
    const at::Tensor xp = pruned.predict(x, abar, Attribution::none).x0;
    const double t_pruned = seconds_since(t0);
    t0 = Clock::now();
    const at::Tensor xa = all.predict(x, abar, Attribution::none).x0;
    const double t_all = seconds_since(t0);
    std::printf("\n| windowed +-8, one step at abar 0.5, 320x192, 16 records | pairs | s/step | speed-up | mean |x0 difference| |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    std::printf("| every pair (box filters) | %lld | %.3f | 1.0x | |\n",
                static_cast<long long>(all.timings().pairs / all.timings().calls), t_all);
    std::printf("| coarse-to-fine | %lld | %.3f | %.1fx | %.1e |\n",
                static_cast<long long>(pruned.timings().pairs / pruned.timings().calls), t_pruned,
                t_all / t_pruned, (xp - xa).abs().mean().item<double>());
  }
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3) {
      std::printf("\nload average at end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    }
    std::fclose(f);
  }
  return 0;
}

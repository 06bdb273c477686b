#include "synth/frame_renderer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "indexer/runtime/runtime_info.h"
#include "synth/abstraction.h"
#include "synth/attributed_frame.h"
#include "synth/clip_guidance.h"
#include "synth/camera_path.h"
#include "synth/colour_match.h"
#include "synth/ddim_sampler.h"
#include "synth/denoiser.h"
#include "synth/global_denoiser.h"
#include "synth/keyframe_interpolation.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/tensor_image.h"

namespace palimpsest {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Streams of the random numbers a frame uses, derived from its seed so that they never overlap.
constexpr std::uint64_t kInitNoiseStream = 0x6a09e667f3bcc909ull;
constexpr std::uint64_t kEtaStream = 0xbb67ae8584caa73bull;

// Records kept as film-sized tensors between frames; beyond this, records the current frame does
// not use are dropped.
constexpr size_t kMaxCachedRecords = 256;

}  // namespace

struct FrameRenderer::Impl {
  RenderSettings settings;
  RecordImageSource source;
  NoiseSchedule schedule;
  RenderStats stats;

  std::unordered_map<std::int64_t, at::Tensor> record_cache;
  std::vector<std::int64_t> denoiser_ids;
  DenoiserKind denoiser_kind = DenoiserKind::local;
  std::unique_ptr<Denoiser> denoiser;
  ClipEncoder* clip_encoder = nullptr;
  std::unique_ptr<ClipGuide> clip_guide;
  std::map<std::pair<std::int64_t, std::vector<double>>, at::Tensor> inversions;
  bool track_pixels = false;

  Impl(RenderSettings s, RecordImageSource src)
      : settings(std::move(s)), source(std::move(src)), schedule(settings.schedule) {
    if (settings.width < 8 || settings.height < 8) {
      throw std::invalid_argument("RenderSettings: frames must be at least 8 x 8 pixels");
    }
    if (!source) throw std::invalid_argument("FrameRenderer: no record image source");
  }

  const at::Tensor& record_tensor(std::int64_t id, const std::vector<RecordPrior>& in_use) {
    auto it = record_cache.find(id);
    if (it != record_cache.end()) return it->second;
    const auto started = Clock::now();
    if (record_cache.size() >= kMaxCachedRecords) {
      for (auto e = record_cache.begin(); e != record_cache.end();) {
        const bool used = std::any_of(in_use.begin(), in_use.end(), [&](const RecordPrior& r) {
          return r.record_id == e->first;
        });
        e = used ? std::next(e) : record_cache.erase(e);
      }
    }
    const RgbImage image = source(id);
    at::Tensor tensor = image_to_tensor(cover_frame(image, settings.width, settings.height));
    stats.load_s += seconds_since(started);
    return record_cache.emplace(id, std::move(tensor)).first->second;
  }

  // The denoiser over the plan's records, with the plan's priors; reused while the record list
  // and the denoiser kind stay the same (an interpolation changes only the priors).
  Denoiser& denoiser_for(const FramePlan& plan) {
    std::vector<std::int64_t> ids;
    std::vector<double> priors;
    for (const RecordPrior& r : plan.records) {
      ids.push_back(r.record_id);
      priors.push_back(r.prior);
    }
    const DenoiserKind kind = abstracted_denoiser(plan, settings.denoiser);
    if (!denoiser || ids != denoiser_ids || kind != denoiser_kind) {
      std::vector<at::Tensor> images;
      for (std::int64_t id : ids) images.push_back(record_tensor(id, plan.records));
      const auto started = Clock::now();
      RecordSet set{ids, at::stack(images).contiguous(), log_prior_tensor(priors)};
      denoiser.reset();
      denoiser = make_denoiser(kind, std::move(set), settings.local);
      denoiser_ids = ids;
      denoiser_kind = kind;
      inversions.clear();
      stats.load_s += seconds_since(started);
    }
    denoiser->set_log_prior(log_prior_tensor(priors));
    return *denoiser;
  }

  // DDIM inversion of a keyframe record's image up to levels[0], with a uniform prior over the
  // frame's records (so that it can be shared by every frame of an interpolation).
  at::Tensor inversion(Denoiser& den, const FramePlan& plan, std::int64_t record,
                       const std::vector<double>& levels) {
    auto key = std::make_pair(record, levels);
    auto it = inversions.find(key);
    if (it != inversions.end()) return it->second;
    const at::Tensor image = record_tensor(record, plan.records);
    const at::Tensor saved = den.records().log_prior.clone();
    den.set_log_prior(log_prior_tensor(std::vector<double>(plan.records.size(), 1.0)));
    at::Tensor latent = ddim_invert(den, image, levels);
    den.set_log_prior(saved);
    return inversions.emplace(std::move(key), latent).first->second;
  }

  // What language does on this frame's `steps` sampling steps; nullopt when nothing (no target,
  // or a ratio of 0 at every step), so that such frames are drawn exactly as without language.
  std::optional<StepGuidance> language_for(const FramePlan& plan, std::size_t steps) {
    if (!plan.language || plan.language->positive.empty() || !(plan.guidance_scale > 0.0)) return std::nullopt;
    StepGuidance g;
    bool any = false;
    for (std::size_t k = 0; k < steps; ++k) {
      // The first step is at 0 %, the last at 100 %; a lone step is the last one (it gives the
      // frame), so clip mode's default curve, which guides the end of sampling, reaches it too.
      const std::int64_t percent =
          steps > 1 ? std::llround(100.0 * static_cast<double>(k) / static_cast<double>(steps - 1)) : 100;
      g.ratios.push_back(plan.guidance_scale * plan.params.guidance_curve.at(percent));
      any |= g.ratios.back() > 0.0;
    }
    if (!any) return std::nullopt;
    std::vector<float> logits;
    for (const RecordPrior& r : plan.records)
      logits.push_back(static_cast<float>(plan.language->logit_scale * r.language));
    g.record_logits = at::tensor(logits, at::kFloat);
    g.target = plan.language.get();
    if (plan.params.guidance_mode == GuidanceMode::clip) {
      if (!clip_encoder)
        throw std::invalid_argument("frame " + std::to_string(plan.frame) +
                                    ": guidance_mode clip needs the film's CLIP model (FrameRenderer::set_language_model)");
      if (!clip_guide) clip_guide = std::make_unique<ClipGuide>(*clip_encoder);
      g.clip = clip_guide.get();
    }
    return g;
  }

  AttributedFrame diffuse(const FramePlan& plan, const at::Tensor* init) {
    const auto started = Clock::now();
    Denoiser& den = denoiser_for(plan);
    den.reset_timings();
    const FrameParams& p = plan.params;
    const double strength = init ? p.strength : 1.0;
    const std::vector<double> levels = schedule.sampling_levels(p.steps, strength);
    const std::vector<int64_t> shape = {3, settings.height, settings.width};

    at::Tensor x_start;
    if (plan.blend && plan.blend->invert) {
      const at::Tensor a = inversion(den, plan, plan.blend->keyframe_a, levels);
      const at::Tensor b = inversion(den, plan, plan.blend->keyframe_b, levels);
      x_start = slerp(a, b, plan.blend->mix);
    } else {
      const at::Tensor noise =
          plan.blend ? slerp(gaussian_noise(plan.blend->seed_a, shape),
                             gaussian_noise(plan.blend->seed_b, shape), plan.blend->mix)
                     : gaussian_noise(p.seed, shape);
      at::Tensor base = init ? *init : at::zeros(shape, at::kFloat);
      if (init && p.noise > 0.0) {
        base = (base + gaussian_noise(p.seed ^ kInitNoiseStream, shape) * p.noise).clamp(-1.0, 1.0);
      }
      x_start = noise_to_level(base, noise, levels[0]);
    }
    std::optional<at::Generator> generator;
    if (settings.eta > 0.0) generator = seeded_generator(p.seed ^ kEtaStream);
    const Attribution attribution = track_pixels ? Attribution::pixels : Attribution::frame;
    auto* global = dynamic_cast<GlobalDenoiser*>(&den);
    const std::optional<StepGuidance> language = language_for(plan, levels.size() - 1);
    const StepGuidance* guidance = language ? &*language : nullptr;
    const double clip_before = clip_guide ? clip_guide->seconds() : 0.0;
    // The global denoiser runs deterministic DDIM in coefficient space (synth/global_denoiser.h),
    // unless the CLIP gradient moves x out of the records' span.
    SampleResult result =
        global && settings.eta == 0.0 && !(guidance && guidance->clip)
            ? global->sample_ddim(x_start, levels, attribution, guidance)
            : ddim_sample(den, x_start, levels, settings.eta, generator, attribution, guidance);
    const double clip_spent = (clip_guide ? clip_guide->seconds() : 0.0) - clip_before;

    const DenoiserTimings& t = den.timings();
    stats.denoiser_calls += t.calls;
    stats.exact_pairs += t.pairs;
    stats.search_s += t.search_s;
    stats.denoise_s += t.exact_s;
    stats.sampler_s += std::max(0.0, seconds_since(started) - t.search_s - t.exact_s - clip_spent);
    stats.language_s += clip_spent;
    stats.diffused_frames += 1;
    AttributedFrame frame{result.image, den.records().ids, result.last.record_weights,
                          result.last.pixel_weights};
    if (result.residual.defined()) frame = with_language(std::move(frame), result.last.x0, result.residual);
    return frame;
  }

  void emit(const FramePlan& plan, const AttributedFrame& frame, bool diffused,
            std::int64_t init_record, const std::function<void(RenderedFrame&&)>& on_frame) {
    const auto started = Clock::now();
    RenderedFrame out;
    out.frame = plan.frame;
    out.image = tensor_to_image(frame.image);
    out.provenance = describe_frame(plan, frame, diffused, init_record, settings);
    stats.provenance_s += seconds_since(started);
    if (!diffused) stats.tween_frames += 1;
    on_frame(std::move(out));
  }

  // The image the warped previous frame is colour-matched to: the frame's keyframe record, else
  // the first frame of the sequence (Deforum's "match frame 0").
  at::Tensor colour_reference(const FramePlan& plan, const at::Tensor& sequence_first) {
    for (const RecordPrior& r : plan.records) {
      if (r.keyframe) return record_tensor(representative_record(plan.records), plan.records);
    }
    return sequence_first;
  }

  void render(const std::vector<FramePlan>& requested,
              const std::function<void(RenderedFrame&&)>& on_frame) {
    validate_plans(requested);
    configure_torch_threads();
    const ScopedBlasThreads one_blas_thread(1);
    const auto started = Clock::now();
    // Plans as drawn: abstraction changes strength and priors (and the denoiser, in denoiser_for).
    std::vector<FramePlan> plans;
    plans.reserve(requested.size());
    for (const FramePlan& p : requested) plans.push_back(abstracted_plan(p));
    // Clip-mode language draws a share per pixel, which needs the records' pixel weights.
    track_pixels = settings.attribution_maps || settings.pixel_weights ||
                   std::any_of(plans.begin(), plans.end(), [](const FramePlan& p) {
                     return p.params.cadence > 1 ||
                            (p.language && p.params.guidance_mode == GuidanceMode::clip && p.guidance_scale > 0.0);
                   });

    std::optional<AttributedFrame> previous;
    at::Tensor sequence_first;
    size_t i = 0;
    while (i < plans.size()) {
      const FramePlan& plan = plans[i];
      if (plan.records.empty()) {
        // No pictures (timeline_plans.h: past the borrowing limit): the init itself.
        const std::int64_t init_record = plan.params.init == InitMode::record ? plan.params.init_record_id : 0;
        const at::Tensor image = init_record != 0 ? record_tensor(init_record, plan.records) : at::Tensor();
        emit(plan, init_only_frame(plan, image, init_record, track_pixels, settings.width, settings.height), true,
             init_record, on_frame);
        previous.reset();  // the next frame with pictures starts a sequence
        ++i;
        continue;
      }
      if (i == 0 || plan.restart || !previous) {
        // A sequence starts from its init.
        std::int64_t init_record = 0;
        at::Tensor init;
        if (plan.params.init == InitMode::black) {
          init = at::full({3, settings.height, settings.width}, -1.0, at::kFloat);
        } else if (plan.params.init == InitMode::record) {
          init_record = plan.params.init_record_id != 0 ? plan.params.init_record_id
                                                        : representative_record(plan.records);
          init = record_tensor(init_record, plan.records);
        }
        AttributedFrame frame = diffuse(plan, init.defined() ? &init : nullptr);
        emit(plan, frame, true, init_record, on_frame);
        sequence_first = frame.image;
        previous = std::move(frame);
        ++i;
        continue;
      }

      // A cadence block: frames i..j, diffused at j, in-betweens blended.
      const int cadence = plan.params.cadence;
      size_t j = i;
      while (j + 1 < plans.size() && static_cast<int>(j + 1 - i) < cadence &&
             !plans[j + 1].restart) {
        ++j;
      }
      auto camera_started = Clock::now();
      // path[k]: previous diffused frame -> frame i + k.
      std::vector<Homography> path;
      Homography so_far = identity_homography();
      for (size_t f = i; f <= j; ++f) {
        so_far = compose(camera_homography(plans[f].params.camera, settings.width, settings.height),
                         so_far);
        path.push_back(so_far);
      }
      const AttributedFrame moved = warp_frame(*previous, path.back());
      at::Tensor init = moved.image;
      if (settings.colour_match != ColourMatchMode::none) {
        init = match_colours(init, colour_reference(plans[j], sequence_first),
                             settings.colour_match);
      }
      stats.camera_s += seconds_since(camera_started);

      AttributedFrame next = diffuse(plans[j], &init);

      camera_started = Clock::now();
      const Homography back = invert(path.back());
      std::vector<AttributedFrame> tweens;
      for (size_t f = i; f < j; ++f) {
        const double t = static_cast<double>(f - i + 1) / static_cast<double>(j - i + 1);
        const Homography& forward = path[f - i];
        tweens.push_back(blend_frames(warp_frame(*previous, forward),
                                      warp_frame(next, compose(forward, back)), t));
      }
      stats.camera_s += seconds_since(camera_started);
      for (size_t f = i; f < j; ++f) emit(plans[f], tweens[f - i], false, 0, on_frame);
      emit(plans[j], next, true, 0, on_frame);
      previous = std::move(next);
      i = j + 1;
    }
    stats.total_s += seconds_since(started);
  }
};

FrameRenderer::FrameRenderer(RenderSettings settings, RecordImageSource source)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(source))) {}
FrameRenderer::~FrameRenderer() = default;
FrameRenderer::FrameRenderer(FrameRenderer&&) noexcept = default;
FrameRenderer& FrameRenderer::operator=(FrameRenderer&&) noexcept = default;

void FrameRenderer::render(const std::vector<FramePlan>& plans,
                           const std::function<void(RenderedFrame&&)>& on_frame) {
  impl_->render(plans, on_frame);
}

void FrameRenderer::set_language_model(ClipEncoder* encoder) {
  impl_->clip_encoder = encoder;
  impl_->clip_guide.reset();
}

const RenderStats& FrameRenderer::stats() const { return impl_->stats; }
const RenderSettings& FrameRenderer::settings() const { return impl_->settings; }

std::vector<RenderedFrame> render_frames(const RenderSettings& settings,
                                         const std::vector<FramePlan>& plans,
                                         const RecordImageSource& source, RenderStats* stats) {
  FrameRenderer renderer(settings, source);
  std::vector<RenderedFrame> frames;
  renderer.render(plans, [&](RenderedFrame&& frame) { frames.push_back(std::move(frame)); });
  if (stats) *stats = renderer.stats();
  return frames;
}

}  // namespace palimpsest

#include "synth/latent_renderer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "indexer/runtime/runtime_info.h"
#include "synth/attributed_frame.h"
#include "synth/camera_warp.h"
#include "synth/ddim_sampler.h"
#include "synth/keyframe_interpolation.h"
#include "synth/latent_denoiser.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/tensor_image.h"

namespace palimpsest {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Independent noise streams of one seed (the same constants as the archive renderer's).
constexpr std::uint64_t kInitNoiseStream = 0x6a09e667f3bcc909ull;
constexpr std::uint64_t kEtaStream = 0xbb67ae8584caa73bull;

}  // namespace

struct LatentRenderer::Impl {
  LatentDiffusionModel& model;
  RenderSettings settings;
  RecordImageSource source;
  RenderStats stats;
  std::map<std::int64_t, at::Tensor> record_images;

  at::Tensor record_image(std::int64_t id) {
    auto it = record_images.find(id);
    if (it != record_images.end()) return it->second;
    const auto started = Clock::now();
    at::Tensor t = image_to_tensor(cover_frame(source(id), settings.width, settings.height));
    stats.load_s += seconds_since(started);
    return record_images.emplace(id, t).first->second;
  }

  FrameProvenance provenance(const FramePlan& plan, const at::Tensor& weights, std::int64_t init_record) {
    FrameProvenance p;
    p.frame = plan.frame;
    p.diffused = true;
    for (std::size_t i = 0; i < plan.records.size(); ++i)
      p.entries.push_back({plan.records[i].record_id, weights[static_cast<std::int64_t>(i)].item<double>(),
                           pixel_role(plan.records[i])});
    std::sort(p.entries.begin(), p.entries.end(),
              [](const ProvenanceEntry& a, const ProvenanceEntry& b) { return a.weight > b.weight; });
    if (init_record != 0) p.entries.push_back({init_record, 0.0, ProvenanceRole::init});
    for (const GuidanceWeight& g : plan.guidance) p.entries.push_back({g.record_id, g.weight, ProvenanceRole::guidance});
    return p;
  }

  void render(const std::vector<FramePlan>& plans, const std::function<void(RenderedFrame&&)>& on_frame) {
    validate_plans(plans);
    configure_torch_threads();
    const int ds = model.downscale();
    if (settings.width % ds || settings.height % ds)
      throw std::invalid_argument("the torchscript backend needs a frame size divisible by " + std::to_string(ds) +
                                  ", got " + std::to_string(settings.width) + "x" + std::to_string(settings.height));
    const auto started = Clock::now();
    const NoiseSchedule schedule(model.schedule());
    const std::vector<std::int64_t> shape = {model.latent_channels(), settings.height / ds, settings.width / ds};
    at::Tensor previous;  // the last frame's image [3, H, W]
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const FramePlan& plan = plans[i];
      const FrameParams& p = plan.params;
      if (plan.records.empty()) {
        // No pictures (timeline_plans.h: past the borrowing limit): the init itself.
        const std::int64_t init_record = p.init == InitMode::record ? p.init_record_id : 0;
        const AttributedFrame frame = init_only_frame(plan, init_record != 0 ? record_image(init_record) : at::Tensor(),
                                                      init_record, false, settings.width, settings.height);
        RenderedFrame out;
        out.frame = plan.frame;
        out.image = tensor_to_image(frame.image);
        out.provenance = describe_frame(plan, frame, true, init_record, settings);
        previous = frame.image;
        on_frame(std::move(out));
        continue;
      }
      std::int64_t init_record = 0;
      at::Tensor init_image;
      const auto camera_started = Clock::now();
      if (i == 0 || plan.restart) {
        if (p.init == InitMode::black) {
          init_image = at::full({3, settings.height, settings.width}, -1.0, at::kFloat);
        } else if (p.init == InitMode::record) {
          init_record = p.init_record_id != 0 ? p.init_record_id : representative_record(plan.records);
          init_image = record_image(init_record);
        }
      } else {
        init_image = warp_planes(previous, camera_homography(p.camera, settings.width, settings.height));
        if (p.noise > 0)
          init_image = (init_image + gaussian_noise(p.seed ^ kInitNoiseStream, init_image.sizes()) * p.noise).clamp(-1, 1);
      }
      stats.camera_s += seconds_since(camera_started);

      const auto sample_started = Clock::now();
      const double strength = init_image.defined() ? p.strength : 1.0;
      const std::vector<double> levels = schedule.sampling_levels(p.steps, strength);
      const at::Tensor noise = plan.blend ? slerp(gaussian_noise(plan.blend->seed_a, shape),
                                                  gaussian_noise(plan.blend->seed_b, shape), plan.blend->mix)
                                          : gaussian_noise(p.seed, shape);
      const at::Tensor base = init_image.defined() ? model.encode_image(init_image) : at::zeros(shape, at::kFloat);
      RecordSet records;
      std::vector<double> priors;
      for (const RecordPrior& r : plan.records) {
        records.ids.push_back(r.record_id);
        priors.push_back(r.prior);
      }
      records.log_prior = log_prior_tensor(priors);
      LatentDenoiser denoiser(model, std::move(records));
      denoiser.set_conditioning(model.encode_text(plan.prompt), model.encode_text(plan.negative_prompt),
                                plan.guidance_scale);
      std::optional<at::Generator> generator;
      if (settings.eta > 0.0) generator = seeded_generator(p.seed ^ kEtaStream);
      const SampleResult result =
          ddim_sample(denoiser, noise_to_level(base, noise, levels[0]), levels, settings.eta, generator, Attribution::frame);
      const at::Tensor image = model.decode(result.image).clamp(-1.0, 1.0);
      stats.denoiser_calls += denoiser.timings().calls;
      stats.sampler_s += seconds_since(sample_started);
      stats.diffused_frames += 1;

      RenderedFrame out;
      out.frame = plan.frame;
      out.image = tensor_to_image(image);
      out.provenance = provenance(plan, result.last.record_weights, init_record);
      previous = image;
      on_frame(std::move(out));
    }
    stats.total_s += seconds_since(started);
  }
};

LatentRenderer::LatentRenderer(LatentDiffusionModel& model, RenderSettings settings, RecordImageSource source)
    : impl_(new Impl{model, std::move(settings), std::move(source), {}, {}}) {}
LatentRenderer::~LatentRenderer() = default;

void LatentRenderer::render(const std::vector<FramePlan>& plans, const std::function<void(RenderedFrame&&)>& on_frame) {
  impl_->render(plans, on_frame);
}

const RenderStats& LatentRenderer::stats() const { return impl_->stats; }

}  // namespace palimpsest

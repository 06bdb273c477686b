// The torchscript backend: tiny TorchScript modules of the latent diffusion interface, built here
// with torch::jit::Module::define and saved, are loaded by the real loader and sampled by the
// real DDIM + classifier-free guidance code.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "indexer/media/image_codec.h"
#include "indexer/media/media_decoder.h"
#include "retrieval/timeline/timeline.h"
#include "schema/catalog.h"
#include "synth/film_maker.h"
#include "synth/latent_denoiser.h"
#include "synth/latent_model.h"
#include "synth/latent_renderer.h"
#include "synth/noise_schedule.h"
#include "tests/common/test_support.h"
#include "schema/film_store.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

constexpr double kLatentScale = 0.5;

// A unet whose epsilon makes x0 equal to the mean of its context, at every level of the model's
// schedule: x0 is then known in closed form, guidance included.
void save_modules(const fs::path& dir, bool bad_unet = false) {
  fs::create_directories(dir);
  const NoiseSchedule schedule(ScheduleKind::scaled_linear);
  std::vector<double> abar;
  for (int t = 0; t < NoiseSchedule::kTrainingSteps; ++t) abar.push_back(schedule.alpha_bar(t));

  torch::jit::Module unet("TinyUnet");
  unet.register_buffer("abar", torch::tensor(abar, torch::kDouble).to(torch::kFloat));
  unet.define(bad_unet ? R"(
def forward(self, x, t, context):
    return x[:, 0:3]
)"
                       : R"(
def forward(self, x, t, context):
    a = self.abar[t].view(-1, 1, 1, 1)
    target = context.mean(dim=[1, 2]).view(-1, 1, 1, 1)
    return (x - torch.sqrt(a) * target) / torch.sqrt(1.0 - a)
)");
  unet.save((dir / "unet.pt").string());

  torch::jit::Module text("TinyText");
  text.define(R"(
def forward(self, ids):
    return (ids.float() / 1000.0).unsqueeze(2).repeat(1, 1, 4)
)");
  text.save((dir / "text_encoder.pt").string());

  torch::jit::Module encoder("TinyVaeEncoder");
  encoder.define(R"(
def forward(self, image):
    p = torch.avg_pool2d(image, [8, 8])
    return torch.cat([p, p.mean(dim=1, keepdim=True)], 1)
)");
  encoder.save((dir / "vae_encoder.pt").string());

  torch::jit::Module decoder("TinyVaeDecoder");
  decoder.define(R"(
def forward(self, latent):
    return latent[:, 0:3].repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)
)");
  decoder.save((dir / "vae_decoder.pt").string());

  fs::copy_file(fs::path(PALIMPSEST_SOURCE_DIR) / "data/models/palimpsest-tiny/tokenizer.model",
                dir / "tokenizer.model", fs::copy_options::overwrite_existing);
  testing::write_file(dir / "model.json", R"({"kind": "latent-diffusion",
    "unet": "unet.pt", "vae_encoder": "vae_encoder.pt", "vae_decoder": "vae_decoder.pt",
    "text_encoder": "text_encoder.pt",
    "tokenizer": {"kind": "sentencepiece", "file": "tokenizer.model", "context_length": 16},
    "latent_channels": 4, "downscale": 8, "latent_scale": 0.5, "schedule": "scaled_linear"})");
}

std::vector<FramePlan> plans(int n, double scale) {
  std::vector<FramePlan> out;
  for (int f = 0; f < n; ++f) {
    FramePlan p;
    p.frame = f;
    p.records = {{1, 3.0, true}, {2, 1.0, false}};
    p.guidance = {{7, 1.0}};
    p.params.steps = 6;
    p.params.strength = f == 0 ? 1.0 : 0.5;
    p.params.seed = 10 + f;
    p.params.camera.zoom = 1.02;
    p.prompt = "a red circle over the sea";
    p.negative_prompt = "";
    p.guidance_scale = scale;
    out.push_back(p);
  }
  return out;
}

RgbImage grey(std::int64_t) { return RgbImage(40, 40); }

TEST(LatentBackend, GuidedSamplingReachesTheClosedFormImage) {
  testing::TempDir dir;
  save_modules(dir.path());
  auto model = LatentDiffusionModel::load(dir.path());
  const double cond = model->encode_text("a red circle over the sea").mean().item<double>();
  const double uncond = model->encode_text("").mean().item<double>();
  ASSERT_NE(cond, uncond);

  for (double scale : {1.0, 3.0}) {
    RenderSettings settings;
    settings.width = 32;
    settings.height = 16;
    LatentRenderer renderer(*model, settings, grey);
    std::vector<RenderedFrame> frames;
    renderer.render(plans(3, scale), [&](RenderedFrame&& f) { frames.push_back(std::move(f)); });
    ASSERT_EQ(frames.size(), 3u);
    // x0 = uncond + scale (cond - uncond) in the scaled latent; decoded: divided by the scale.
    const double latent = scale == 1.0 ? cond : uncond + scale * (cond - uncond);
    const double value = std::clamp(latent / kLatentScale, -1.0, 1.0);
    const int expected = static_cast<int>(std::lround((value + 1.0) * 127.5));
    for (const auto& f : frames) {
      EXPECT_EQ(f.image.width, 32);
      EXPECT_EQ(f.image.height, 16);
      for (std::uint8_t v : f.image.pixels) ASSERT_NEAR(v, expected, 1) << "frame " << f.frame << " scale " << scale;
      // Conditioning provenance: the priors, normalised, then the guidance record.
      ASSERT_EQ(f.provenance.entries.size(), 3u);
      EXPECT_EQ(f.provenance.entries[0].record_id, 1);
      EXPECT_EQ(f.provenance.entries[0].role, ProvenanceRole::keyframe);
      EXPECT_NEAR(f.provenance.entries[0].weight, 0.75, 1e-6);  // float32 log-priors
      EXPECT_NEAR(f.provenance.pixel_weight_sum(), 1.0, 1e-9);
      EXPECT_EQ(f.provenance.entries[2].role, ProvenanceRole::guidance);
    }
    EXPECT_EQ(renderer.stats().diffused_frames, 3);
    // Every DDIM step of a guided run calls the unet once with a batch of two.
    EXPECT_GT(renderer.stats().denoiser_calls, 3);
  }
}

TEST(LatentBackend, TimestepsFollowTheSchedule) {
  testing::TempDir dir;
  save_modules(dir.path());
  auto model = LatentDiffusionModel::load(dir.path());
  LatentDenoiser den(*model, RecordSet{});
  const NoiseSchedule schedule(ScheduleKind::scaled_linear);
  for (int t : {0, 1, 250, 998, 999}) EXPECT_EQ(den.timestep_for(schedule.alpha_bar(t)), t);
  EXPECT_EQ(den.timestep_for(0.9999999), 0);
  EXPECT_EQ(den.timestep_for(1e-9), 999);
}

TEST(LatentBackend, BadModelsAreClearErrors) {
  testing::TempDir dir;
  auto expect_error = [&](const std::string& needle) {
    try {
      LatentDiffusionModel::load(dir.path());
      ADD_FAILURE() << "expected an error containing " << needle;
    } catch (const LatentModelError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("model.json: missing");
  save_modules(dir.path());
  fs::remove(dir / "vae_decoder.pt");
  expect_error("vae_decoder.pt: missing");
  testing::write_file(dir / "vae_decoder.pt", "not a zip archive");
  expect_error("vae_decoder.pt: not a loadable TorchScript module");
  save_modules(dir.path(), /*bad_unet=*/true);
  expect_error("unet returned shape");
  save_modules(dir.path());
  testing::write_file(dir / "model.json", R"({"kind": "stable-cascade"})");
  expect_error("\"kind\" must be \"latent-diffusion\"");
  // A frame size the VAE cannot divide.
  save_modules(dir.path());
  auto model = LatentDiffusionModel::load(dir.path());
  RenderSettings settings;
  settings.width = 36;
  settings.height = 16;
  LatentRenderer renderer(*model, settings, grey);
  EXPECT_THROW(renderer.render(plans(1, 1.0), [](RenderedFrame&&) {}), std::invalid_argument);
}

// make_film with the torchscript backend: a planned film of two image records becomes frames, an
// MP4 and provenance rows (the conditioning weights), like the archive backend's.
TEST(LatentBackend, MakeFilmRendersWithTheTorchscriptBackend) {
  testing::TempDir dir;
  save_modules(dir / "model");
  Catalog catalog(dir / "c.db");
  const auto archive = catalog.ensure_archive("a", dir.path().string());
  std::vector<std::int64_t> ids;
  {
    SourceRow source;
    source.archive_id = archive;
    source.uri = (dir / "stills").string();
    source.sha256 = "s";
    source.kind = SourceKind::image;
    auto writer = catalog.replace_source(source);
    for (int i = 0; i < 2; ++i) {
      RecordRow r;
      r.kind = RecordKind::image;
      r.title = "still " + std::to_string(i);
      RgbImage image(48, 32);
      std::fill(image.pixels.begin(), image.pixels.end(), static_cast<std::uint8_t>(60 + 120 * i));
      ids.push_back(writer.add_record(r, encode_jpeg(image)));
    }
    writer.commit();
  }
  Timeline t;
  t.title = "latent";
  t.fps = 8;
  t.width = 32;
  t.height = 16;
  t.frame_count = 6;
  t.planned = true;
  Shot shot;
  shot.text = "a red circle";
  shot.end_frame = 6;
  shot.keyframes = {{ids[0], 0}, {ids[1], 4}};
  t.shots.push_back(shot);
  const auto film = catalog.films().create(t.title, "test", t.to_json(), nlohmann::json::object());

  FilmMakeOptions options;
  options.backend = SynthesisBackend::torchscript;
  options.diffusion_model = dir / "model";
  const FilmResult result = make_film(catalog, film, options);
  EXPECT_EQ(result.frames_rendered, 6);
  EXPECT_EQ(catalog.films().get(film)->status, FilmStatus::done);
  MediaDecoder video(result.video_path);
  int frames = 0;
  while (video.next_frame()) ++frames;
  EXPECT_EQ(frames, 6);
  // Frame 2 sits halfway between the keyframes: both records weigh the same.
  const auto rows = catalog.films().frame_provenance(film, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NEAR(rows[0].weight, 0.5, 1e-6);
  EXPECT_NEAR(rows[1].weight, 0.5, 1e-6);
  EXPECT_EQ(rows[0].role, ProvenanceRole::keyframe);

  options.diffusion_model = dir / "nowhere";
  EXPECT_THROW(make_film(catalog, film, options), FilmMakeError);
}

}  // namespace
}  // namespace palimpsest

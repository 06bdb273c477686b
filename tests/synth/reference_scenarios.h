#pragma once
// Render scenarios whose frames main's code path rendered before language guidance existed
// (commit 8623f5e): tests/synth/reference/<scenario>.txt holds, per frame, the SHA-256 of the
// frame's PNG and of its attribution map and every provenance entry at full precision.
// guidance_zero_test.cpp renders them again with language guidance attached at ratio 0 and
// checks the files byte for byte; DISABLED_WriteReferenceFrames wrote them (run it with
// --gtest_also_run_disabled_tests only when the closed-form denoisers change on purpose).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "indexer/files/content_hash.h"
#include "indexer/media/image_codec.h"
#include "synth/frame_renderer.h"

namespace palimpsest::reference {

inline constexpr int kWidth = 32, kHeight = 24;

// A record image of the frame's size: a smooth colour field plus a per-record texture, so that
// records differ everywhere and each pixel's source is identifiable (renderer_test.cpp uses it
// too).
inline RgbImage record_image(std::int64_t id) {
  RgbImage image(kWidth, kHeight);
  std::uint32_t state = static_cast<std::uint32_t>(id) * 2654435761u + 1u;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      state = state * 1664525u + 1013904223u;
      std::uint8_t* p = image.row(y) + x * 3;
      p[0] = static_cast<std::uint8_t>((id * 70 + x * 5 + (state >> 27)) % 256);
      p[1] = static_cast<std::uint8_t>((id * 40 + y * 7 + ((state >> 19) & 31)) % 256);
      p[2] = static_cast<std::uint8_t>((id * 110 + (x + y) * 3 + ((state >> 11) & 31)) % 256);
    }
  }
  return image;
}

struct Scenario {
  std::string name;
  RenderSettings settings;
  std::vector<FramePlan> plans;
};

// Six frames between keyframe records 1 and 2 (record 3 joins as guidance), a camera move and a
// cadence block, for each denoiser; and one with eta > 0 from a black init.
inline std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  const DenoiserKind kinds[] = {DenoiserKind::global, DenoiserKind::local, DenoiserKind::local_windowed};
  const char* names[] = {"global", "local", "local_windowed"};
  for (int k = 0; k < 4; ++k) {
    Scenario s;
    s.name = k < 3 ? names[k] : "global_eta";
    s.settings.width = kWidth;
    s.settings.height = kHeight;
    s.settings.denoiser = k < 3 ? kinds[k] : DenoiserKind::global;
    s.settings.local.patch.p_max = 7;
    s.settings.local.search.window = 2;
    s.settings.local.search.coarse_factor = 2;
    s.settings.attribution_maps = true;
    if (k == 3) s.settings.eta = 0.3;
    for (int f = 0; f < 6; ++f) {
      FramePlan plan;
      plan.frame = f;
      const double t = f / 5.0;
      plan.records = {{1, 1.0 - t + 0.05, true}, {2, t + 0.05, true}, {3, 0.3, false}};
      plan.guidance = {{9, 0.5}};
      plan.params.steps = 10;
      plan.params.seed = 7 + static_cast<std::uint64_t>(f);
      plan.params.strength = f == 0 ? 1.0 : 0.55;
      plan.params.noise = 0.02;
      plan.params.camera.zoom = 1.03;
      plan.params.camera.angle = 2.0;
      plan.params.cadence = f >= 2 ? 2 : 1;
      if (k == 3) plan.params.init = InitMode::black;
      if (f > 0 && k != 3) {
        KeyframeBlend blend;
        blend.seed_a = 7;
        blend.seed_b = 12;
        blend.mix = t;
        blend.keyframe_a = 1;
        blend.keyframe_b = 2;
        plan.blend = blend;
      }
      plan.prompt = "a red circle over the sea";
      s.plans.push_back(std::move(plan));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The text the reference files hold for rendered frames.
inline std::string describe(const std::vector<RenderedFrame>& frames) {
  std::string out;
  char line[160];
  for (const RenderedFrame& f : frames) {
    out += "frame " + std::to_string(f.frame) + (f.provenance.diffused ? " diffused" : " tween") + "\n";
    out += "  png " + sha256_bytes(encode_png(f.image)) + "\n";
    out += "  map " + sha256_bytes(encode_attribution_png(f.provenance)) + "\n";
    for (const ProvenanceEntry& e : f.provenance.entries) {
      std::snprintf(line, sizeof line, "  %lld %s %.17g\n", static_cast<long long>(e.record_id),
                    std::string(to_string(e.role)).c_str(), e.weight);
      out += line;
    }
  }
  return out;
}

}  // namespace palimpsest::reference

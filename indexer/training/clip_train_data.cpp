#include "indexer/training/clip_train_data.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace palimpsest::clip {
namespace {

Combination combination_of(const demo::ShapeGroup& group, demo::Background background) {
  return {group.colour, group.shape, background};
}

// Every combination random_scene can draw, in a fixed order.
std::vector<Combination> possible_combinations() {
  std::vector<Combination> all;
  for (auto background : demo::kBackgrounds) {
    for (auto colour : demo::kColours) {
      if (demo::low_contrast(background, colour)) continue;
      for (auto shape : demo::kShapes) all.push_back({colour, shape, background});
    }
  }
  return all;
}

// Fisher-Yates on the engine's raw output (std::shuffle's use of the engine is unspecified), so
// a seed names the same split with every standard library.
template <typename T>
void shuffle_raw(std::vector<T>& values, std::mt19937_64& rng) {
  for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng() % i]);
}

}  // namespace

std::string describe(const Combination& c) {
  return std::string(demo::word(c.colour)) + " " + std::string(demo::word(c.shape)) + " / " +
         std::string(demo::word(c.background));
}

HeldOutSplit::HeldOutSplit(std::uint64_t seed, double fraction) {
  std::vector<Combination> all = possible_combinations();
  std::mt19937_64 rng(seed);
  shuffle_raw(all, rng);
  const auto target = static_cast<std::size_t>(std::lround(fraction * all.size()));
  // At most one held-out combination per (colour, shape), (colour, background) and
  // (shape, background), so each pair is still seen with every other third element but one.
  std::set<std::pair<int, int>> colour_shape, colour_background, shape_background;
  for (const Combination& c : all) {
    if (held_out_.size() >= target) break;
    const int colour = static_cast<int>(c.colour);
    const int shape = static_cast<int>(c.shape);
    const int background = static_cast<int>(c.background);
    if (colour_shape.count({colour, shape}) || colour_background.count({colour, background}) ||
        shape_background.count({shape, background})) {
      continue;
    }
    colour_shape.insert({colour, shape});
    colour_background.insert({colour, background});
    shape_background.insert({shape, background});
    held_out_.push_back(c);
  }
}

HeldOutSplit::HeldOutSplit(std::vector<Combination> held_out) : held_out_(std::move(held_out)) {}

bool HeldOutSplit::is_held_out(const Combination& combination) const {
  return std::find(held_out_.begin(), held_out_.end(), combination) != held_out_.end();
}

bool HeldOutSplit::touches(const demo::SceneSpec& scene) const {
  return std::any_of(scene.groups.begin(), scene.groups.end(), [&](const demo::ShapeGroup& g) {
    return is_held_out(combination_of(g, scene.background));
  });
}

demo::SceneSpec HeldOutSplit::training_scene(std::mt19937_64& rng) const {
  while (true) {
    demo::SceneSpec scene = demo::random_scene(rng);
    if (!touches(scene)) return scene;
  }
}

demo::SceneSpec HeldOutSplit::held_out_scene(std::mt19937_64& rng) const {
  if (held_out_.empty()) throw std::invalid_argument("held-out split: no held-out combinations");
  while (true) {
    demo::SceneSpec scene = demo::random_scene(rng);
    if (touches(scene)) return scene;
  }
}

std::vector<CaptionedScene> make_scenes(const HeldOutSplit& split, SceneKind kind, int count,
                                        std::mt19937_64& rng) {
  std::vector<CaptionedScene> scenes;
  scenes.reserve(static_cast<std::size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i) {
    CaptionedScene s;
    s.scene = kind == SceneKind::Training ? split.training_scene(rng) : split.held_out_scene(rng);
    s.caption = demo::caption(s.scene);
    s.noise_seed = rng() | 1;  // 0 would mean "no grain"
    scenes.push_back(std::move(s));
  }
  return scenes;
}

std::vector<float> render_preprocessed(const std::vector<CaptionedScene>& scenes, int render_size,
                                       const PreprocessOptions& options, int threads) {
  const std::size_t per_image = 3u * options.image_size * options.image_size;
  std::vector<float> out(per_image * scenes.size());
  const int workers = std::max(1, std::min<int>(threads, static_cast<int>(scenes.size())));
  auto work = [&](int worker) {
    std::vector<float> pixels;
    pixels.reserve(per_image);
    // Interleaved indices: every image is rendered exactly once whatever the thread count.
    for (std::size_t i = worker; i < scenes.size(); i += workers) {
      const RgbImage image =
          demo::render_scene(scenes[i].scene, render_size, render_size, scenes[i].noise_seed);
      pixels.clear();
      preprocess_image(image, options, pixels);
      std::copy(pixels.begin(), pixels.end(), out.begin() + i * per_image);
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  return out;
}

RetrievalScores retrieval_scores(const std::vector<std::vector<float>>& text,
                                 const std::vector<std::vector<float>>& image,
                                 const std::vector<std::string>& captions) {
  const std::size_t n = captions.size();
  if (text.size() != n || image.size() != n) {
    throw std::invalid_argument("retrieval_scores: " + std::to_string(text.size()) + " texts, " +
                                std::to_string(image.size()) + " images, " + std::to_string(n) +
                                " captions");
  }
  std::vector<double> sim(n * n);  // sim[t * n + i] = text t . image i
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      sim[t * n + i] = std::inner_product(text[t].begin(), text[t].end(), image[i].begin(), 0.0);
    }
  }
  // The rank of the best correct candidate: how many wrong candidates score strictly higher.
  auto rank = [&](std::size_t query, bool text_query) {
    double best_correct = -1e300;
    for (std::size_t c = 0; c < n; ++c) {
      if (captions[c] != captions[query]) continue;
      best_correct = std::max(best_correct, text_query ? sim[query * n + c] : sim[c * n + query]);
    }
    std::size_t higher = 0;
    for (std::size_t c = 0; c < n; ++c) {
      if (captions[c] == captions[query]) continue;
      if ((text_query ? sim[query * n + c] : sim[c * n + query]) > best_correct) ++higher;
    }
    return higher;
  };
  RetrievalScores scores;
  scores.pairs = static_cast<int>(n);
  if (n == 0) return scores;
  for (std::size_t q = 0; q < n; ++q) {
    const std::size_t t2i = rank(q, true);
    const std::size_t i2t = rank(q, false);
    scores.text_to_image.at1 += t2i < 1;
    scores.text_to_image.at5 += t2i < 5;
    scores.image_to_text.at1 += i2t < 1;
    scores.image_to_text.at5 += i2t < 5;
  }
  for (double* v : {&scores.text_to_image.at1, &scores.text_to_image.at5,
                    &scores.image_to_text.at1, &scores.image_to_text.at5}) {
    *v /= static_cast<double>(n);
  }
  return scores;
}

}  // namespace palimpsest::clip

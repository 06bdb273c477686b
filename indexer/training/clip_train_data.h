#pragma once
// Training and evaluation data for `palimpsest train` (no torch here): procedural demo scenes
// with their captions, a split that keeps some colour x shape x background combinations out of
// training entirely (so evaluation measures composition, not memory), rendering through CLIP's own
// preprocessing, and retrieval recall.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "indexer/clip/clip_preprocess.h"
#include "indexer/demo/scene.h"

namespace palimpsest::clip {

// One shape group's identity as far as the split is concerned.
struct Combination {
  demo::Colour colour = demo::Colour::Red;
  demo::Shape shape = demo::Shape::Circle;
  demo::Background background = demo::Background::Sky;
  bool operator==(const Combination&) const = default;
};

// "red circle over the sea"-style label, e.g. "red circle / sea".
std::string describe(const Combination& combination);

// Chooses, from `seed`, about `fraction` of the colour x shape x background combinations that
// random_scene can produce (low-contrast pairs never occur) and keeps them out of training. Every
// colour, shape and background still appears in training, each colour with each shape elsewhere
// and each colour on each background with other shapes: a held-out combination is new only as a
// combination.
class HeldOutSplit {
 public:
  HeldOutSplit(std::uint64_t seed, double fraction);
  // From an explicit list (e.g. read back from a training report).
  explicit HeldOutSplit(std::vector<Combination> held_out);

  bool is_held_out(const Combination& combination) const;
  // True when any of the scene's groups is a held-out combination.
  bool touches(const demo::SceneSpec& scene) const;
  const std::vector<Combination>& held_out() const { return held_out_; }

  // random_scene draws until the scene has no held-out combination.
  demo::SceneSpec training_scene(std::mt19937_64& rng) const;
  // random_scene draws until the scene has at least one held-out combination.
  demo::SceneSpec held_out_scene(std::mt19937_64& rng) const;

 private:
  std::vector<Combination> held_out_;
};

// A scene, its caption and the grain seed of its rendering.
struct CaptionedScene {
  demo::SceneSpec scene;
  std::string caption;
  std::uint64_t noise_seed = 0;
};

enum class SceneKind { Training, HeldOut };

// `count` scenes from `rng` (training scenes or held-out ones), with distinct grain seeds.
std::vector<CaptionedScene> make_scenes(const HeldOutSplit& split, SceneKind kind, int count,
                                        std::mt19937_64& rng);

// Renders every scene at render_size x render_size and runs CLIP's preprocessing on it (the
// inference path: resize, crop, normalise), appending count x 3 x S x S floats (S =
// options.image_size) in scene order. Rendering is spread over `threads` threads; the result does
// not depend on their number.
std::vector<float> render_preprocessed(const std::vector<CaptionedScene>& scenes, int render_size,
                                       const PreprocessOptions& options, int threads);

struct RecallAtK {
  double at1 = 0;
  double at5 = 0;
};

struct RetrievalScores {
  int pairs = 0;  // the gallery: every query ranks all `pairs` candidates
  RecallAtK text_to_image;
  RecallAtK image_to_text;
};

// Recall@1/@5 of pair i's text finding image i among all images, and back. Rows are
// L2-normalised embeddings. A retrieved item whose caption equals the query's counts as a hit:
// two scenes with one caption are the same description, and no model can tell which was meant.
RetrievalScores retrieval_scores(const std::vector<std::vector<float>>& text,
                                 const std::vector<std::vector<float>>& image,
                                 const std::vector<std::string>& captions);

}  // namespace palimpsest::clip

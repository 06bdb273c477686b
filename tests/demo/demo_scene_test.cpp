#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>

#include "indexer/demo/scene.h"

namespace palimpsest::demo {
namespace {

SceneSpec one_group(Background background, ShapeGroup group) {
  SceneSpec spec;
  spec.background = background;
  spec.groups.push_back(group);
  spec.detail_seed = 99;
  return spec;
}

double mean_abs_difference(const RgbImage& a, const RgbImage& b) {
  double total = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) total += std::abs(a.pixels[i] - b.pixels[i]);
  return total / static_cast<double>(a.pixels.size());
}

TEST(DemoScene, CaptionsAreGrammatical) {
  EXPECT_EQ(caption(one_group(Background::Sea, {Shape::Circle, Colour::Red, Size::Large, 2,
                                                Position::Left, Texture::Plain})),
            "two large red circles on the left over the sea");
  EXPECT_EQ(caption(one_group(Background::Night, {Shape::Star, Colour::White, Size::Small, 1,
                                                  Position::Top, Texture::Plain})),
            "a small white star at the top at night");
  EXPECT_EQ(caption(one_group(Background::Desert, {Shape::Cross, Colour::Purple, Size::Large, 3,
                                                   Position::Centre, Texture::Striped})),
            "three large purple striped crosses in the centre in the desert");

  SceneSpec pair = one_group(Background::Forest, {Shape::Ring, Colour::Orange, Size::Large, 1,
                                                  Position::Right, Texture::Dotted});
  pair.groups.push_back(
      {Shape::Square, Colour::Blue, Size::Small, 2, Position::Left, Texture::Plain});
  EXPECT_EQ(caption(pair),
            "a large orange dotted ring on the right and two small blue squares on the left in a "
            "forest");

  SceneSpec empty;
  empty.background = Background::City;
  EXPECT_EQ(caption(empty), "a city skyline");
}

TEST(DemoScene, RandomScenesAreReproducibleAndVaried) {
  std::mt19937_64 a(42), b(42), c(43);
  std::set<std::string> captions;
  bool any_different = false;
  for (int i = 0; i < 50; ++i) {
    const SceneSpec sa = random_scene(a);
    EXPECT_EQ(sa, random_scene(b));
    any_different |= !(sa == random_scene(c));
    captions.insert(caption(sa));
  }
  EXPECT_TRUE(any_different);
  EXPECT_GT(captions.size(), 45u);  // the vocabulary is large enough that repeats are rare
}

TEST(DemoScene, RandomScenesCoverTheVocabularyAndKeepTheirRules) {
  std::mt19937_64 rng(7);
  std::set<Background> backgrounds;
  std::set<Shape> shapes;
  std::set<Colour> colours;
  std::set<Position> positions;
  std::set<Texture> textures;
  std::set<int> counts, group_counts;
  for (int i = 0; i < 3000; ++i) {
    const SceneSpec spec = random_scene(rng);
    backgrounds.insert(spec.background);
    group_counts.insert(static_cast<int>(spec.groups.size()));
    ASSERT_GE(spec.groups.size(), 1u);
    ASSERT_LE(spec.groups.size(), 2u);
    for (const ShapeGroup& group : spec.groups) {
      shapes.insert(group.shape);
      colours.insert(group.colour);
      positions.insert(group.position);
      textures.insert(group.texture);
      counts.insert(group.count);
      EXPECT_FALSE(low_contrast(spec.background, group.colour)) << caption(spec);
      if (group.size == Size::Small) {
        EXPECT_EQ(group.texture, Texture::Plain) << caption(spec);
      }
    }
    if (spec.groups.size() == 2) {
      const Position p = spec.groups[0].position, q = spec.groups[1].position;
      const bool opposite = (p == Position::Left && q == Position::Right) ||
                            (p == Position::Right && q == Position::Left) ||
                            (p == Position::Top && q == Position::Bottom) ||
                            (p == Position::Bottom && q == Position::Top);
      EXPECT_TRUE(opposite) << caption(spec);
    }
    EXPECT_LE(std::abs(spec.motion.drift_x), 0.02);
  }
  EXPECT_EQ(backgrounds.size(), kBackgrounds.size());
  EXPECT_EQ(shapes.size(), kShapes.size());
  EXPECT_EQ(colours.size(), kColours.size());
  EXPECT_EQ(positions.size(), kPositions.size());
  EXPECT_EQ(textures.size(), kTextures.size());
  EXPECT_EQ(counts, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(group_counts, (std::set<int>{1, 2}));
}

TEST(DemoScene, ConsecutiveShotsChangeBackground) {
  std::mt19937_64 rng(3);
  Background previous = Background::Sea;
  for (int i = 0; i < 200; ++i) {
    const SceneSpec spec = random_scene_after(rng, previous);
    ASSERT_NE(spec.background, previous);
    previous = spec.background;
  }
}

TEST(DemoScene, RenderingIsDeterministic) {
  std::mt19937_64 rng(11);
  const SceneSpec spec = random_scene(rng);
  const RgbImage first = render_scene(spec, 96, 64, 5);
  const RgbImage again = render_scene(spec, 96, 64, 5);
  ASSERT_EQ(first.width, 96);
  ASSERT_EQ(first.height, 64);
  EXPECT_EQ(first.pixels, again.pixels);

  // Another grain seed: the same picture with different sensor noise.
  const RgbImage other_grain = render_scene(spec, 96, 64, 6);
  EXPECT_NE(first.pixels, other_grain.pixels);
  EXPECT_LT(mean_abs_difference(first, other_grain), 3.0);

  // Another detail seed: the same caption, visibly another picture.
  SceneSpec moved = spec;
  moved.detail_seed ^= 0x5555;
  EXPECT_GT(mean_abs_difference(first, render_scene(moved, 96, 64, 5)), 2.0);
}

// Centroid of pixels whose colour is within `tolerance` of `rgb`, in [0, 1] coordinates.
struct Blob {
  int pixels = 0;
  double x = 0, y = 0;
};
Blob find_colour(const RgbImage& image, std::array<int, 3> rgb, int tolerance = 30) {
  Blob blob;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const std::uint8_t* p = image.row(y) + x * 3;
      if (std::abs(p[0] - rgb[0]) <= tolerance && std::abs(p[1] - rgb[1]) <= tolerance &&
          std::abs(p[2] - rgb[2]) <= tolerance) {
        ++blob.pixels;
        blob.x += (x + 0.5) / image.width;
        blob.y += (y + 0.5) / image.height;
      }
    }
  }
  if (blob.pixels > 0) {
    blob.x /= blob.pixels;
    blob.y /= blob.pixels;
  }
  return blob;
}

TEST(DemoScene, ShapesAppearWhereTheCaptionSays) {
  const std::array<int, 3> red{215, 35, 35};
  const struct {
    Position position;
    double min_x, max_x, min_y, max_y;
  } cases[] = {
      {Position::Left, 0.0, 0.4, 0.0, 1.0},     {Position::Right, 0.6, 1.0, 0.0, 1.0},
      {Position::Top, 0.0, 1.0, 0.0, 0.45},     {Position::Bottom, 0.0, 1.0, 0.55, 1.0},
      {Position::Centre, 0.3, 0.7, 0.25, 0.75},
  };
  for (const Background background : {Background::Sea, Background::Snow, Background::Night}) {
    for (const auto& expected : cases) {
      for (int count = 1; count <= 3; ++count) {
        const SceneSpec spec = one_group(
            background, {Shape::Square, Colour::Red, Size::Large, count, expected.position});
        const Blob blob = find_colour(render_scene(spec, 128, 96, 1), red);
        ASSERT_GT(blob.pixels, 50) << caption(spec);
        EXPECT_GE(blob.x, expected.min_x) << caption(spec);
        EXPECT_LE(blob.x, expected.max_x) << caption(spec);
        EXPECT_GE(blob.y, expected.min_y) << caption(spec);
        EXPECT_LE(blob.y, expected.max_y) << caption(spec);
      }
    }
  }
}

TEST(DemoScene, LargeShapesCoverMoreThanSmallOnes) {
  for (const Shape shape : kShapes) {
    const auto area = [&](Size size) {
      const SceneSpec spec =
          one_group(Background::Snow, {shape, Colour::Blue, size, 1, Position::Centre});
      return find_colour(render_scene(spec, 128, 128, 0), {35, 85, 215}).pixels;
    };
    const int small = area(Size::Small), large = area(Size::Large);
    EXPECT_GT(small, 10) << word(shape);
    EXPECT_GT(large, 3 * small) << word(shape);
  }
}

TEST(DemoScene, FramesWithinAShotDifferSlightlyAndShotsStrongly) {
  std::mt19937_64 rng(5);
  const SceneSpec first = random_scene(rng);
  const SceneSpec second = random_scene_after(rng, first.background);
  const RgbImage a0 = render_scene_at(first, 160, 90, 0.0);
  const RgbImage a1 = render_scene_at(first, 160, 90, 1.0 / 24);
  const RgbImage a2 = render_scene_at(first, 160, 90, 2.0);
  const RgbImage b0 = render_scene_at(second, 160, 90, 0.0);
  EXPECT_EQ(a0.pixels, render_scene_at(first, 160, 90, 0.0).pixels);
  EXPECT_NE(a0.pixels, a2.pixels);
  EXPECT_LT(mean_abs_difference(a0, a1), 4.0);
  EXPECT_GT(mean_abs_difference(a0, b0), 4 * mean_abs_difference(a0, a2));
  EXPECT_GT(mean_abs_difference(a0, b0), 20.0);
}

TEST(DemoScene, MotionMovesTheShapes) {
  SceneSpec spec =
      one_group(Background::Snow, {Shape::Circle, Colour::Red, Size::Large, 1, Position::Centre});
  spec.motion.drift_x = 0.02;
  const Blob start = find_colour(render_scene_at(spec, 200, 200, 0.0), {215, 35, 35});
  const Blob later = find_colour(render_scene_at(spec, 200, 200, 5.0), {215, 35, 35});
  EXPECT_NEAR((later.x - start.x) * 200, 0.02 * 200 * 5.0, 1.0);
  EXPECT_NEAR(later.y, start.y, 0.01);
}

TEST(DemoScene, EveryBackgroundRendersAndLooksDifferent) {
  std::vector<RgbImage> images;
  for (const Background background : kBackgrounds) {
    SceneSpec spec;
    spec.background = background;
    spec.detail_seed = 1;
    images.push_back(render_scene(spec, 64, 48, 0));
  }
  for (size_t i = 0; i < images.size(); ++i) {
    for (size_t j = i + 1; j < images.size(); ++j) {
      EXPECT_GT(mean_abs_difference(images[i], images[j]), 15.0)
          << word(kBackgrounds[i]) << " vs " << word(kBackgrounds[j]);
    }
  }
}

TEST(DemoScene, RejectsBadSizesAndCounts) {
  const SceneSpec spec = one_group(Background::Sky, {});
  EXPECT_THROW(render_scene(spec, 0, 10, 0), std::invalid_argument);
  EXPECT_THROW(render_scene_at(spec, 10, -1, 0.0), std::invalid_argument);
  SceneSpec too_many = spec;
  too_many.groups[0].count = 4;
  EXPECT_THROW(render_scene(too_many, 10, 10, 0), std::invalid_argument);
  EXPECT_NO_THROW(render_scene(spec, 1, 1, 0));
}

}  // namespace
}  // namespace palimpsest::demo

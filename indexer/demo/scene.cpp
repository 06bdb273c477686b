// The scene vocabulary, random scenes and captions. Drawing is in scene_render.cpp.
#include "indexer/demo/scene.h"

#include <algorithm>
#include <utility>

namespace palimpsest::demo {
namespace {

// Raw-engine helpers: mt19937_64's output sequence is fixed by the standard, the distributions
// are not, so these keep scenes identical across standard libraries.
std::uint64_t below(std::mt19937_64& rng, std::uint64_t n) { return rng() % n; }
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
double between(std::mt19937_64& rng, double low, double high) {
  return low + (high - low) * unit(rng);
}
template <typename Array>
auto pick(std::mt19937_64& rng, const Array& values) {
  return values[below(rng, values.size())];
}

ShapeGroup random_group(std::mt19937_64& rng, Background background, Position position) {
  ShapeGroup group;
  group.position = position;
  group.shape = pick(rng, kShapes);
  do {
    group.colour = pick(rng, kColours);
  } while (low_contrast(background, group.colour));
  group.size = pick(rng, kSizes);
  const double count_draw = unit(rng);
  group.count = count_draw < 0.5 ? 1 : (count_draw < 0.8 ? 2 : 3);
  const double texture_draw = unit(rng);
  group.texture = texture_draw < 0.6 ? Texture::Plain
                                     : (texture_draw < 0.8 ? Texture::Striped : Texture::Dotted);
  // Stripes and dots on a small shape are a few pixels in a training-sized image: a caption
  // naming them would describe something the picture does not show.
  if (group.size == Size::Small) group.texture = Texture::Plain;
  return group;
}

std::string plural(Shape shape) {
  std::string name(word(shape));
  // "cross" -> "crosses"; the other shape words take a plain "s".
  if (name.ends_with("s")) return name + "es";
  return name + "s";
}

std::string_view position_phrase(Position position) {
  switch (position) {
    case Position::Left:
      return "on the left";
    case Position::Right:
      return "on the right";
    case Position::Centre:
      return "in the centre";
    case Position::Top:
      return "at the top";
    case Position::Bottom:
      return "at the bottom";
  }
  return "";
}

std::string_view background_phrase(Background background) {
  switch (background) {
    case Background::Sky:
      return "in the sky";
    case Background::Sea:
      return "over the sea";
    case Background::Night:
      return "at night";
    case Background::Desert:
      return "in the desert";
    case Background::Forest:
      return "in a forest";
    case Background::Snow:
      return "in the snow";
    case Background::Sunset:
      return "at sunset";
    case Background::City:
      return "in the city";
  }
  return "";
}

// What a scene with no shapes shows.
std::string_view background_noun(Background background) {
  switch (background) {
    case Background::Sky:
      return "the sky";
    case Background::Sea:
      return "the sea";
    case Background::Night:
      return "a starry night sky";
    case Background::Desert:
      return "the desert";
    case Background::Forest:
      return "a forest";
    case Background::Snow:
      return "a snowy landscape";
    case Background::Sunset:
      return "a sunset";
    case Background::City:
      return "a city skyline";
  }
  return "";
}

std::string group_phrase(const ShapeGroup& group) {
  static constexpr std::string_view kCounts[] = {"a", "a", "two", "three"};
  std::string phrase(kCounts[std::clamp(group.count, 1, 3)]);
  phrase += ' ';
  phrase += word(group.size);
  phrase += ' ';
  phrase += word(group.colour);
  if (group.texture != Texture::Plain) {
    phrase += ' ';
    phrase += word(group.texture);
  }
  phrase += ' ';
  phrase += group.count > 1 ? plural(group.shape) : std::string(word(group.shape));
  phrase += ' ';
  phrase += position_phrase(group.position);
  return phrase;
}

}  // namespace

std::string_view word(Background background) {
  switch (background) {
    case Background::Sky:
      return "sky";
    case Background::Sea:
      return "sea";
    case Background::Night:
      return "night";
    case Background::Desert:
      return "desert";
    case Background::Forest:
      return "forest";
    case Background::Snow:
      return "snow";
    case Background::Sunset:
      return "sunset";
    case Background::City:
      return "city";
  }
  return "";
}

std::string_view word(Shape shape) {
  switch (shape) {
    case Shape::Circle:
      return "circle";
    case Shape::Square:
      return "square";
    case Shape::Triangle:
      return "triangle";
    case Shape::Star:
      return "star";
    case Shape::Ring:
      return "ring";
    case Shape::Cross:
      return "cross";
  }
  return "";
}

std::string_view word(Colour colour) {
  switch (colour) {
    case Colour::Red:
      return "red";
    case Colour::Green:
      return "green";
    case Colour::Blue:
      return "blue";
    case Colour::Yellow:
      return "yellow";
    case Colour::White:
      return "white";
    case Colour::Black:
      return "black";
    case Colour::Orange:
      return "orange";
    case Colour::Purple:
      return "purple";
  }
  return "";
}

std::string_view word(Position position) {
  switch (position) {
    case Position::Left:
      return "left";
    case Position::Right:
      return "right";
    case Position::Centre:
      return "centre";
    case Position::Top:
      return "top";
    case Position::Bottom:
      return "bottom";
  }
  return "";
}

std::string_view word(Size size) { return size == Size::Small ? "small" : "large"; }

std::string_view word(Texture texture) {
  switch (texture) {
    case Texture::Plain:
      return "";
    case Texture::Striped:
      return "striped";
    case Texture::Dotted:
      return "dotted";
  }
  return "";
}

bool low_contrast(Background background, Colour colour) {
  switch (background) {
    case Background::Sky:
      return colour == Colour::Blue || colour == Colour::White;
    case Background::Sea:
      return colour == Colour::Blue;
    case Background::Night:
      return colour == Colour::Black;
    case Background::Desert:
      return colour == Colour::Yellow || colour == Colour::Orange;
    case Background::Forest:
      return colour == Colour::Green;
    case Background::Snow:
      return colour == Colour::White;
    // The sunset's dark ground would swallow black shapes at the bottom.
    case Background::Sunset:
      return colour == Colour::Orange || colour == Colour::Purple || colour == Colour::Black;
    case Background::City:
      return colour == Colour::Black;
  }
  return false;
}

SceneSpec random_scene(std::mt19937_64& rng) {
  SceneSpec spec;
  spec.background = pick(rng, kBackgrounds);
  if (unit(rng) < 0.35) {
    // Two groups only at opposite sides, where their regions cannot overlap.
    static constexpr std::pair<Position, Position> kPairs[] = {{Position::Left, Position::Right},
                                                               {Position::Right, Position::Left},
                                                               {Position::Top, Position::Bottom},
                                                               {Position::Bottom, Position::Top}};
    const auto [first, second] = kPairs[below(rng, 4)];
    spec.groups.push_back(random_group(rng, spec.background, first));
    spec.groups.push_back(random_group(rng, spec.background, second));
  } else {
    spec.groups.push_back(random_group(rng, spec.background, pick(rng, kPositions)));
  }
  spec.detail_seed = rng();
  spec.motion.drift_x = between(rng, -0.02, 0.02);
  spec.motion.drift_y = between(rng, -0.012, 0.012);
  spec.motion.spin = between(rng, -0.15, 0.15);
  return spec;
}

SceneSpec random_scene_after(std::mt19937_64& rng, Background previous) {
  while (true) {
    SceneSpec spec = random_scene(rng);
    if (spec.background != previous) return spec;
  }
}

std::string caption(const SceneSpec& spec) {
  if (spec.groups.empty()) return std::string(background_noun(spec.background));
  std::string text;
  for (size_t i = 0; i < spec.groups.size(); ++i) {
    if (i > 0) text += " and ";
    text += group_phrase(spec.groups[i]);
  }
  text += ' ';
  text += background_phrase(spec.background);
  return text;
}

}  // namespace palimpsest::demo

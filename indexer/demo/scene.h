#pragma once
// Procedural scenes for the demo archive: a small compositional vocabulary (backgrounds, shapes,
// colours, sizes, counts, positions, textures) drawn as images whose captions say exactly what is
// in them. The tiny CLIP that `palimpsest train` fits on these pairs can only learn what the
// captions and pixels agree on, so every word in a caption is visible in the picture and nothing
// visible is left unsaid beyond the background's own texture.
//
// Everything is a pure function of its inputs (a seed in, the same pixels out), so a demo archive
// or a training set is reproducible from its seed.

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest::demo {

enum class Background { Sky, Sea, Night, Desert, Forest, Snow, Sunset, City };
enum class Shape { Circle, Square, Triangle, Star, Ring, Cross };
enum class Colour { Red, Green, Blue, Yellow, White, Black, Orange, Purple };
enum class Position { Left, Right, Centre, Top, Bottom };
enum class Size { Small, Large };
enum class Texture { Plain, Striped, Dotted };

inline constexpr std::array kBackgrounds = {
    Background::Sky,    Background::Sea,  Background::Night,  Background::Desert,
    Background::Forest, Background::Snow, Background::Sunset, Background::City};
inline constexpr std::array kShapes = {Shape::Circle, Shape::Square, Shape::Triangle,
                                       Shape::Star,   Shape::Ring,   Shape::Cross};
inline constexpr std::array kColours = {Colour::Red,    Colour::Green, Colour::Blue,
                                        Colour::Yellow, Colour::White, Colour::Black,
                                        Colour::Orange, Colour::Purple};
inline constexpr std::array kPositions = {Position::Left, Position::Right, Position::Centre,
                                          Position::Top, Position::Bottom};
inline constexpr std::array kSizes = {Size::Small, Size::Large};
inline constexpr std::array kTextures = {Texture::Plain, Texture::Striped, Texture::Dotted};

// Words as they appear in captions ("sea", "circle", "red", "left", "small", "striped"; the
// plain texture is the empty string because captions leave it out).
std::string_view word(Background background);
std::string_view word(Shape shape);
std::string_view word(Colour colour);
std::string_view word(Position position);
std::string_view word(Size size);
std::string_view word(Texture texture);

// One or more identical shapes placed together: "two large red striped circles on the left".
struct ShapeGroup {
  Shape shape = Shape::Circle;
  Colour colour = Colour::Red;
  Size size = Size::Large;
  int count = 1;  // 1..3
  Position position = Position::Centre;
  Texture texture = Texture::Plain;
  bool operator==(const ShapeGroup&) const = default;
};

// Slow movement of a scene over time, for video shots. Distances are fractions of the image's
// shorter side per second; spin is in radians per second (circles and rings look the same).
struct Motion {
  double drift_x = 0;
  double drift_y = 0;
  double spin = 0;
  bool operator==(const Motion&) const = default;
};

struct SceneSpec {
  Background background = Background::Sky;
  // One group, or two at opposite positions (left and right, or top and bottom), so that a
  // caption's positions never contradict each other. Empty means the background alone.
  std::vector<ShapeGroup> groups;
  // Placement jitter, tilt and the background's details (clouds, stars, dunes, buildings). Not
  // part of the caption: two scenes with the same caption and different seeds are two
  // photographs of the same thing.
  std::uint64_t detail_seed = 0;
  Motion motion;
  bool operator==(const SceneSpec&) const = default;
};

// Colours that would vanish against a background (white on snow, blue on the sea); random_scene
// never pairs them and render_scene still draws them if asked.
bool low_contrast(Background background, Colour colour);

// A random scene: one group (about two thirds of the time) or two, shape colours that stand out
// from the background, a random detail seed and a slow motion. Uses only the engine's raw output
// (not std::*_distribution, whose results differ between standard libraries), so a seed gives the
// same scene everywhere.
SceneSpec random_scene(std::mt19937_64& rng);

// Like random_scene, but with a background other than `previous`, so consecutive video shots are
// told apart at a glance (and by a shot detector).
SceneSpec random_scene_after(std::mt19937_64& rng, Background previous);

// English description: groups joined by "and", then the background, e.g.
// "two large red circles on the left and a small white dotted star on the right over the sea".
// A scene without groups is described by its background alone ("the sea").
std::string caption(const SceneSpec& spec);

// The scene as a still image at time 0 with light sensor grain from `noise_seed` (0 = no grain).
// Sizes and positions scale with the image, so a spec looks the same at any resolution.
// Throws std::invalid_argument for a non-positive size or a group count outside 1..3.
RgbImage render_scene(const SceneSpec& spec, int width, int height, std::uint64_t noise_seed);

// The scene `t_seconds` into a shot: shapes drift and turn by spec.motion, and waves, clouds,
// snow and stars move a little, so neighbouring frames differ slightly. No grain, so frames are
// a pure function of (spec, size, t).
RgbImage render_scene_at(const SceneSpec& spec, int width, int height, double t_seconds);

}  // namespace palimpsest::demo

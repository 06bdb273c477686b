// Drawing scenes: procedural backgrounds, then anti-aliased shapes from signed distance
// functions. Lengths are fractions of the image's shorter side, so a spec renders alike at any
// resolution.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "indexer/demo/procedural_noise.h"
#include "indexer/demo/scene.h"

namespace palimpsest::demo {
namespace {

using noise::smoothstep;

struct Rgb {
  double r = 0, g = 0, b = 0;
};

Rgb mix(Rgb a, Rgb b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}
Rgb scaled(Rgb c, double k) { return {c.r * k, c.g * k, c.b * k}; }

// A floating-point RGB canvas; quantised once at the end so blending does not band.
class Canvas {
 public:
  Canvas(int width, int height)
      : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height) {}
  int width() const { return width_; }
  int height() const { return height_; }
  double short_side() const { return std::min(width_, height_); }
  Rgb& at(int x, int y) { return pixels_[static_cast<size_t>(y) * width_ + x]; }
  void blend(int x, int y, Rgb colour, double alpha) {
    if (alpha <= 0) return;
    Rgb& pixel = at(x, y);
    pixel = mix(pixel, colour, std::min(alpha, 1.0));
  }
  // Splats a soft round dot (stars, snowflakes) of radius `radius` pixels.
  void dot(double cx, double cy, double radius, Rgb colour, double alpha) {
    const int x0 = std::max(0, static_cast<int>(std::floor(cx - radius - 1)));
    const int x1 = std::min(width_ - 1, static_cast<int>(std::ceil(cx + radius + 1)));
    const int y0 = std::max(0, static_cast<int>(std::floor(cy - radius - 1)));
    const int y1 = std::min(height_ - 1, static_cast<int>(std::ceil(cy + radius + 1)));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
        blend(x, y, colour, alpha * std::clamp(radius + 0.5 - d, 0.0, 1.0));
      }
    }
  }
  RgbImage to_image(std::uint64_t grain_seed) const {
    RgbImage image(width_, height_);
    for (size_t i = 0; i < pixels_.size(); ++i) {
      const double channels[3] = {pixels_[i].r, pixels_[i].g, pixels_[i].b};
      for (int c = 0; c < 3; ++c) {
        double value = channels[c];
        if (grain_seed != 0) {
          value +=
              (noise::unit(noise::hash(grain_seed, static_cast<std::int64_t>(i), c)) - 0.5) * 6.0;
        }
        image.pixels[i * 3 + c] =
            static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
      }
    }
    return image;
  }

 private:
  int width_;
  int height_;
  std::vector<Rgb> pixels_;
};

// Pixel centre in normalised coordinates: u, v in [0, 1] across the image; X, Y in units of the
// shorter side, for textures that must not stretch with the aspect ratio.
struct Point {
  int x, y;  // pixel indices, for per-column tables
  double u, v, X, Y;
};
template <typename Paint>
void for_each_pixel(Canvas& canvas, Paint&& paint) {
  const double s = canvas.short_side();
  for (int y = 0; y < canvas.height(); ++y) {
    for (int x = 0; x < canvas.width(); ++x) {
      const Point p{x,
                    y,
                    (x + 0.5) / canvas.width(),
                    (y + 0.5) / canvas.height(),
                    (x + 0.5) / s,
                    (y + 0.5) / s};
      canvas.at(x, y) = paint(p);
    }
  }
}

// f(X) for every pixel column, for outlines (hills, horizons) that depend on x alone.
template <typename Profile>
std::vector<double> per_column(const Canvas& canvas, Profile&& profile) {
  std::vector<double> values(canvas.width());
  for (int x = 0; x < canvas.width(); ++x) values[x] = profile((x + 0.5) / canvas.short_side());
  return values;
}

// Seeded scalar in [low, high) for background details, numbered by `what`.
double detail(std::uint64_t seed, std::int64_t what, double low, double high,
              std::int64_t index = 0) {
  return low + (high - low) * noise::unit(noise::hash(seed, what, index));
}

// ---- backgrounds -------------------------------------------------------------------------

void paint_sky(Canvas& canvas, std::uint64_t seed, double t) {
  const Rgb top{70, 130, 215}, bottom{175, 210, 242}, cloud{248, 248, 252};
  for_each_pixel(canvas, [&](const Point& p) {
    const Rgb base = mix(top, bottom, p.v);
    const double n = noise::fbm(seed, p.X * 2.5 + t * 0.03, p.Y * 4.5, 3);
    return mix(base, cloud, 0.92 * smoothstep(0.5, 0.68, n));
  });
}

void paint_sea(Canvas& canvas, std::uint64_t seed, double t) {
  const double horizon = detail(seed, 1, 0.24, 0.34);
  const double wobble_phase = detail(seed, 2, 0.0, 2 * std::numbers::pi);
  const Rgb sky_top{140, 185, 235}, sky_bottom{205, 226, 245};
  const Rgb near{10, 50, 118}, far{45, 110, 178}, crest{135, 185, 228};
  for_each_pixel(canvas, [&](const Point& p) {
    if (p.v < horizon) return mix(sky_top, sky_bottom, p.v / horizon);
    const double depth = (p.v - horizon) / (1.0 - horizon);
    const Rgb water = mix(far, near, depth);
    // Wave bands crowd together towards the horizon, as in perspective, and roll towards the
    // viewer over time.
    const double band_phase = std::log(depth + 0.04) * 16.0 +
                              0.9 * std::sin(p.X * 5.0 + wobble_phase + depth * 3.0) - t * 1.5;
    const double crest_amount = smoothstep(0.45, 0.92, std::sin(band_phase));
    return mix(water, crest, 0.55 * crest_amount);
  });
}

void paint_night(Canvas& canvas, std::uint64_t seed, double t) {
  const Rgb top{6, 8, 24}, bottom{28, 32, 74};
  for_each_pixel(canvas, [&](const Point& p) { return mix(top, bottom, p.v); });
  const double s = canvas.short_side();
  const Rgb starlight{255, 250, 228};
  for (int i = 0; i < 150; ++i) {
    const double x = detail(seed, 10, 0, 1, i) * canvas.width();
    const double y = detail(seed, 11, 0, 1, i) * canvas.height();
    const double radius = std::max(0.6, 0.0028 * s) * detail(seed, 12, 0.6, 1.4, i);
    const double twinkle = 0.75 + 0.25 * std::sin(t * 2.5 + detail(seed, 13, 0, 6.3, i));
    canvas.dot(x, y, radius, starlight, detail(seed, 14, 0.45, 1.0, i) * twinkle);
  }
}

void paint_desert(Canvas& canvas, std::uint64_t seed, double t) {
  (void)t;  // dunes do not move
  const double horizon = detail(seed, 1, 0.28, 0.38);
  const Rgb sky_top{120, 175, 230}, sky_bottom{232, 220, 192};
  const Rgb sand_far{236, 206, 150}, sand_near{204, 158, 92};
  constexpr int kLayers = 4;
  double frequency[kLayers], phase[kLayers], amplitude[kLayers], base[kLayers];
  for (int k = 0; k < kLayers; ++k) {
    frequency[k] = detail(seed, 20, 2.5, 5.0, k) + k;
    phase[k] = detail(seed, 21, 0, 2 * std::numbers::pi, k);
    amplitude[k] = 0.02 + 0.015 * k;
    base[k] = horizon + (1.0 - horizon) * (0.02 + 0.24 * k);
  }
  for_each_pixel(canvas, [&](const Point& p) {
    if (p.v < horizon) return mix(sky_top, sky_bottom, p.v / horizon);
    // The nearest dune whose ridge is above this pixel covers it.
    int layer = 0;
    double ridge = horizon;
    for (int k = kLayers - 1; k >= 0; --k) {
      const double r = base[k] - amplitude[k] * (1 + std::sin(p.X * frequency[k] + phase[k]));
      if (p.v >= r) {
        layer = k;
        ridge = r;
        break;
      }
    }
    const double slope = std::cos(p.X * frequency[layer] + phase[layer]);
    Rgb sand = mix(sand_far, sand_near, layer / double(kLayers - 1));
    double shade = 1.0 + 0.10 * slope;
    shade *= 1.0 + 0.035 * std::sin(p.Y * 90.0 + 5.0 * std::sin(p.X * 3.0));  // wind ripples
    shade *= 0.84 + 0.16 * smoothstep(0.0, 0.012, p.v - ridge);               // ridge shadow
    return scaled(sand, shade);
  });
}

void paint_forest(Canvas& canvas, std::uint64_t seed, double t) {
  (void)t;
  const Rgb leaves_dark{18, 58, 26}, leaves_light{74, 142, 56}, moss{52, 68, 28};
  for_each_pixel(canvas, [&](const Point& p) {
    const double n = noise::fbm(seed, p.X * 7.0, p.Y * 7.0, 4);
    Rgb c = mix(leaves_dark, leaves_light, smoothstep(0.25, 0.75, n));
    return mix(c, moss, smoothstep(0.86, 0.95, p.v));
  });
  // Trunks: dark vertical strokes rising from the ground into the canopy.
  const double s = canvas.short_side();
  const int trunks = 3 + static_cast<int>(std::lround(7.0 * canvas.width() / s));
  for (int i = 0; i < trunks; ++i) {
    const double cx = (i + detail(seed, 30, 0.1, 0.9, i)) / trunks * canvas.width();
    const double half_width = s * detail(seed, 31, 0.006, 0.014, i);
    const double top = canvas.height() * detail(seed, 32, 0.25, 0.6, i);
    const Rgb bark = scaled(Rgb{62, 42, 26}, detail(seed, 33, 0.75, 1.15, i));
    const int x0 = std::max(0, static_cast<int>(cx - half_width - 1));
    const int x1 = std::min(canvas.width() - 1, static_cast<int>(cx + half_width + 1));
    for (int y = std::max(0, static_cast<int>(top)); y < canvas.height(); ++y) {
      const double fade = smoothstep(top, top + 0.1 * s, y + 0.5);
      for (int x = x0; x <= x1; ++x) {
        const double coverage = std::clamp(half_width + 0.5 - std::abs(x + 0.5 - cx), 0.0, 1.0);
        canvas.blend(x, y, bark, coverage * fade);
      }
    }
  }
}

void paint_snow(Canvas& canvas, std::uint64_t seed, double t) {
  const double horizon = detail(seed, 1, 0.38, 0.48);
  const Rgb sky_top{178, 188, 206}, sky_bottom{222, 226, 234}, hills{196, 204, 218};
  const Rgb drift_shadow{206, 216, 232}, snow{247, 249, 252};
  const std::vector<double> hill_lines = per_column(
      canvas, [&](double X) { return horizon - 0.03 - 0.09 * noise::fbm(seed, X * 2.0, 0.5, 3); });
  for_each_pixel(canvas, [&](const Point& p) {
    const double hill_line = hill_lines[p.x];
    if (p.v < hill_line) return mix(sky_top, sky_bottom, p.v / horizon);
    if (p.v < horizon) return hills;
    const double n = noise::fbm(seed + 1, p.X * 3.0, p.Y * 9.0, 3);
    return mix(drift_shadow, snow, 0.35 + 0.65 * n);
  });
  // Falling flakes, visible against the grey sky and hills.
  const double s = canvas.short_side();
  for (int i = 0; i < 110; ++i) {
    const double speed = detail(seed, 40, 0.04, 0.09, i);
    double y = detail(seed, 41, 0, 1, i) + t * speed;
    y -= std::floor(y);
    const double x =
        detail(seed, 42, 0, 1, i) + 0.012 * std::sin(t * 1.3 + detail(seed, 43, 0, 6.3, i));
    canvas.dot(x * canvas.width(), y * canvas.height(), std::max(0.7, 0.0045 * s),
               Rgb{255, 255, 255}, 0.9);
  }
}

void paint_sunset(Canvas& canvas, std::uint64_t seed, double t) {
  const double horizon = detail(seed, 1, 0.66, 0.74);
  const Rgb dusk{72, 45, 112}, rose{216, 96, 88}, amber{250, 160, 80}, glow{255, 206, 112};
  const Rgb streak{152, 72, 100}, land_top{48, 27, 42}, land_bottom{24, 14, 24};
  const std::vector<double> hill_lines = per_column(
      canvas, [&](double X) { return horizon - 0.05 * noise::fbm(seed, X * 2.5, 0.25, 3); });
  for_each_pixel(canvas, [&](const Point& p) {
    const double hill_line = hill_lines[p.x];
    if (p.v >= hill_line) return mix(land_top, land_bottom, (p.v - hill_line) / (1 - hill_line));
    const double k = p.v / horizon;
    Rgb sky = k < 0.55   ? mix(dusk, rose, k / 0.55)
              : k < 0.85 ? mix(rose, amber, (k - 0.55) / 0.3)
                         : mix(amber, glow, (k - 0.85) / 0.15);
    const double n = noise::fbm(seed + 3, p.X * 1.5 + t * 0.01, p.Y * 14.0, 3);
    return mix(sky, streak, 0.5 * smoothstep(0.55, 0.75, n) * (1.0 - k));
  });
}

void paint_city(Canvas& canvas, std::uint64_t seed, double t) {
  (void)t;
  const Rgb sky_top{24, 34, 76}, sky_bottom{98, 96, 142}, lit{246, 206, 112}, unlit{52, 56, 72};
  for_each_pixel(canvas, [&](const Point& p) { return mix(sky_top, sky_bottom, p.v); });
  const double s = canvas.short_side();
  const double cell = std::max(3.0, 0.034 * s);  // window pitch in pixels
  double left = -detail(seed, 50, 0.0, 0.05) * canvas.width();
  for (int b = 0; left < canvas.width(); ++b) {
    const double width = canvas.width() * detail(seed, 51, 0.06, 0.14, b);
    const double top = canvas.height() * (1.0 - detail(seed, 52, 0.25, 0.68, b));
    const double shade = detail(seed, 53, 30, 58, b);
    const Rgb wall{shade, shade, shade + 10};
    const int x0 = std::max(0, static_cast<int>(std::lround(left)));
    const int x1 = std::min(canvas.width(), static_cast<int>(std::lround(left + width)));
    for (int y = std::max(0, static_cast<int>(std::lround(top))); y < canvas.height(); ++y) {
      for (int x = x0; x < x1; ++x) {
        // Windows: a grid of small rectangles, each lit or dark by its own hash.
        const double wx = (x + 0.5 - left) / cell;
        const double wy = (y + 0.5 - top) / cell;
        const double fx = wx - std::floor(wx);
        const double fy = wy - std::floor(wy);
        const bool window = wx > 0.6 && wy > 0.6 && fx > 0.3 && fx < 0.7 && fy > 0.25 &&
                            fy < 0.75 && left + width - (x + 0.5) > 0.5 * cell;
        Rgb colour = wall;
        if (window) {
          const auto h = noise::hash(seed + static_cast<std::uint64_t>(b),
                                     static_cast<std::int64_t>(wx), static_cast<std::int64_t>(wy));
          colour = noise::unit(h) < 0.45 ? lit : unlit;
        }
        canvas.at(x, y) = colour;
      }
    }
    left += width;
  }
}

void paint_background(Canvas& canvas, Background background, std::uint64_t seed, double t) {
  switch (background) {
    case Background::Sky:
      return paint_sky(canvas, seed, t);
    case Background::Sea:
      return paint_sea(canvas, seed, t);
    case Background::Night:
      return paint_night(canvas, seed, t);
    case Background::Desert:
      return paint_desert(canvas, seed, t);
    case Background::Forest:
      return paint_forest(canvas, seed, t);
    case Background::Snow:
      return paint_snow(canvas, seed, t);
    case Background::Sunset:
      return paint_sunset(canvas, seed, t);
    case Background::City:
      return paint_city(canvas, seed, t);
  }
}

// ---- shapes ------------------------------------------------------------------------------

struct Vec2 {
  double x, y;
};

// Signed distance from (x, y) to a closed polygon: negative inside (even-odd rule).
double polygon_distance(const std::vector<Vec2>& vertices, double x, double y) {
  double best = std::numeric_limits<double>::infinity();
  bool inside = false;
  for (size_t i = 0, j = vertices.size() - 1; i < vertices.size(); j = i++) {
    const Vec2 a = vertices[j], b = vertices[i];
    const double ex = b.x - a.x, ey = b.y - a.y;
    const double wx = x - a.x, wy = y - a.y;
    const double k = std::clamp((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0);
    best = std::min(best, std::hypot(wx - ex * k, wy - ey * k));
    if ((a.y > y) != (b.y > y) && x < a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y)) inside = !inside;
  }
  return inside ? -best : best;
}

std::vector<Vec2> regular_star(int points, double outer, double inner) {
  std::vector<Vec2> vertices;
  for (int i = 0; i < points * 2; ++i) {
    const double angle = -std::numbers::pi / 2 + i * std::numbers::pi / points;
    const double radius = i % 2 == 0 ? outer : inner;
    vertices.push_back({radius * std::cos(angle), radius * std::sin(angle)});
  }
  return vertices;
}

// Outlines in a unit frame (the shape's radius is 1; y points down, as in the image).
const std::vector<Vec2>& outline(Shape shape) {
  static const std::vector<Vec2> square = {{-0.8, -0.8}, {0.8, -0.8}, {0.8, 0.8}, {-0.8, 0.8}};
  static const std::vector<Vec2> triangle = {{0, -1.0}, {0.92, 0.6}, {-0.92, 0.6}};
  static const std::vector<Vec2> star = regular_star(5, 1.0, 0.45);
  static const std::vector<Vec2> cross = {{-0.3, -0.95}, {0.3, -0.95}, {0.3, -0.3},   {0.95, -0.3},
                                          {0.95, 0.3},   {0.3, 0.3},   {0.3, 0.95},   {-0.3, 0.95},
                                          {-0.3, 0.3},   {-0.95, 0.3}, {-0.95, -0.3}, {-0.3, -0.3}};
  switch (shape) {
    case Shape::Square:
      return square;
    case Shape::Triangle:
      return triangle;
    case Shape::Star:
      return star;
    case Shape::Cross:
      return cross;
    default:
      return square;  // circles and rings are measured analytically
  }
}

// Signed distance in the unit frame.
double shape_distance(Shape shape, double x, double y) {
  switch (shape) {
    case Shape::Circle:
      return std::hypot(x, y) - 1.0;
    case Shape::Ring:
      return std::abs(std::hypot(x, y) - 0.72) - 0.28;
    default:
      return polygon_distance(outline(shape), x, y);
  }
}

bool rotates(Shape shape) { return shape != Shape::Circle && shape != Shape::Ring; }

Rgb paint(Colour colour) {
  switch (colour) {
    case Colour::Red:
      return {215, 35, 35};
    case Colour::Green:
      return {40, 165, 60};
    case Colour::Blue:
      return {35, 85, 215};
    case Colour::Yellow:
      return {245, 210, 35};
    case Colour::White:
      return {248, 248, 248};
    case Colour::Black:
      return {18, 18, 18};
    case Colour::Orange:
      return {245, 130, 25};
    case Colour::Purple:
      return {135, 55, 175};
  }
  return {};
}

// Second colour of stripes and dots: lighter for dark paints, darker for light ones, so the
// shape still reads as its own colour.
Rgb pattern_tint(Colour colour) {
  const Rgb base = paint(colour);
  if (colour == Colour::White || colour == Colour::Yellow) return mix(base, Rgb{0, 0, 0}, 0.45);
  if (colour == Colour::Black) return {150, 150, 150};
  return mix(base, Rgb{255, 255, 255}, 0.6);
}

// A thin darker rim that separates a shape from any background.
Rgb rim(Colour colour) {
  if (colour == Colour::Black) return {110, 110, 110};
  return mix(paint(colour), Rgb{0, 0, 0}, 0.45);
}

struct Placement {
  double cx, cy, radius, angle;
};

struct Region {
  double x0, y0, x1, y1;  // normalised
};

Region region_of(Position position) {
  switch (position) {
    case Position::Left:
      return {0.0, 0.06, 0.38, 0.94};
    case Position::Right:
      return {0.62, 0.06, 1.0, 0.94};
    case Position::Centre:
      return {0.25, 0.15, 0.75, 0.85};
    case Position::Top:
      return {0.12, 0.02, 0.88, 0.42};
    case Position::Bottom:
      return {0.12, 0.58, 0.88, 0.98};
  }
  return {0, 0, 1, 1};
}

// Where the group's shapes go at time 0: in a row along the longer side of the group's region,
// as large as the size asks and the region allows, jittered by the scene's detail seed.
std::vector<Placement> place_group(const ShapeGroup& group, int index, int width, int height,
                                   std::uint64_t seed) {
  const double s = std::min(width, height);
  const Region region = region_of(group.position);
  const double rx0 = region.x0 * width, rx1 = region.x1 * width;
  const double ry0 = region.y0 * height, ry1 = region.y1 * height;
  const bool horizontal = (rx1 - rx0) >= (ry1 - ry0);
  const double long0 = horizontal ? rx0 : ry0;
  const double long_len = horizontal ? rx1 - rx0 : ry1 - ry0;
  const double short0 = horizontal ? ry0 : rx0;
  const double short_len = horizontal ? ry1 - ry0 : rx1 - rx0;

  const int count = group.count;
  const double wanted = (group.size == Size::Large ? 0.125 : 0.06) * s;
  const double radius = std::min({wanted, 0.45 * long_len / count, 0.45 * short_len});
  const double spacing = count > 1 ? std::min(long_len / count, 2.6 * radius) : 0.0;
  const double cluster = spacing * (count - 1) + 2 * radius;

  const std::uint64_t group_seed = noise::hash(seed, 100 + index);
  auto jitter = [&](std::int64_t what) { return detail(group_seed, what, -0.5, 0.5); };
  const double start = long0 + radius + std::max(0.0, long_len - cluster) * (0.5 + 0.6 * jitter(0));
  const double across =
      short0 + radius + std::max(0.0, short_len - 2 * radius) * (0.5 + 0.5 * jitter(1));

  std::vector<Placement> placements;
  for (int i = 0; i < count; ++i) {
    const double along = start + i * spacing;
    const double offset = count > 1 ? 0.3 * radius * detail(group_seed, 2, -0.5, 0.5, i) : 0.0;
    const double angle = rotates(group.shape) ? detail(group_seed, 3, -0.25, 0.25, i) : 0.0;
    placements.push_back(horizontal ? Placement{along, across + offset, radius, angle}
                                    : Placement{across + offset, along, radius, angle});
  }
  return placements;
}

void draw_shape(Canvas& canvas, const ShapeGroup& group, const Placement& at) {
  const Rgb fill = paint(group.colour);
  const Rgb tint = pattern_tint(group.colour);
  const Rgb edge = rim(group.colour);
  const double r = at.radius;
  const double rim_width = std::max(1.0, 0.06 * r);
  const double cos_a = std::cos(at.angle), sin_a = std::sin(at.angle);
  // Pattern pitch in the unit frame, never finer than about 5 pixels so it does not alias.
  const double stripe_period = std::max(0.45, 5.0 / r);
  const double dot_pitch = std::max(0.5, 5.5 / r);

  const double reach = r * 1.05 + 2;
  const int x0 = std::max(0, static_cast<int>(std::floor(at.cx - reach)));
  const int x1 = std::min(canvas.width() - 1, static_cast<int>(std::ceil(at.cx + reach)));
  const int y0 = std::max(0, static_cast<int>(std::floor(at.cy - reach)));
  const int y1 = std::min(canvas.height() - 1, static_cast<int>(std::ceil(at.cy + reach)));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double px = x + 0.5 - at.cx, py = y + 0.5 - at.cy;
      const double qx = (px * cos_a + py * sin_a) / r;
      const double qy = (-px * sin_a + py * cos_a) / r;
      const double distance = shape_distance(group.shape, qx, qy) * r;  // pixels
      const double alpha = std::clamp(0.5 - distance, 0.0, 1.0);
      if (alpha <= 0) continue;

      Rgb colour = fill;
      if (group.texture == Texture::Striped) {
        const double s = (qx + qy) * (1.0 / std::numbers::sqrt2) / stripe_period;
        const double f = s - std::floor(s);  // stripe where f < 0.5
        const double to_edge = std::min({f, std::abs(f - 0.5), 1.0 - f}) * stripe_period * r;
        const double signed_edge = f < 0.5 ? -to_edge : to_edge;
        colour = mix(fill, tint, std::clamp(0.5 - signed_edge, 0.0, 1.0));
      } else if (group.texture == Texture::Dotted) {
        const double gx = qx / dot_pitch, gy = qy / dot_pitch;
        const double dx = gx - std::floor(gx) - 0.5, dy = gy - std::floor(gy) - 0.5;
        const double from_centre = std::hypot(dx, dy) * dot_pitch * r;
        const double dot_radius = 0.28 * dot_pitch * r;
        colour = mix(fill, tint, std::clamp(0.5 - (from_centre - dot_radius), 0.0, 1.0));
      }
      const double interior = std::clamp(0.5 - (distance + rim_width), 0.0, 1.0);
      canvas.blend(x, y, mix(edge, colour, interior), alpha);
    }
  }
}

Canvas render(const SceneSpec& spec, int width, int height, double t) {
  if (width <= 0 || height <= 0) {
    throw std::invalid_argument("scene size must be positive, got " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
  for (const ShapeGroup& group : spec.groups) {
    if (group.count < 1 || group.count > 3) {
      throw std::invalid_argument("shape count must be 1..3, got " + std::to_string(group.count));
    }
  }
  Canvas canvas(width, height);
  paint_background(canvas, spec.background, spec.detail_seed, t);
  const double s = canvas.short_side();
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    const ShapeGroup& group = spec.groups[g];
    for (Placement at : place_group(group, static_cast<int>(g), width, height, spec.detail_seed)) {
      at.cx += spec.motion.drift_x * s * t;
      at.cy += spec.motion.drift_y * s * t;
      at.angle += spec.motion.spin * t;
      draw_shape(canvas, group, at);
    }
  }
  return canvas;
}

}  // namespace

RgbImage render_scene(const SceneSpec& spec, int width, int height, std::uint64_t noise_seed) {
  return render(spec, width, height, 0.0).to_image(noise_seed);
}

RgbImage render_scene_at(const SceneSpec& spec, int width, int height, double t_seconds) {
  return render(spec, width, height, t_seconds).to_image(0);
}

}  // namespace palimpsest::demo

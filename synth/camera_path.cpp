#include "synth/camera_path.h"

#include <cmath>
#include <stdexcept>

namespace palimpsest {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTranslationScale = 1.0 / 200.0;  // Deforum's TRANSLATION_SCALE

double radians(double degrees) { return degrees * kPi / 180.0; }

Homography rotation_x(double a) {
  const double c = std::cos(a), s = std::sin(a);
  return {1, 0, 0, 0, c, -s, 0, s, c};
}
Homography rotation_y(double a) {
  const double c = std::cos(a), s = std::sin(a);
  return {c, 0, s, 0, 1, 0, -s, 0, c};
}
Homography rotation_z(double a) {
  const double c = std::cos(a), s = std::sin(a);
  return {c, -s, 0, s, c, 0, 0, 0, 1};
}
Homography transpose(const Homography& m) {
  return {m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]};
}

// cv2.getRotationMatrix2D(centre, angle, scale) plus a translation, as a homography.
Homography affine_2d(const CameraMotion& m, double cx, double cy) {
  const double a = m.zoom * std::cos(radians(m.angle));
  const double b = m.zoom * std::sin(radians(m.angle));
  return {a,  b, (1 - a) * cx - b * cy + m.translation_x,
          -b, a, b * cx + (1 - a) * cy + m.translation_y,
          0,  0, 1};
}

Homography plane_homography_3d(const CameraMotion& m, double width, double height) {
  if (!(m.fov > 0.0 && m.fov < 180.0)) {
    throw std::invalid_argument("fov must be in (0, 180) degrees");
  }
  const double f = 0.5 * width / std::tan(radians(m.fov) / 2.0);
  const double cx = 0.5 * width, cy = 0.5 * height;
  const Homography k = {f, 0, cx, 0, f, cy, 0, 0, 1};
  const Homography k_inv = {1 / f, 0, -cx / f, 0, 1 / f, -cy / f, 0, 0, 1};
  const Homography r = compose(rotation_z(radians(m.rotation_3d_z)),
                               compose(rotation_y(radians(m.rotation_3d_y)),
                                       rotation_x(radians(m.rotation_3d_x))));
  // I - T n^T with T = (0, 0, tz) and n = (0, 0, 1): only the (2, 2) entry changes.
  const Homography move = {1, 0, 0, 0, 1, 0, 0, 0, 1 - m.translation_z * kTranslationScale};
  return compose(k, compose(transpose(r), compose(move, k_inv)));
}

}  // namespace

Homography identity_homography() { return {1, 0, 0, 0, 1, 0, 0, 0, 1}; }

Homography compose(const Homography& second, const Homography& first) {
  Homography out{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double sum = 0.0;
      for (int k = 0; k < 3; ++k) sum += second[i * 3 + k] * first[k * 3 + j];
      out[i * 3 + j] = sum;
    }
  }
  return out;
}

Homography invert(const Homography& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7],
               i = m[8];
  const double co0 = e * i - f * h, co1 = -(d * i - f * g), co2 = d * h - e * g;
  const double det = a * co0 + b * co1 + c * co2;
  if (std::abs(det) < 1e-12) throw std::domain_error("camera homography is singular");
  const double s = 1.0 / det;
  return {co0 * s, -(b * i - c * h) * s, (b * f - c * e) * s,
          co1 * s, (a * i - c * g) * s,  -(a * f - c * d) * s,
          co2 * s, -(a * h - b * g) * s, (a * e - b * d) * s};
}

bool apply(const Homography& h, double x, double y, double& out_x, double& out_y) {
  const double w = h[6] * x + h[7] * y + h[8];
  if (!(w > 1e-12)) return false;
  out_x = (h[0] * x + h[1] * y + h[2]) / w;
  out_y = (h[3] * x + h[4] * y + h[5]) / w;
  return true;
}

Homography camera_homography(const CameraMotion& motion, int width, int height) {
  if (!(motion.zoom > 0.0)) throw std::invalid_argument("zoom must be positive");
  const double w = width, h = height;
  Homography result = affine_2d(motion, 0.5 * w, 0.5 * h);
  if (motion.rotation_3d_x != 0.0 || motion.rotation_3d_y != 0.0 ||
      motion.rotation_3d_z != 0.0 || motion.translation_z != 0.0) {
    result = compose(plane_homography_3d(motion, w, h), result);
  }
  return result;
}

}  // namespace palimpsest

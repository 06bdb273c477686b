#pragma once
// Camera motion as 3x3 homographies between consecutive frames (no libtorch).
//
// Coordinates are continuous pixel coordinates: (0, 0) is the top-left corner of the image and
// pixel (i, j) covers [j, j+1) x [i, i+1), so its centre is (j + 0.5, i + 0.5). A homography H
// maps a point of the previous frame to where it appears in the next one: next(H p) = prev(p).

#include <array>

#include "synth/frame_plan.h"

namespace palimpsest {

using Homography = std::array<double, 9>;  // row-major 3x3

Homography identity_homography();
// `second` after `first`.
Homography compose(const Homography& second, const Homography& first);
// Throws std::domain_error for a singular matrix.
Homography invert(const Homography& h);
// Applies h to the point (x, y); returns false when it maps to infinity (behind the camera).
bool apply(const Homography& h, double x, double y, double& out_x, double& out_y);

// The motion from the previous frame to this one: the 2D part first (cv2.getRotationMatrix2D
// about the image centre with `angle` and `zoom`, then the translation, as Deforum's 2D mode),
// then the 3D part: for a scene plane at depth 1 facing the camera, with K the pinhole
// intrinsics from `fov` (horizontal), R the camera rotation (x right, y down, z forward;
// R = Rz Ry Rx) and T = (0, 0, translation_z / 200) its forward move,
// H3 = K R^T (I - T n^T) K^-1 with n = (0, 0, 1): the plane-induced homography.
// Positive rotation_3d_y turns the camera right (content moves left); positive rotation_3d_x
// tilts it up (content moves down); positive rotation_3d_z rolls it clockwise.
Homography camera_homography(const CameraMotion& motion, int width, int height);

}  // namespace palimpsest

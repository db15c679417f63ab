#pragma once
// Drawing primitives of the phantom renderer on float density layers, in normalised
// coordinates (0..1 across the square image). Anti-aliased by coverage; plain arithmetic and
// sqrt only, so results are bit-identical everywhere.

#include <opencv2/core/mat.hpp>

#include <vector>

namespace fmw::demo {

using Layer = cv::Mat_<float>;

struct PointN {
    double u = 0;
    double v = 0;
};

// Coverage of a pixel by a shape whose signed margin (positive inside) is `margin`, in
// normalised units, for a pixel of size `px`.
inline double coverage(double margin, double px)
{
    const double c = margin / px + 0.5;
    return c <= 0 ? 0.0 : c >= 1 ? 1.0 : c;
}

// Points along the quadratic Bezier a -> b with control point c.
std::vector<PointN> quadraticCurve(PointN a, PointN c, PointN b, int segments);

// How a stroke combines with what the layer holds: Add for overlapping objects (a device over
// a rib), Max for a tree of vessels that must not brighten where branches cross.
enum class Blend { Add, Max };

// Draws a stroke along `path` whose width and density change linearly from start to end;
// overlapping segments of one stroke do not add up. Widths below one pixel are drawn one
// pixel wide with proportionally less density, so thin lines stay visible but faint.
void strokePath(Layer &layer, const std::vector<PointN> &path, double width0, double width1,
                double density0, double density1, Blend blend = Blend::Add);

// Box blur of radius r applied twice (close to a Gaussian), edges clamped.
void smooth(Layer &layer, int radius);

} // namespace fmw::demo

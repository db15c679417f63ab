#pragma once
// Renders a PhantomSpec into a synthetic PA chest radiograph and measures the box of every
// finding from the pixels it changes.

#include "annotation/loc_codec.h"
#include "demo/phantom_spec.h"

#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

namespace fmw::demo {

struct PhantomBox {
    std::string label;  // one of the kLabel* constants of finding_text.h
    loc::BoxPx box;     // x1, y1, x2, y2 in pixels (pixel edges: x2 is one past the last column)
};

struct PhantomImage {
    cv::Mat image;                  // CV_32FC1, display brightness 0 (black) .. 1 (white)
    std::vector<PhantomBox> boxes;  // in the impression's finding order
};

// Noise-free image of `spec` at size x size pixels (CV_32FC1, 0..1).
cv::Mat renderPhantomClean(const PhantomSpec &spec, int size);

// The image with noise, and one box per finding: the bounding box of the pixels whose
// noise-free brightness changes by more than kBoxThreshold when that finding is removed.
PhantomImage renderPhantom(const PhantomSpec &spec, int size);

inline constexpr double kBoxThreshold = 0.03;

} // namespace fmw::demo

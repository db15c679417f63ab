#pragma once
// The Florence-2 `<loc_N>` box codec: pixel boxes <-> 1000-bin location tokens, and
// `<OD>` text <-> labelled boxes. Plain C++17 (no Qt, no torch) so the engine's
// post-processor and the curation core share one implementation.
// Semantics follow upstream BoxQuantizer/CoordinatesQuantizer exactly, including
// float32 arithmetic (see ../shared/docs/florence2-reference.md, "<loc_N> quantization").

#include "common/result.h"

#include <array>
#include <string>
#include <vector>

namespace fmw::loc {

constexpr int kBins = 1000;
constexpr int kMaxBin = kBins - 1;

// Image size as upstream passes it: (width, height).
struct ImageSize {
    double width = 0;
    double height = 0;
};

using Bins = std::array<int, 4>;      // x1, y1, x2, y2 in bins 0..999
using BoxPx = std::array<float, 4>;   // x1, y1, x2, y2 in original-image pixels

// pixel -> bin: clamp(floor(float(x) / float(size / 1000)), 0, 999), computed in float32.
int quantize(double coordPx, double size);
// bin -> pixel at the bin centre: float(bin + 0.5) * float(size / 1000). No clamping.
float dequantize(int bin, double size);

Bins quantizeBox(const BoxPx &box, ImageSize size);
BoxPx dequantizeBox(const Bins &bins, ImageSize size);

// "<loc_a><loc_b><loc_c><loc_d>"
std::string locString(const Bins &bins);

struct OdBox {
    std::string label;  // may contain spaces ("pleural effusion")
    Bins bins{};
    bool operator==(const OdBox &o) const { return label == o.label && bins == o.bins; }
};

// Canonical `<OD>` suffix: each box as label followed by its four loc tokens.
std::string formatOd(const std::vector<OdBox> &boxes);

// Strict parse of a curated `<OD>` suffix, for editing. Accepts "label<loc>x4" repeated,
// and several quadruples after one label (each becomes a box with that label).
// Errors (with a message naming the position/offending token): loc count after a label not a
// multiple of 4, a loc value > 999, x2 < x1 or y2 < y1, locs with no label, unparseable tokens.
Result<std::vector<OdBox>> parseOd(const std::string &suffix);

// Upstream `description_with_bboxes` post-processing (Florence2PostProcesser), byte-for-byte in
// behaviour: tolerant, drops what upstream drops, dequantizes to pixels in float32.
struct OdResult {
    std::vector<BoxPx> bboxes;
    std::vector<std::string> labels;
};
OdResult postProcessOd(const std::string &generatedText, ImageSize size);

} // namespace fmw::loc

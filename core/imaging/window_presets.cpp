#include "imaging/window_presets.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fmw::imaging {

namespace {

// Enough samples for percentiles to a fraction of a percent; a 3000x3000 radiograph is
// read with a stride of 3 in each direction.
constexpr double kMaxSamples = 1 << 20;

double storedAt(const cv::Mat &p, int y, int x)
{
    if (p.channels() == 3) {
        double r, g, b;
        if (p.depth() == CV_8U) {
            const cv::Vec3b v = p.at<cv::Vec3b>(y, x);
            r = v[0], g = v[1], b = v[2];
        } else {
            const cv::Vec3w v = p.at<cv::Vec3w>(y, x);
            r = v[0], g = v[1], b = v[2];
        }
        return 0.299 * r + 0.587 * g + 0.114 * b;
    }
    switch (p.depth()) {
    case CV_8U:
        return p.at<std::uint8_t>(y, x);
    case CV_16U:
        return p.at<std::uint16_t>(y, x);
    case CV_16S:
        return p.at<std::int16_t>(y, x);
    default:
        return p.at<std::int32_t>(y, x);
    }
}

// Value at fraction `f` (0..1) of the sorted order of `values` (partially reorders them).
double quantile(std::vector<double> &values, double f)
{
    const auto n = values.size();
    const auto k = std::min(n - 1, static_cast<std::size_t>(std::floor(f * double(n - 1) + 0.5)));
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
    return values[k];
}

} // namespace

QString chestPresetName(ChestPreset preset)
{
    switch (preset) {
    case ChestPreset::Lung:
        return QStringLiteral("Lung");
    case ChestPreset::Mediastinum:
        return QStringLiteral("Mediastinum");
    case ChestPreset::Bone:
        return QStringLiteral("Bone");
    }
    return {};
}

bool usesHounsfieldUnits(const ImageMetadata &meta)
{
    return meta.isDicom && meta.modality.compare(QLatin1String("CT"), Qt::CaseInsensitive) == 0;
}

Window hounsfieldPreset(ChestPreset preset)
{
    switch (preset) {
    case ChestPreset::Lung:
        return Window {-600, 1500};
    case ChestPreset::Mediastinum:
        return Window {50, 350};
    case ChestPreset::Bone:
        return Window {400, 1800};
    }
    return {};
}

PresetFractions radiographFractions(ChestPreset preset)
{
    switch (preset) {
    case ChestPreset::Lung:
        return {0.02, 0.60};
    case ChestPreset::Mediastinum:
        return {0.30, 0.99};
    case ChestPreset::Bone:
        return {0.60, 0.998};
    }
    return {0.0, 1.0};
}

std::optional<Window> chestPresetWindow(const DecodedImage &image, ChestPreset preset)
{
    const cv::Mat &p = image.pixels;
    if (p.empty())
        return std::nullopt;
    if (usesHounsfieldUnits(image.meta) && p.channels() == 1)
        return hounsfieldPreset(preset);

    // Modality values of a regular grid of pixels (colour: luma, no rescale, as rendered).
    const bool colour = p.channels() != 1;
    const double slope = colour ? 1.0 : image.meta.rescaleSlope;
    const double intercept = colour ? 0.0 : image.meta.rescaleIntercept;
    const int stride = std::max(1, int(std::ceil(std::sqrt(double(p.total()) / kMaxSamples))));
    std::vector<double> values;
    values.reserve(std::size_t((p.rows / stride + 1) * (p.cols / stride + 1)));
    for (int y = 0; y < p.rows; y += stride)
        for (int x = 0; x < p.cols; x += stride)
            values.push_back(storedAt(p, y, x) * slope + intercept);

    // The extreme plateaus (air around the patient, collimator shutters, saturated detector,
    // zero padding of a PNG) are not anatomy: leave them out unless nothing else is left.
    const auto [minIt, maxIt] = std::minmax_element(values.begin(), values.end());
    const double lowest = *minIt;
    const double highest = *maxIt;
    std::vector<double> body;
    body.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(body),
                 [&](double v) { return v != lowest && v != highest; });
    if (body.empty())
        body = std::move(values);

    // On screen, MONOCHROME1 shows high values dark: a dark fraction f is the value at 1 - f.
    const bool mono1 = !colour
        && image.meta.photometric.compare(QLatin1String("MONOCHROME1"), Qt::CaseInsensitive) == 0;
    const PresetFractions f = radiographFractions(preset);
    const double a = quantile(body, mono1 ? 1.0 - f.low : f.low);
    const double b = quantile(body, mono1 ? 1.0 - f.high : f.high);
    const double lo = std::min(a, b);
    const double hi = std::max(a, b);
    // The same convention as defaultWindow(): lo maps to black, hi to white.
    return Window {(lo + hi) / 2 + 0.5, hi - lo + 1};
}

} // namespace fmw::imaging

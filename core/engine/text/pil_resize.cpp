#include "engine/text/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace fmw::text {

namespace {

// Fixed-point fraction bits: 8 bits of result, two bits of head room for the negative lobes
// and sums above 1, in a 32-bit accumulator.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x)
{
    constexpr double a = -0.5;
    x = std::fabs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

// Per output position along one axis: the first input index and the integer weights.
struct AxisCoefficients {
    int taps = 0; // weights per output position (the buffer's stride)
    std::vector<int> first; // first input index
    std::vector<int> count; // number of inputs used
    std::vector<int32_t> weights; // outSize * taps, fixed point
};

AxisCoefficients axisCoefficients(int inSize, int outSize)
{
    constexpr double kSupport = 2.0;
    // Pillow computes the box extent in float, then the scale in double.
    const double scale = static_cast<double>(static_cast<float>(inSize) - 0.0f) / outSize;
    const double filterScale = std::max(scale, 1.0);
    const double support = kSupport * filterScale;

    AxisCoefficients c;
    c.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
    c.first.resize(outSize);
    c.count.resize(outSize);
    c.weights.assign(static_cast<size_t>(outSize) * c.taps, 0);
    std::vector<double> w(c.taps);
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = (xx + 0.5) * scale;
        const double invScale = 1.0 / filterScale;
        // Truncation toward zero, as the C casts do.
        const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
        const int xmax = std::min(static_cast<int>(center + support + 0.5), inSize) - xmin;
        double sum = 0.0;
        for (int x = 0; x < xmax; ++x) {
            w[x] = bicubic((x + xmin - center + 0.5) * invScale);
            sum += w[x];
        }
        for (int x = 0; x < xmax; ++x) {
            const double k = sum != 0.0 ? w[x] / sum : w[x];
            const double scaled = k * (1 << kPrecisionBits);
            c.weights[static_cast<size_t>(xx) * c.taps + x]
                = static_cast<int32_t>(k < 0 ? -0.5 + scaled : 0.5 + scaled);
        }
        c.first[xx] = xmin;
        c.count[xx] = xmax;
    }
    return c;
}

uint8_t clip8(int64_t acc)
{
    const int64_t v = acc >> kPrecisionBits; // arithmetic shift, floor for negatives
    return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
}

// Horizontal pass over rows [rowBegin, rowEnd) of `in`.
ImageU8 resampleRows(const ImageU8 &in, int rowBegin, int rowEnd, const AxisCoefficients &c, int outWidth)
{
    ImageU8 out(outWidth, rowEnd - rowBegin, in.channels);
    for (int y = rowBegin; y < rowEnd; ++y) {
        for (int xx = 0; xx < outWidth; ++xx) {
            const int32_t *k = &c.weights[static_cast<size_t>(xx) * c.taps];
            for (int ch = 0; ch < in.channels; ++ch) {
                int64_t acc = int64_t(1) << (kPrecisionBits - 1);
                for (int x = 0; x < c.count[xx]; ++x)
                    acc += int64_t(in.at(c.first[xx] + x, y, ch)) * k[x];
                out.at(xx, y - rowBegin, ch) = clip8(acc);
            }
        }
    }
    return out;
}

// Vertical pass; `rowOffset` is the input row that `in`'s first row stands for.
ImageU8 resampleColumns(const ImageU8 &in, int rowOffset, const AxisCoefficients &c, int outHeight)
{
    ImageU8 out(in.width, outHeight, in.channels);
    for (int yy = 0; yy < outHeight; ++yy) {
        const int32_t *k = &c.weights[static_cast<size_t>(yy) * c.taps];
        const int y0 = c.first[yy] - rowOffset;
        for (int x = 0; x < in.width; ++x) {
            for (int ch = 0; ch < in.channels; ++ch) {
                int64_t acc = int64_t(1) << (kPrecisionBits - 1);
                for (int y = 0; y < c.count[yy]; ++y)
                    acc += int64_t(in.at(x, y0 + y, ch)) * k[y];
                out.at(x, yy, ch) = clip8(acc);
            }
        }
    }
    return out;
}

} // namespace

ImageU8 resizeBicubicPil(const ImageU8 &in, int outWidth, int outHeight)
{
    const bool horizontal = outWidth != in.width;
    const bool vertical = outHeight != in.height;
    if (!horizontal && !vertical)
        return in;
    const AxisCoefficients vc = axisCoefficients(in.height, outHeight);
    if (!horizontal)
        return resampleColumns(in, 0, vc, outHeight);
    // Only the rows the vertical pass reads are resampled horizontally.
    const int rowBegin = vertical ? vc.first.front() : 0;
    const int rowEnd = vertical ? vc.first.back() + vc.count.back() : in.height;
    const ImageU8 rows = resampleRows(in, rowBegin, rowEnd, axisCoefficients(in.width, outWidth), outWidth);
    return vertical ? resampleColumns(rows, rowBegin, vc, outHeight) : rows;
}

} // namespace fmw::text

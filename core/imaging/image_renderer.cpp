#include "imaging/image_renderer.h"

#include "imaging/image_loader.h"

#include <QSaveFile>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fmw::imaging {

namespace {

bool isMonochrome1(const DecodedImage &image)
{
    return image.pixels.channels() == 1
        && image.meta.photometric.compare(QLatin1String("MONOCHROME1"), Qt::CaseInsensitive) == 0;
}

inline unsigned char round8(double y)
{
    return static_cast<unsigned char>(std::clamp(std::floor(y + 0.5), 0.0, 255.0));
}

// DICOM PS3.3 C.11.2.1.2.1, the LINEAR VOI function with output range 0..255:
//   x <= c - 0.5 - (w-1)/2  -> 0
//   x >  c - 0.5 + (w-1)/2  -> 255
//   else y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
// A width below 1 acts as 1: a threshold at c - 0.5.
class LinearVoi {
public:
    explicit LinearVoi(const Window &w)
        : m_c(w.center)
        , m_w(std::max(w.width, 1.0))
        , m_lower(m_c - 0.5 - (m_w - 1) / 2)
        , m_upper(m_c - 0.5 + (m_w - 1) / 2)
    {
    }
    unsigned char operator()(double x) const
    {
        if (m_w <= 1)
            return x <= m_c - 0.5 ? 0 : 255;
        if (x <= m_lower)
            return 0;
        if (x > m_upper)
            return 255;
        return round8(((x - (m_c - 0.5)) / (m_w - 1) + 0.5) * 255.0);
    }

private:
    double m_c, m_w, m_lower, m_upper;
};

// The file's VOI LUT: modality value (rounded) -> entry, clamped at both ends, scaled to 8 bits.
class LutVoi {
public:
    explicit LutVoi(const DecodedImage &image)
        : m_lut(image.voiLut)
        , m_first(image.voiLutFirstMapped)
        , m_scale(255.0 / double((1u << image.voiLutBits) - 1))
    {
    }
    unsigned char operator()(double x) const
    {
        const double index = std::clamp(std::floor(x + 0.5) - m_first, 0.0, double(m_lut.size() - 1));
        return round8(m_lut[static_cast<std::size_t>(index)] * m_scale);
    }

private:
    const std::vector<quint16> &m_lut;
    int m_first;
    double m_scale;
};

// Stored value -> display byte for a gray image: rescale, VOI, then the presentation
// inversion (MONOCHROME1 XOR user invert). `fn` receives the stored value.
template <typename Voi> class GrayPipeline {
public:
    GrayPipeline(const DecodedImage &image, Voi voi, bool invert)
        : m_slope(image.meta.rescaleSlope)
        , m_intercept(image.meta.rescaleIntercept)
        , m_voi(std::move(voi))
        , m_invert(invert)
    {
    }
    unsigned char operator()(double stored) const
    {
        const unsigned char v = m_voi(stored * m_slope + m_intercept);
        return m_invert ? 255 - v : v;
    }

private:
    double m_slope, m_intercept;
    Voi m_voi;
    bool m_invert;
};

// Maps every sample of `src` through `fn` into the 8-bit `dst` (same size and channel count).
// 8- and 16-bit inputs go through a table of every possible value.
template <typename Fn> void mapSamples(const cv::Mat &src, cv::Mat &dst, const Fn &fn)
{
    const std::size_t rowSamples = std::size_t(src.cols) * src.channels();
    auto tableMap = [&](auto sample, int offset, int size) {
        using T = decltype(sample);
        std::vector<unsigned char> table(static_cast<std::size_t>(size));
        for (int i = 0; i < size; ++i)
            table[static_cast<std::size_t>(i)] = fn(double(i - offset));
        for (int y = 0; y < src.rows; ++y) {
            const T *s = src.ptr<T>(y);
            unsigned char *d = dst.ptr<unsigned char>(y);
            for (std::size_t x = 0; x < rowSamples; ++x)
                d[x] = table[static_cast<std::size_t>(int(s[x]) + offset)];
        }
    };
    switch (src.depth()) {
    case CV_8U:
        tableMap(std::uint8_t {}, 0, 256);
        break;
    case CV_16U:
        tableMap(std::uint16_t {}, 0, 65536);
        break;
    case CV_16S:
        tableMap(std::int16_t {}, 32768, 65536);
        break;
    default:
        for (int y = 0; y < src.rows; ++y) {
            const std::int32_t *s = src.ptr<std::int32_t>(y);
            unsigned char *d = dst.ptr<unsigned char>(y);
            for (std::size_t x = 0; x < rowSamples; ++x)
                d[x] = fn(double(s[x]));
        }
    }
}

QImage toQImage(const cv::Mat &mat)
{
    const QImage::Format format = mat.channels() == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888;
    QImage out(mat.cols, mat.rows, format);
    const std::size_t rowBytes = std::size_t(mat.cols) * mat.channels();
    for (int y = 0; y < mat.rows; ++y)
        std::copy_n(mat.ptr<unsigned char>(y), rowBytes, out.scanLine(y));
    return out;
}

// A deep copy of `image` as an 8-bit cv::Mat with one or three channels (RGB order).
cv::Mat toMat(const QImage &image)
{
    const int channels = image.format() == QImage::Format_Grayscale8 ? 1 : 3;
    cv::Mat out(image.height(), image.width(), CV_MAKETYPE(CV_8U, channels));
    const std::size_t rowBytes = std::size_t(image.width()) * channels;
    for (int y = 0; y < image.height(); ++y)
        std::copy_n(image.constScanLine(y), rowBytes, out.ptr<unsigned char>(y));
    return out;
}

void modalityRange(const DecodedImage &image, double *lo, double *hi)
{
    double minStored = 0, maxStored = 0;
    cv::minMaxLoc(image.pixels.reshape(1), &minStored, &maxStored);
    const double a = minStored * image.meta.rescaleSlope + image.meta.rescaleIntercept;
    const double b = maxStored * image.meta.rescaleSlope + image.meta.rescaleIntercept;
    *lo = std::min(a, b);
    *hi = std::max(a, b);
}

Error invalid(const std::string &message, const QString &path = {})
{
    return makeError(ErrorCode::InvalidArgument, message, path.toStdString());
}

} // namespace

Window defaultWindow(const DecodedImage &image)
{
    if (image.meta.window)
        return *image.meta.window;
    if (image.pixels.empty())
        return {};
    // Colour and 8-bit PNG/JPEG/TIFF: the identity over the stored range ((128, 256) maps
    // 0..255 onto itself exactly).
    const bool byteImage = !image.meta.isDicom && image.pixels.depth() == CV_8U;
    if (image.pixels.channels() != 1 || byteImage) {
        const int bits = image.pixels.depth() == CV_8U ? 8 : std::clamp(image.meta.bitsStored, 1, 16);
        const double range = double(1u << bits);
        return Window {range / 2, range};
    }
    // Otherwise min..max of the modality values, with both ends mapped onto 0 and 255.
    double lo = 0, hi = 0;
    modalityRange(image, &lo, &hi);
    return Window {(lo + hi) / 2 + 0.5, hi - lo + 1};
}

QImage render(const DecodedImage &image, const DisplaySettings &settings)
{
    if (image.pixels.empty())
        return {};
    const bool colour = image.pixels.channels() != 1;
    QImage shown(
        image.pixels.cols, image.pixels.rows, colour ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
    // Written in place through a header over the QImage's rows: no second 8-bit buffer.
    cv::Mat display(shown.height(), shown.width(), CV_MAKETYPE(CV_8U, image.pixels.channels()), shown.bits(),
        static_cast<std::size_t>(shown.bytesPerLine()));
    const bool invert = isMonochrome1(image) != settings.invert;
    if (colour) {
        // Colour has no modality or VOI transform in DICOM; a window still acts per channel.
        const LinearVoi voi(settings.window.value_or(defaultWindow(image)));
        mapSamples(image.pixels, display, [&](double x) {
            const unsigned char v = voi(x);
            return invert ? static_cast<unsigned char>(255 - v) : v;
        });
    } else if (!settings.window && image.meta.hasVoiLut && !image.voiLut.empty()) {
        mapSamples(image.pixels, display, GrayPipeline<LutVoi>(image, LutVoi(image), invert));
    } else {
        const LinearVoi voi(settings.window.value_or(defaultWindow(image)));
        mapSamples(image.pixels, display, GrayPipeline<LinearVoi>(image, voi, invert));
    }
    return shown;
}

bool pixelValue(const DecodedImage &image, int x, int y, double *stored, double *modality)
{
    const cv::Mat &p = image.pixels;
    if (p.empty() || x < 0 || y < 0 || x >= p.cols || y >= p.rows)
        return false;
    double value = 0;
    if (p.channels() == 3) {
        const double r = p.depth() == CV_8U ? p.at<cv::Vec3b>(y, x)[0] : p.at<cv::Vec3w>(y, x)[0];
        const double g = p.depth() == CV_8U ? p.at<cv::Vec3b>(y, x)[1] : p.at<cv::Vec3w>(y, x)[1];
        const double b = p.depth() == CV_8U ? p.at<cv::Vec3b>(y, x)[2] : p.at<cv::Vec3w>(y, x)[2];
        value = 0.299 * r + 0.587 * g + 0.114 * b; // ITU-R BT.601 luma
        if (stored)
            *stored = value;
        if (modality)
            *modality = value;
        return true;
    }
    switch (p.depth()) {
    case CV_8U:
        value = p.at<std::uint8_t>(y, x);
        break;
    case CV_16U:
        value = p.at<std::uint16_t>(y, x);
        break;
    case CV_16S:
        value = p.at<std::int16_t>(y, x);
        break;
    default:
        value = p.at<std::int32_t>(y, x);
        break;
    }
    if (stored)
        *stored = value;
    if (modality)
        *modality = value * image.meta.rescaleSlope + image.meta.rescaleIntercept;
    return true;
}

Result<QImage> loadThumbnail(const QString &path, int maxSide)
{
    if (maxSide < 1)
        return invalid("thumbnail size must be at least 1 pixel", path);
    Result<DecodedImage> image = loadImage(path);
    if (!image)
        return image.error();
    const QImage full = render(*image);
    const int longer = std::max(full.width(), full.height());
    if (longer <= maxSide)
        return full;
    // Area averaging: the right filter for shrinking, and cheaper than QImage's smooth scale.
    const double scale = double(maxSide) / longer;
    const cv::Size size(std::max(1, int(std::lround(full.width() * scale))),
        std::max(1, int(std::lround(full.height() * scale))));
    cv::Mat small;
    cv::resize(toMat(full), small, size, 0, 0, cv::INTER_AREA);
    return toQImage(small);
}

Status exportPng(
    const DecodedImage &image, const QString &outPath, bool sixteenBit, const DisplaySettings &settings)
{
    if (image.pixels.empty())
        return invalid("no pixels to export", outPath);
    cv::Mat out;
    if (!sixteenBit) {
        out = toMat(render(image, settings));
    } else if (image.pixels.channels() == 1) {
        // Modality values shifted to start at 0 when negative; MONOCHROME1 flipped so that
        // the PNG, which has no photometric tag, reads as MONOCHROME2 like every other export.
        double lo = 0, hi = 0;
        modalityRange(image, &lo, &hi);
        const double shift = lo < 0 ? -lo : 0;
        const bool flip = isMonochrome1(image);
        cv::Mat values;
        image.pixels.convertTo(values, CV_64F, image.meta.rescaleSlope, image.meta.rescaleIntercept + shift);
        if (flip)
            values = (hi + shift) - values + (lo + shift);
        values.convertTo(out, CV_16U); // rounds and saturates at 0..65535
    } else {
        // 16-bit RGB: 8-bit samples widened so that 255 becomes 65535.
        image.pixels.convertTo(out, CV_16U, image.pixels.depth() == CV_8U ? 257.0 : 1.0);
    }
    if (out.channels() == 3)
        cv::cvtColor(out, out, cv::COLOR_RGB2BGR);

    std::vector<uchar> png;
    try {
        if (!cv::imencode(".png", out, png))
            return makeError(ErrorCode::Internal, "PNG encoding failed", outPath.toStdString());
    } catch (const cv::Exception &e) {
        return makeError(ErrorCode::Internal, "PNG encoding failed: " + e.msg, outPath.toStdString());
    }
    QSaveFile file(outPath);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(
            ErrorCode::Io, "cannot write: " + file.errorString().toStdString(), outPath.toStdString());
    if (file.write(reinterpret_cast<const char *>(png.data()), qint64(png.size())) != qint64(png.size())
        || !file.commit())
        return makeError(
            ErrorCode::Io, "cannot write: " + file.errorString().toStdString(), outPath.toStdString());
    return {};
}

} // namespace fmw::imaging

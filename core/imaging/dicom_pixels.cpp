#include "imaging/dicom_pixels.h"

#include <QtEndian>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace fmw::imaging {

namespace {

Error unsupported(const QString &path, const QString &what)
{
    return makeError(ErrorCode::Unsupported, what.toStdString(), path.toStdString());
}

bool isMonochrome(const QString &p)
{
    return p == QLatin1String("MONOCHROME1") || p == QLatin1String("MONOCHROME2");
}

// Where the stored bits sit in a sample and how to read them.
struct StoredBits {
    int shift = 0;
    std::uint32_t mask = 0xFFFFFFFFu;
    int stored = 32;
    bool isSigned = false;
};

StoredBits storedBits(const PixelLayout &l, bool isSigned)
{
    StoredBits b;
    b.shift = l.highBit + 1 - l.bitsStored;
    b.stored = l.bitsStored;
    b.mask = l.bitsStored >= 32 ? 0xFFFFFFFFu : ((std::uint32_t(1) << l.bitsStored) - 1);
    b.isSigned = isSigned;
    return b;
}

template <int Bytes, bool BigEndian> inline std::uint32_t load(const unsigned char *p)
{
    if constexpr (Bytes == 1)
        return p[0];
    else if constexpr (Bytes == 2)
        return BigEndian ? qFromBigEndian<quint16>(p) : qFromLittleEndian<quint16>(p);
    else
        return BigEndian ? qFromBigEndian<quint32>(p) : qFromLittleEndian<quint32>(p);
}

inline std::int64_t storedValue(std::uint32_t raw, const StoredBits &b)
{
    const std::uint32_t v = (raw >> b.shift) & b.mask;
    if (b.isSigned && ((v >> (b.stored - 1)) & 1u))
        return std::int64_t(v) - (std::int64_t(1) << b.stored);
    return v;
}

// Unpacks `count` samples into `dst`; false if one does not fit `Out` (32-bit unsigned > 2^31-1).
template <int Bytes, bool BigEndian, typename Out>
bool unpackSamples(const unsigned char *src, std::size_t count, const StoredBits &b, Out *dst)
{
    bool fits = true;
    for (std::size_t i = 0; i < count; ++i) {
        const std::int64_t v = storedValue(load<Bytes, BigEndian>(src + i * Bytes), b);
        if constexpr (sizeof(Out) == 4)
            fits &= v <= std::numeric_limits<std::int32_t>::max();
        dst[i] = static_cast<Out>(v);
    }
    return fits;
}

template <typename Out>
bool unpack(
    const unsigned char *src, std::size_t count, int bytes, bool bigEndian, const StoredBits &b, Out *dst)
{
    switch (bytes * 2 + (bigEndian ? 1 : 0)) {
    case 2:
    case 3:
        return unpackSamples<1, false>(src, count, b, dst);
    case 4:
        return unpackSamples<2, false>(src, count, b, dst);
    case 5:
        return unpackSamples<2, true>(src, count, b, dst);
    case 8:
        return unpackSamples<4, false>(src, count, b, dst);
    default:
        return unpackSamples<4, true>(src, count, b, dst);
    }
}

inline unsigned char clamp8(double v)
{
    return static_cast<unsigned char>(std::clamp(v + 0.5, 0.0, 255.0));
}

// YCbCr (full range, PS3.3 C.7.6.3.1.2) to RGB.
inline void ybrToRgb(int y, int cb, int cr, unsigned char *rgb)
{
    rgb[0] = clamp8(y + 1.402 * (cr - 128));
    rgb[1] = clamp8(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
    rgb[2] = clamp8(y + 1.772 * (cb - 128));
}

} // namespace

Status validateLayout(const PixelLayout &l, const QString &path)
{
    const int ba = l.bitsAllocated;
    if (ba != 1 && ba != 8 && ba != 16 && ba != 32)
        return unsupported(
            path, QStringLiteral("BitsAllocated %1 is not supported (1, 8, 16 or 32)").arg(ba));
    if (l.bitsStored < 1 || l.bitsStored > ba || l.highBit < l.bitsStored - 1 || l.highBit >= ba)
        return makeError(ErrorCode::Parse,
            QStringLiteral("inconsistent bits: BitsAllocated %1, BitsStored %2, HighBit %3")
                .arg(ba)
                .arg(l.bitsStored)
                .arg(l.highBit)
                .toStdString(),
            path.toStdString());
    if (l.samples == 1) {
        if (!isMonochrome(l.photometric))
            return unsupported(path,
                QStringLiteral("photometric interpretation %1 is not supported "
                               "for one sample per pixel")
                    .arg(l.photometric));
        return {};
    }
    if (l.samples != 3)
        return unsupported(
            path, QStringLiteral("SamplesPerPixel %1 is not supported (1 or 3)").arg(l.samples));
    const bool ybr
        = l.photometric == QLatin1String("YBR_FULL") || l.photometric == QLatin1String("YBR_FULL_422");
    if (l.photometric != QLatin1String("RGB") && !ybr)
        return unsupported(
            path, QStringLiteral("photometric interpretation %1 is not supported").arg(l.photometric));
    if (ba != 8 && (ba != 16 || ybr))
        return unsupported(
            path, QStringLiteral("%1-bit %2 colour is not supported").arg(ba).arg(l.photometric));
    return {};
}

qint64 nativeFrameBytes(const PixelLayout &l)
{
    return nativeTotalBytes(l, 1);
}

qint64 nativeTotalBytes(const PixelLayout &l, qint64 frames)
{
    // YBR_FULL_422 stores two luma and one Cb/Cr pair per two pixels: two samples a pixel.
    const qint64 samples = l.photometric == QLatin1String("YBR_FULL_422") ? 2 : l.samples;
    const qint64 bits = qint64(l.rows) * l.cols * samples * l.bitsAllocated * frames;
    return (bits + 7) / 8;
}

Result<cv::Mat> unpackFrame(const unsigned char *bytes, std::size_t size, const PixelLayout &l,
    const QString &photometric, bool bigEndian, const QString &path)
{
    const std::size_t pixels = std::size_t(l.rows) * std::size_t(l.cols);
    const int bytesPerSample = l.bitsAllocated / 8;
    const bool subsampled = photometric == QLatin1String("YBR_FULL_422");
    const std::size_t needed
        = l.bitsAllocated == 1 ? (pixels + 7) / 8 : pixels * (subsampled ? 2 : l.samples) * bytesPerSample;
    if (size < needed)
        return makeError(ErrorCode::Parse,
            QStringLiteral("decoded frame has %1 bytes, %2 expected").arg(size).arg(needed).toStdString(),
            path.toStdString());

    if (l.samples == 1) {
        if (l.bitsAllocated == 1) {
            // Bit i of the frame is bit (i % 8) of byte i / 8, least significant first.
            cv::Mat out(l.rows, l.cols, CV_8UC1);
            unsigned char *dst = out.ptr<unsigned char>();
            for (std::size_t i = 0; i < pixels; ++i)
                dst[i] = (bytes[i >> 3] >> (i & 7)) & 1;
            return out;
        }
        const StoredBits b = storedBits(l, l.isSigned);
        if (l.bitsAllocated == 32) {
            cv::Mat out(l.rows, l.cols, CV_32SC1);
            if (!unpack(bytes, pixels, 4, bigEndian, b, out.ptr<std::int32_t>()))
                return unsupported(
                    path, QStringLiteral("unsigned 32-bit values above 2^31-1 are not supported"));
            return out;
        }
        if (l.isSigned) {
            cv::Mat out(l.rows, l.cols, CV_16SC1);
            unpack(bytes, pixels, bytesPerSample, bigEndian, b, out.ptr<std::int16_t>());
            return out;
        }
        if (l.bitsAllocated == 8) {
            cv::Mat out(l.rows, l.cols, CV_8UC1);
            unpack(bytes, pixels, 1, bigEndian, b, out.ptr<std::uint8_t>());
            return out;
        }
        cv::Mat out(l.rows, l.cols, CV_16UC1);
        unpack(bytes, pixels, 2, bigEndian, b, out.ptr<std::uint16_t>());
        return out;
    }

    // Colour: samples are unsigned whatever PixelRepresentation says.
    const StoredBits b = storedBits(l, false);
    if (subsampled) {
        // Y1 Y2 Cb Cr for each pair of pixels in a row.
        if (l.cols % 2 != 0 || l.bitsAllocated != 8)
            return unsupported(
                path, QStringLiteral("YBR_FULL_422 needs 8 bits and an even number of columns"));
        cv::Mat out(l.rows, l.cols, CV_8UC3);
        for (int y = 0; y < l.rows; ++y) {
            const unsigned char *src = bytes + std::size_t(y) * l.cols * 2;
            unsigned char *dst = out.ptr<unsigned char>(y);
            for (int x = 0; x < l.cols; x += 2, src += 4) {
                const int cb = static_cast<int>(storedValue(src[2], b));
                const int cr = static_cast<int>(storedValue(src[3], b));
                ybrToRgb(static_cast<int>(storedValue(src[0], b)), cb, cr, dst + x * 3);
                ybrToRgb(static_cast<int>(storedValue(src[1], b)), cb, cr, dst + x * 3 + 3);
            }
        }
        return out;
    }

    const int depth = l.bitsAllocated == 8 ? CV_8U : CV_16U;
    cv::Mat out;
    if (l.planar) {
        // Colour-by-plane: all R, then all G, then all B.
        std::vector<cv::Mat> planes;
        for (int c = 0; c < 3; ++c) {
            cv::Mat plane(l.rows, l.cols, CV_MAKETYPE(depth, 1));
            const unsigned char *src = bytes + c * pixels * bytesPerSample;
            if (depth == CV_8U)
                unpack(src, pixels, 1, bigEndian, b, plane.ptr<std::uint8_t>());
            else
                unpack(src, pixels, 2, bigEndian, b, plane.ptr<std::uint16_t>());
            planes.push_back(plane);
        }
        cv::merge(planes, out);
    } else {
        out.create(l.rows, l.cols, CV_MAKETYPE(depth, 3));
        if (depth == CV_8U)
            unpack(bytes, pixels * 3, 1, bigEndian, b, out.ptr<std::uint8_t>());
        else
            unpack(bytes, pixels * 3, 2, bigEndian, b, out.ptr<std::uint16_t>());
    }
    if (photometric == QLatin1String("YBR_FULL")) {
        unsigned char *p = out.ptr<unsigned char>();
        for (std::size_t i = 0; i < pixels; ++i, p += 3)
            ybrToRgb(p[0], p[1], p[2], p);
    }
    return out;
}

bool canReadInPlace(const PixelLayout &l, bool bigEndian)
{
    return l.samples == 1 && !bigEndian && QSysInfo::ByteOrder == QSysInfo::LittleEndian
        && (l.bitsAllocated == 16 || (l.bitsAllocated == 8 && !l.isSigned));
}

cv::Mat allocateGrayFrame(const PixelLayout &l)
{
    const int type = l.bitsAllocated == 8 ? CV_8UC1 : l.isSigned ? CV_16SC1 : CV_16UC1;
    return cv::Mat(l.rows, l.cols, type);
}

void applyStoredBits(cv::Mat &frame, const PixelLayout &l)
{
    if (l.highBit + 1 == l.bitsAllocated && l.bitsStored == l.bitsAllocated)
        return; // every bit is a stored bit: the bytes already are the values
    const StoredBits b = storedBits(l, l.isSigned);
    const std::size_t n = frame.total();
    if (frame.depth() == CV_8U) {
        std::uint8_t *p = frame.ptr<std::uint8_t>();
        for (std::size_t i = 0; i < n; ++i)
            p[i] = static_cast<std::uint8_t>(storedValue(p[i], b));
    } else {
        // Same bytes viewed as unsigned for the bit work, written back in the frame's type.
        std::uint16_t *p = reinterpret_cast<std::uint16_t *>(frame.data);
        for (std::size_t i = 0; i < n; ++i)
            p[i] = static_cast<std::uint16_t>(storedValue(p[i], b));
    }
}

} // namespace fmw::imaging

#include "imaging/image_loader.h"

#include "imaging/dicom_reader.h"
#include "imaging/raster_header.h"

#include <QFile>
#include <QFileInfo>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <exception>

namespace fmw::imaging {

namespace {

// Larger PNG/JPEG/TIFF files are refused before being read into memory.
constexpr qint64 kMaxRasterFileBytes = qint64(1) << 30;

enum class Kind { Dicom, Raster, Unknown };

Error ioError(const QString &path, const QString &message)
{
    return makeError(ErrorCode::Io, message.toStdString(), path.toStdString());
}

Result<Kind> sniff(const QString &path)
{
    const QFileInfo info(path);
    if (info.isDir())
        return ioError(path, QStringLiteral("is a folder, not an image file"));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return ioError(path, QStringLiteral("cannot open: %1").arg(file.errorString()));
    if (file.size() == 0)
        return makeError(ErrorCode::Parse, "empty file (0 bytes), not an image", path.toStdString());
    const QByteArray head = file.read(132);
    if (hasDicomPreamble(head))
        return Kind::Dicom;
    if (!sniffRasterFormat(head).isEmpty())
        return Kind::Raster;
    return Kind::Unknown;
}

ImageMetadata rasterMetadata(const RasterHeader &h)
{
    ImageMetadata meta;
    meta.format = h.format;
    meta.width = h.width;
    meta.height = h.height;
    meta.samplesPerPixel = h.colour ? 3 : 1;
    meta.bitsAllocated = h.bitsPerSample;
    meta.bitsStored = h.bitsPerSample;
    meta.photometric = h.colour ? QStringLiteral("RGB") : QStringLiteral("MONOCHROME2");
    return meta;
}

// OpenCV's decode (BGR, maybe with alpha) to RGB or gray without alpha, as the header says.
Result<cv::Mat> toStoredLayout(
    const cv::Mat &decoded, bool colour, const QString &path, const QString &format)
{
    if (decoded.depth() != CV_8U && decoded.depth() != CV_16U)
        return makeError(ErrorCode::Unsupported,
            QStringLiteral("%1 with sample type %2 is not supported (8- or 16-bit "
                           "unsigned only)")
                .arg(format)
                .arg(decoded.depth())
                .toStdString(),
            path.toStdString());
    cv::Mat out;
    const int channels = decoded.channels();
    if (!colour) {
        if (channels == 1)
            out = decoded;
        else
            cv::extractChannel(decoded, out, 0); // gray decoded as BGR(A) or gray+alpha
        return out;
    }
    switch (channels) {
    case 1:
        cv::cvtColor(decoded, out, cv::COLOR_GRAY2RGB);
        break;
    case 3:
        cv::cvtColor(decoded, out, cv::COLOR_BGR2RGB);
        break;
    case 4:
        cv::cvtColor(decoded, out, cv::COLOR_BGRA2RGB);
        break;
    default:
        return makeError(ErrorCode::Unsupported,
            QStringLiteral("%1 with %2 channels is not supported").arg(format).arg(channels).toStdString(),
            path.toStdString());
    }
    return out;
}

Result<DecodedImage> readRaster(const QString &path, bool decodePixels)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return ioError(path, QStringLiteral("cannot open: %1").arg(file.errorString()));
    Result<RasterHeader> header = readRasterHeader(file, path);
    if (!header)
        return header.error();
    DecodedImage image;
    image.meta = rasterMetadata(*header);
    if (!decodePixels)
        return image;

    if (file.size() > kMaxRasterFileBytes)
        return makeError(ErrorCode::Unsupported,
            QStringLiteral("%1 file of %2 bytes is larger than the 1 GiB limit")
                .arg(header->format)
                .arg(file.size())
                .toStdString(),
            path.toStdString());
    file.seek(0);
    QByteArray bytes = file.readAll();
    cv::Mat decoded;
    try {
        const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, bytes.data());
        decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception &e) {
        return makeError(ErrorCode::Parse,
            QStringLiteral("cannot decode %1: %2")
                .arg(header->format, QString::fromStdString(e.msg))
                .toStdString(),
            path.toStdString());
    }
    if (decoded.empty())
        return makeError(ErrorCode::Parse,
            QStringLiteral("cannot decode the %1 data: corrupt or truncated")
                .arg(header->format)
                .toStdString(),
            path.toStdString());
    Result<cv::Mat> stored = toStoredLayout(decoded, header->colour, path, header->format);
    if (!stored)
        return stored.error();
    image.pixels = std::move(stored.value());
    const int bits = image.pixels.depth() == CV_16U ? 16 : 8;
    image.meta.width = image.pixels.cols;
    image.meta.height = image.pixels.rows;
    image.meta.bitsAllocated = bits;
    image.meta.bitsStored = bits;
    return image;
}

Result<DecodedImage> read(const QString &path, bool decodePixels)
{
    Result<Kind> kind = sniff(path);
    if (!kind)
        return kind.error();
    try {
        switch (*kind) {
        case Kind::Dicom:
            return readDicom(path, decodePixels);
        case Kind::Raster:
            return readRaster(path, decodePixels);
        case Kind::Unknown:
            break;
        }
        // No signature: a bare DICOM dataset (no preamble) is the one format left.
        bool parsed = false;
        Result<DecodedImage> bare = readDicom(path, decodePixels, &parsed);
        if (bare || parsed)
            return bare;
        return makeError(ErrorCode::Parse,
            "not a PNG, JPEG, TIFF or DICOM file (no image signature, and no DICOM "
            "dataset could be read: "
                + bare.error().message + ")",
            path.toStdString());
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Internal, "out of memory while reading the image", path.toStdString());
    } catch (const std::exception &e) {
        return makeError(
            ErrorCode::Internal, std::string("unexpected error: ") + e.what(), path.toStdString());
    }
}

} // namespace

Result<ImageMetadata> readMetadata(const QString &path)
{
    Result<DecodedImage> image = read(path, false);
    if (!image)
        return image.error();
    return std::move(image->meta);
}

Result<DecodedImage> loadImage(const QString &path)
{
    return read(path, true);
}

} // namespace fmw::imaging

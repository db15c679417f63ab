#pragma once
// Reads the size and sample layout of a PNG, JPEG or TIFF from its header, without decoding,
// so hostile dimensions are refused before a decoder allocates anything.

#include "common/result.h"

#include <QIODevice>
#include <QString>

namespace fmw::imaging {

struct RasterHeader {
    QString format; // "PNG", "JPEG", "TIFF"
    int width = 0;
    int height = 0;
    int bitsPerSample = 8; // as decoded: 8 or 16 (PNG 1/2/4-bit gray expands to 8)
    bool colour = false; // decodes to RGB (palette, RGB, CMYK, YCbCr); alpha is dropped
};

// Largest accepted image: per side and in total. A chest X-ray is ~3000 x 3000.
constexpr int kMaxImageSide = 30000;
constexpr qint64 kMaxImagePixels = 400LL * 1000 * 1000;

// The format from the first bytes, or an empty string when none of the three matches.
QString sniffRasterFormat(const QByteArray &head);

// Parses the header of `device` (seekable, opened for reading). `path` names the file in
// errors. Refuses sizes beyond kMaxImageSide / kMaxImagePixels.
Result<RasterHeader> readRasterHeader(QIODevice &device, const QString &path);

// Error when width x height is outside the limits above, naming `path` and `what`.
Status checkImageSize(qint64 width, qint64 height, const QString &path, const QString &what);

} // namespace fmw::imaging

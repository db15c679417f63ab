#include "imaging/raster_header.h"

#include <QtEndian>

namespace fmw::imaging {

namespace {

Error headerError(const QString &path, const QString &format, const QString &what)
{
    return makeError(ErrorCode::Parse,
        QStringLiteral("corrupt %1 header: %2").arg(format, what).toStdString(), path.toStdString());
}

// Reads exactly `n` bytes at `offset`; empty on a short read.
QByteArray readAt(QIODevice &device, qint64 offset, qint64 n)
{
    if (offset < 0 || !device.seek(offset))
        return {};
    QByteArray bytes = device.read(n);
    return bytes.size() == n ? bytes : QByteArray();
}

quint16 be16(const char *p)
{
    return qFromBigEndian<quint16>(p);
}
quint32 be32(const char *p)
{
    return qFromBigEndian<quint32>(p);
}

Result<RasterHeader> readPng(QIODevice &device, const QString &path)
{
    // Signature (8), then the IHDR chunk: length (4), "IHDR", width, height, depth, colour type.
    const QByteArray h = readAt(device, 0, 26);
    if (h.isEmpty() || h.mid(12, 4) != "IHDR")
        return headerError(path, QStringLiteral("PNG"), QStringLiteral("no IHDR chunk"));
    RasterHeader r;
    r.format = QStringLiteral("PNG");
    const quint32 w = be32(h.constData() + 16);
    const quint32 ht = be32(h.constData() + 20);
    const int depth = static_cast<unsigned char>(h[24]);
    const int colourType = static_cast<unsigned char>(h[25]);
    if (Status s = checkImageSize(w, ht, path, QStringLiteral("PNG")); !s)
        return s.error();
    r.width = static_cast<int>(w);
    r.height = static_cast<int>(ht);
    r.bitsPerSample = depth == 16 ? 16 : 8;
    // 0 gray, 4 gray+alpha; 2 RGB, 3 palette, 6 RGBA.
    if (colourType == 0 || colourType == 4)
        r.colour = false;
    else if (colourType == 2 || colourType == 3 || colourType == 6)
        r.colour = true;
    else
        return headerError(path, r.format, QStringLiteral("colour type %1").arg(colourType));
    return r;
}

Result<RasterHeader> readJpeg(QIODevice &device, const QString &path)
{
    // Walk the marker segments up to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC).
    qint64 pos = 2;
    for (int segments = 0; segments < 10000; ++segments) {
        QByteArray m = readAt(device, pos, 2);
        if (m.isEmpty())
            break;
        if (static_cast<unsigned char>(m[0]) != 0xFF)
            return headerError(path, QStringLiteral("JPEG"), QStringLiteral("bad marker"));
        const int marker = static_cast<unsigned char>(m[1]);
        if (marker == 0xFF) { // fill byte
            pos += 1;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { // no length field
            pos += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) // end of image / start of scan before any frame
            break;
        const QByteArray lenBytes = readAt(device, pos + 2, 2);
        if (lenBytes.isEmpty())
            break;
        const int len = be16(lenBytes.constData());
        if (len < 2)
            return headerError(path, QStringLiteral("JPEG"), QStringLiteral("bad segment length"));
        const bool sof
            = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            const QByteArray f = readAt(device, pos + 4, 6);
            if (f.isEmpty())
                break;
            RasterHeader r;
            r.format = QStringLiteral("JPEG");
            const int precision = static_cast<unsigned char>(f[0]);
            const int ht = be16(f.constData() + 1);
            const int w = be16(f.constData() + 3);
            const int components = static_cast<unsigned char>(f[5]);
            if (ht == 0)
                return makeError(ErrorCode::Unsupported,
                    "JPEG with the height in a DNL marker is not supported", path.toStdString());
            if (Status s = checkImageSize(w, ht, path, QStringLiteral("JPEG")); !s)
                return s.error();
            r.width = w;
            r.height = ht;
            r.bitsPerSample = precision > 8 ? 16 : 8;
            r.colour = components >= 3;
            return r;
        }
        pos += 2 + len;
    }
    return headerError(path, QStringLiteral("JPEG"), QStringLiteral("no frame header (SOF)"));
}

Result<RasterHeader> readTiff(QIODevice &device, const QString &path)
{
    const QString fmt = QStringLiteral("TIFF");
    const QByteArray h = readAt(device, 0, 8);
    if (h.isEmpty())
        return headerError(path, fmt, QStringLiteral("too short"));
    const bool little = h.startsWith("II");
    auto u16 = [little](const char *p) {
        return little ? qFromLittleEndian<quint16>(p) : qFromBigEndian<quint16>(p);
    };
    auto u32 = [little](const char *p) {
        return little ? qFromLittleEndian<quint32>(p) : qFromBigEndian<quint32>(p);
    };
    const qint64 ifd = u32(h.constData() + 4);
    const QByteArray countBytes = readAt(device, ifd, 2);
    if (countBytes.isEmpty())
        return headerError(path, fmt, QStringLiteral("first IFD outside the file"));
    const int count = u16(countBytes.constData());
    const QByteArray entries = readAt(device, ifd + 2, qint64(count) * 12);
    if (entries.isEmpty())
        return headerError(path, fmt, QStringLiteral("truncated IFD"));

    qint64 width = -1, height = -1;
    int bits = 1, samples = 1, photometric = 1;
    for (int i = 0; i < count; ++i) {
        const char *e = entries.constData() + i * 12;
        const int tag = u16(e);
        const int type = u16(e + 2);
        const quint32 n = u32(e + 4);
        // SHORT (3) or LONG (4); the first value inline, or at the offset when it does not fit.
        auto first = [&]() -> qint64 {
            if (type == 3) {
                if (n <= 2)
                    return u16(e + 8);
                const QByteArray v = readAt(device, u32(e + 8), 2);
                return v.isEmpty() ? -1 : u16(v.constData());
            }
            if (type == 4) {
                if (n <= 1)
                    return u32(e + 8);
                const QByteArray v = readAt(device, u32(e + 8), 4);
                return v.isEmpty() ? -1 : qint64(u32(v.constData()));
            }
            return -1;
        };
        switch (tag) {
        case 256:
            width = first();
            break;
        case 257:
            height = first();
            break;
        case 258:
            bits = static_cast<int>(first());
            break;
        case 262:
            photometric = static_cast<int>(first());
            break;
        case 277:
            samples = static_cast<int>(first());
            break;
        default:
            break;
        }
    }
    if (width <= 0 || height <= 0)
        return headerError(path, fmt, QStringLiteral("no ImageWidth/ImageLength"));
    if (Status s = checkImageSize(width, height, path, fmt); !s)
        return s.error();
    RasterHeader r;
    r.format = fmt;
    r.width = static_cast<int>(width);
    r.height = static_cast<int>(height);
    r.bitsPerSample = bits > 8 ? 16 : 8;
    // Photometric 3 is a palette; 2 RGB, 5 CMYK and 6 YCbCr decode to colour as well.
    r.colour = samples >= 3 || photometric == 3;
    return r;
}

} // namespace

QString sniffRasterFormat(const QByteArray &head)
{
    if (head.startsWith("\x89PNG\r\n\x1a\n"))
        return QStringLiteral("PNG");
    if (head.startsWith("\xFF\xD8\xFF"))
        return QStringLiteral("JPEG");
    if (head.startsWith(QByteArray("II*\0", 4)) || head.startsWith(QByteArray("MM\0*", 4)))
        return QStringLiteral("TIFF");
    return {};
}

Status checkImageSize(qint64 width, qint64 height, const QString &path, const QString &what)
{
    if (width <= 0 || height <= 0)
        return makeError(ErrorCode::Parse,
            QStringLiteral("%1 declares an empty image (%2 x %3)")
                .arg(what)
                .arg(width)
                .arg(height)
                .toStdString(),
            path.toStdString());
    if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels)
        return makeError(ErrorCode::Unsupported,
            QStringLiteral("%1 declares %2 x %3 pixels, beyond the limit of %4 per side "
                           "and %5 megapixels; refusing to decode it")
                .arg(what)
                .arg(width)
                .arg(height)
                .arg(kMaxImageSide)
                .arg(kMaxImagePixels / 1000000)
                .toStdString(),
            path.toStdString());
    return {};
}

Result<RasterHeader> readRasterHeader(QIODevice &device, const QString &path)
{
    const QString format = sniffRasterFormat(readAt(device, 0, 8));
    if (format == QLatin1String("PNG"))
        return readPng(device, path);
    if (format == QLatin1String("JPEG"))
        return readJpeg(device, path);
    if (format == QLatin1String("TIFF"))
        return readTiff(device, path);
    return makeError(ErrorCode::Parse, "not a PNG, JPEG or TIFF image", path.toStdString());
}

} // namespace fmw::imaging

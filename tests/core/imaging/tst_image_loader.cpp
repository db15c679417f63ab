// Loading: DICOM stored values (signed, BitsStored masking, HighBit, byte order, frames),
// metadata and PHI tag names, PNG/JPEG/TIFF in 8 and 16 bits, and hostile files that must
// fail with an error naming them, never a crash or a giant allocation.

#include "imaging/image_loader.h"

#include "dicom_fixture.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using fmw::ErrorCode;
using fmw::Result;
using namespace fmw::imaging;
using fmwtest::DicomSpec;

Q_DECLARE_METATYPE(DicomSpec)

namespace {

bool sameMat(const cv::Mat &a, const cv::Mat &b)
{
    return a.size() == b.size() && a.type() == b.type()
        && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

std::vector<int> values(const cv::Mat &m)
{
    cv::Mat v;
    m.reshape(1, 1).convertTo(v, CV_32S);
    return std::vector<int>(v.begin<int>(), v.end<int>());
}

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xFFFFFFFFu;
    for (char ch : data) {
        crc ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &body)
{
    QByteArray chunk(4, '\0');
    qToBigEndian<quint32>(quint32(body.size()), chunk.data());
    chunk += type + body;
    QByteArray crc(4, '\0');
    qToBigEndian<quint32>(crc32(type + body), crc.data());
    return chunk + crc;
}

// A well-formed PNG header declaring width x height 8-bit gray, with a token IDAT.
QByteArray pngClaiming(quint32 width, quint32 height)
{
    QByteArray ihdr(13, '\0');
    qToBigEndian<quint32>(width, ihdr.data());
    qToBigEndian<quint32>(height, ihdr.data() + 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 0; // gray
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", ihdr)
        + pngChunk("IDAT", QByteArray::fromHex("789c6300000001000100")) + pngChunk("IEND", {});
}

bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QByteArray randomBytes(quint32 seed, int n)
{
    QRandomGenerator rng(seed);
    QByteArray bytes(n, '\0');
    for (char &c : bytes)
        c = static_cast<char>(rng.bounded(256));
    return bytes;
}

// Peak resident memory of this process (VmHWM), in MB.
double peakRssMB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return 0;
}

DicomSpec gray16(int rows, int cols, std::vector<quint16> words)
{
    DicomSpec s;
    s.rows = rows;
    s.cols = cols;
    s.words = std::move(words);
    return s;
}

} // namespace

class TestImageLoader : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    QString writeSpec(const QString &name, const DicomSpec &spec)
    {
        QString error;
        const QString p = path(name);
        if (!fmwtest::writeDicom(p, spec, &error))
            qFatal("cannot write test DICOM %s: %s", qPrintable(p), qPrintable(error));
        return p;
    }

    static void verifyFailsNaming(const Result<DecodedImage> &r, const QString &p)
    {
        QVERIFY2(!r.ok(), qPrintable(p + " decoded but must fail"));
        const QString message = QString::fromStdString(r.error().toString());
        QVERIFY(!r.error().message.empty());
        QVERIFY2(message.contains(QFileInfo(p).fileName()), qPrintable(message));
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void storedValues_data()
    {
        QTest::addColumn<DicomSpec>("spec");
        QTest::addColumn<int>("type");
        QTest::addColumn<std::vector<int>>("expected");

        DicomSpec s = gray16(1, 4, {0x8000, 0xFFFF, 0x0000, 0x7FFF});
        s.isSigned = true;
        QTest::newRow("signed 16 of 16") << s << CV_16SC1 << std::vector<int> {-32768, -1, 0, 32767};

        // 12 stored bits, two's complement in bits 0..11; bits 12..15 hold junk to be ignored.
        s = gray16(1, 4, {0x0FFF, 0x0800, 0xA7FF, 0xF005});
        s.bitsStored = 12;
        s.highBit = 11;
        s.isSigned = true;
        QTest::newRow("signed 12 of 16, junk above")
            << s << CV_16SC1 << std::vector<int> {-1, -2048, 2047, 5};

        s.isSigned = false;
        QTest::newRow("unsigned 12 of 16, junk above")
            << s << CV_16UC1 << std::vector<int> {4095, 2048, 2047, 5};

        // HighBit 15: the 12 stored bits are the top ones.
        s = gray16(1, 3, {0x1230, 0xFFF7, 0x000F});
        s.bitsStored = 12;
        s.highBit = 15;
        QTest::newRow("unsigned 12 of 16, high bit 15")
            << s << CV_16UC1 << std::vector<int> {0x123, 0xFFF, 0};

        s = DicomSpec();
        s.rows = 1;
        s.cols = 4;
        s.bitsAllocated = 8;
        s.bitsStored = 8;
        s.highBit = 7;
        s.isSigned = true;
        s.bytes = {0x80, 0xFF, 0x00, 0x7F};
        QTest::newRow("signed 8") << s << CV_16SC1 << std::vector<int> {-128, -1, 0, 127};

        s.isSigned = false;
        s.bitsStored = 6;
        s.highBit = 5;
        s.bytes = {0xFF, 0x40, 0x3F, 0xC1};
        QTest::newRow("unsigned 6 of 8") << s << CV_8UC1 << std::vector<int> {63, 0, 63, 1};

        s = gray16(1, 3, {1, 300, 65535});
        s.bigEndian = true;
        QTest::newRow("big endian 16") << s << CV_16UC1 << std::vector<int> {1, 300, 65535};
    }

    void storedValues()
    {
        QFETCH(DicomSpec, spec);
        QFETCH(int, type);
        QFETCH(std::vector<int>, expected);
        const QString p = writeSpec(QStringLiteral("stored.dcm"), spec);
        Result<DecodedImage> image = loadImage(p);
        QVERIFY2(image.ok(), image.ok() ? "" : image.error().toString().c_str());
        QCOMPARE(image->pixels.type(), type);
        QCOMPARE(values(image->pixels), expected);
        QCOMPARE(image->meta.bitsStored, spec.bitsStored);
        QCOMPARE(image->meta.bitsAllocated, spec.bitsAllocated);
        QCOMPARE(image->meta.isSigned, spec.isSigned);
    }

    void bigEndianEqualsLittleEndian()
    {
        std::vector<quint16> words(64 * 48);
        for (size_t i = 0; i < words.size(); ++i)
            words[i] = static_cast<quint16>(i * 37);
        DicomSpec s = gray16(48, 64, words);
        const QString le = writeSpec(QStringLiteral("le.dcm"), s);
        s.bigEndian = true;
        const QString be = writeSpec(QStringLiteral("be.dcm"), s);
        Result<DecodedImage> a = loadImage(le);
        Result<DecodedImage> b = loadImage(be);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(b->meta.transferSyntax, QStringLiteral("1.2.840.10008.1.2.2"));
        QVERIFY(sameMat(a->pixels, b->pixels));
    }

    void multiFrameShowsFirstFrame()
    {
        DicomSpec s;
        s.rows = 2;
        s.cols = 2;
        s.bitsAllocated = 8;
        s.bitsStored = 8;
        s.highBit = 7;
        s.frames = 3;
        s.bytes = {1, 2, 3, 4, 10, 20, 30, 40, 100, 101, 102, 103};
        const QString p = writeSpec(QStringLiteral("frames.dcm"), s);
        Result<DecodedImage> image = loadImage(p);
        QVERIFY(image.ok());
        QCOMPARE(image->meta.frames, 3);
        QCOMPARE(values(image->pixels), (std::vector<int> {1, 2, 3, 4}));
        Result<ImageMetadata> meta = readMetadata(p);
        QVERIFY(meta.ok());
        QCOMPARE(meta->frames, 3);

        // Two frames' worth of data for three declared frames: truncated.
        s.bytes.resize(8);
        const QString shortFile = writeSpec(QStringLiteral("frames-short.dcm"), s);
        Result<DecodedImage> bad = loadImage(shortFile);
        verifyFailsNaming(bad, shortFile);
        QVERIFY(QString::fromStdString(bad.error().message).contains(QLatin1String("truncated")));
    }

    void metadataSummary()
    {
        DicomSpec s = gray16(2, 3, {0, 1, 2, 3, 4, 5});
        s.slope = 2.5;
        s.intercept = -1024;
        s.windowCenter = QStringLiteral("40\\300");
        s.windowWidth = QStringLiteral("400\\1500");
        s.modality = QStringLiteral("CR");
        s.viewPosition = QStringLiteral("AP");
        s.photometric = QStringLiteral("MONOCHROME1");
        const QString p = writeSpec(QStringLiteral("meta.dcm"), s);
        Result<ImageMetadata> meta = readMetadata(p);
        QVERIFY2(meta.ok(), meta.ok() ? "" : meta.error().toString().c_str());
        QVERIFY(meta->isDicom);
        QCOMPARE(meta->format, QStringLiteral("DICOM"));
        QCOMPARE(meta->width, 3);
        QCOMPARE(meta->height, 2);
        QCOMPARE(meta->frames, 1);
        QCOMPARE(meta->samplesPerPixel, 1);
        QCOMPARE(meta->rescaleSlope, 2.5);
        QCOMPARE(meta->rescaleIntercept, -1024.0);
        QVERIFY(meta->window.has_value());
        QCOMPARE(meta->window->center, 40.0); // the first of several
        QCOMPARE(meta->window->width, 400.0);
        QCOMPARE(meta->modality, QStringLiteral("CR"));
        QCOMPARE(meta->viewPosition, QStringLiteral("AP"));
        QCOMPARE(meta->photometric, QStringLiteral("MONOCHROME1"));
        QCOMPARE(meta->transferSyntax, QStringLiteral("1.2.840.10008.1.2.1"));
        QVERIFY(!meta->transferSyntaxName.isEmpty());
        QVERIFY(meta->phiTags.isEmpty());
        QVERIFY(!meta->hasVoiLut);
    }

    void voiLutSequenceIsRead()
    {
        DicomSpec s = gray16(1, 2, {0, 4095});
        s.bitsStored = 12;
        s.highBit = 11;
        s.voiLut.resize(4096);
        for (int i = 0; i < 4096; ++i)
            s.voiLut[size_t(i)] = static_cast<quint16>(4095 - i);
        s.voiLutFirst = 0;
        s.voiLutBits = 12;
        Result<DecodedImage> image = loadImage(writeSpec(QStringLiteral("lut.dcm"), s));
        QVERIFY(image.ok());
        QVERIFY(image->meta.hasVoiLut);
        QCOMPARE(image->voiLut.size(), size_t(4096));
        QCOMPARE(image->voiLut.front(), quint16(4095));
        QCOMPARE(image->voiLut.back(), quint16(0));
        QCOMPARE(image->voiLutFirstMapped, 0);
        QCOMPARE(image->voiLutBits, 12);
    }

    // Names of PHI attributes are reported; their values appear nowhere in the metadata.
    void phiTagsAreNamedNotKept()
    {
        DicomSpec s = gray16(1, 2, {0, 1});
        s.patientName = QStringLiteral("Zzyzx^Fakename");
        s.patientId = QStringLiteral("FAKE-PHI-4711");
        s.institution = QStringLiteral("Nowhere General Fake Hospital");
        Result<ImageMetadata> meta = readMetadata(writeSpec(QStringLiteral("phi.dcm"), s));
        QVERIFY(meta.ok());
        QVERIFY(meta->phiTags.contains(QStringLiteral("PatientName")));
        QVERIFY(meta->phiTags.contains(QStringLiteral("PatientID")));
        QVERIFY(meta->phiTags.contains(QStringLiteral("InstitutionName")));
        const QString everything
            = QStringList {meta->format, meta->photometric, meta->modality, meta->viewPosition,
                meta->transferSyntax, meta->transferSyntaxName, meta->phiTags.join(QLatin1Char(' '))}
                  .join(QLatin1Char('|'));
        for (const char *value : {"Zzyzx", "Fakename", "FAKE-PHI-4711", "Nowhere"})
            QVERIFY2(!everything.contains(QLatin1String(value)), value);
    }

    void unsupportedPhotometricIsNamed()
    {
        DicomSpec s = gray16(1, 2, {0, 1});
        s.photometric = QStringLiteral("PALETTE COLOR");
        const QString p = writeSpec(QStringLiteral("palette.dcm"), s);
        Result<DecodedImage> image = loadImage(p);
        verifyFailsNaming(image, p);
        QCOMPARE(image.error().code, ErrorCode::Unsupported);
        QVERIFY(QString::fromStdString(image.error().message).contains(QLatin1String("PALETTE COLOR")));
    }

    void hostileFilesFail_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes"); // empty: built by the test from a DICOM spec

        QTest::newRow("zero bytes") << QStringLiteral("empty.dcm") << QByteArray();
        QTest::newRow("random bytes") << QStringLiteral("random.dcm") << randomBytes(1, 4096);
        QTest::newRow("random bytes, small") << QStringLiteral("random2.bin") << randomBytes(2, 37);
        QTest::newRow("random after DICM preamble")
            << QStringLiteral("preamble.dcm") << QByteArray(128, '\0') + "DICM" + randomBytes(3, 2048);
        QTest::newRow("text") << QStringLiteral("notes.png") << QByteArray("just some text\n");
        QTest::newRow("png claiming 60000x60000") << QStringLiteral("huge.png") << pngClaiming(60000, 60000);
        QTest::newRow("png claiming 25000x25000") << QStringLiteral("huge2.png") << pngClaiming(25000, 25000);
        QTest::newRow("png with corrupt data") << QStringLiteral("corrupt.png") << pngClaiming(64, 64);
        QTest::newRow("jpeg without frame") << QStringLiteral("bad.jpg") << QByteArray("\xFF\xD8\xFF\xD9", 4);
        QTest::newRow("tiff without IFD")
            << QStringLiteral("bad.tif") << QByteArray("II*\0\xFF\xFF\xFF\x7F", 8);
    }

    void hostileFilesFail()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        const QString p = path(name);
        QVERIFY(writeBytes(p, bytes));
        verifyFailsNaming(loadImage(p), p);
    }

    void hostileDicomFails_data()
    {
        QTest::addColumn<DicomSpec>("spec");
        QTest::addColumn<QString>("reason");
        // Within the size limits, so only the pixel-length check stands between this header
        // and an 800 MB allocation.
        DicomSpec s = gray16(20000, 20000, {1, 2, 3, 4, 5, 6, 7, 8});
        QTest::newRow("20000x20000 with 16 bytes") << s << QStringLiteral("truncated");
        s = gray16(65535, 65535, {1, 2});
        QTest::newRow("65535x65535") << s << QStringLiteral("limit");
        s = gray16(2, 2, {1, 2, 3, 4});
        s.frames = 100000;
        QTest::newRow("100000 frames of 4 pixels") << s << QStringLiteral("truncated");
        s = gray16(2, 2, {1, 2, 3, 4});
        s.bitsAllocated = 12;
        QTest::newRow("12 bits allocated") << s << QStringLiteral("BitsAllocated");
        s = gray16(2, 2, {1, 2, 3, 4});
        s.bitsStored = 17;
        QTest::newRow("bits stored above allocated") << s << QStringLiteral("BitsStored");
        s = gray16(0, 2, {1, 2});
        QTest::newRow("zero rows") << s << QStringLiteral("empty");
    }

    void hostileDicomFails()
    {
        QFETCH(DicomSpec, spec);
        QFETCH(QString, reason);
        const QString p = writeSpec(QStringLiteral("hostile.dcm"), spec);
        Result<DecodedImage> image = loadImage(p);
        verifyFailsNaming(image, p);
        QVERIFY2(
            QString::fromStdString(image.error().message).contains(reason), image.error().message.c_str());
        QVERIFY(!readMetadata(p).ok());
    }

    // Compressed data cannot be checked against the dimensions before decoding: the decoder
    // must fail on the short stream, and the frame buffer it was given must stay untouched.
    void hostileCompressedFails_data()
    {
        QTest::addColumn<int>("side");
        QTest::newRow("20000x20000 from a 68-byte RLE stream") << 20000;
        QTest::newRow("4x4 from a 68-byte RLE stream") << 4;
    }

    void hostileCompressedFails()
    {
        QFETCH(int, side);
        // RLE header: 2 segments (low and high bytes of 16-bit samples) at offsets 64 and 66,
        // each one literal byte, far fewer than side x side.
        std::vector<quint8> fragment(68, 0);
        fragment[0] = 2;
        fragment[4] = 64;
        fragment[8] = 66;
        fragment[64] = 0;
        fragment[65] = 5;
        fragment[66] = 0;
        fragment[67] = 7;
        DicomSpec s = gray16(side, side, {});
        s.rleFragment = fragment;
        const QString p = writeSpec(QStringLiteral("hostile-rle.dcm"), s);
        const double peakBefore = peakRssMB();
        Result<DecodedImage> image = loadImage(p);
        const double peakAfter = peakRssMB();
        verifyFailsNaming(image, p);
#if !defined(__SANITIZE_ADDRESS__)
        QVERIFY2(peakAfter - peakBefore < 100,
            qPrintable(QStringLiteral("peak RSS grew by %1 MB").arg(peakAfter - peakBefore)));
#else
        Q_UNUSED(peakBefore);
        Q_UNUSED(peakAfter);
#endif
    }

    void truncatedDicomFails()
    {
        std::vector<quint16> words(128 * 128, 1000);
        const QString full = writeSpec(QStringLiteral("whole.dcm"), gray16(128, 128, words));
        QFile in(full);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray bytes = in.readAll();
        const QString cut = path(QStringLiteral("cut.dcm"));
        QVERIFY(writeBytes(cut, bytes.left(bytes.size() - 5000)));
        verifyFailsNaming(loadImage(cut), cut);
    }

    void missingAndFolder()
    {
        const QString missing = path(QStringLiteral("nope.png"));
        Result<DecodedImage> a = loadImage(missing);
        verifyFailsNaming(a, missing);
        QCOMPARE(a.error().code, ErrorCode::Io);
        QVERIFY(!loadImage(m_dir.path()).ok());
    }

    void rasterFormats_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("cvType"); // what is written (OpenCV, BGR order)
        QTest::addColumn<int>("storedType"); // what loadImage must return (RGB order)
        QTest::addColumn<bool>("lossless");
        QTest::newRow("png gray 8") << "g8.png" << CV_8UC1 << CV_8UC1 << true;
        QTest::newRow("png gray 16") << "g16.png" << CV_16UC1 << CV_16UC1 << true;
        QTest::newRow("png rgb 8") << "c8.png" << CV_8UC3 << CV_8UC3 << true;
        QTest::newRow("png rgb 16") << "c16.png" << CV_16UC3 << CV_16UC3 << true;
        QTest::newRow("png rgba 8, alpha dropped") << "a8.png" << CV_8UC4 << CV_8UC3 << true;
        QTest::newRow("tiff gray 8") << "g8.tif" << CV_8UC1 << CV_8UC1 << true;
        QTest::newRow("tiff gray 16") << "g16.tif" << CV_16UC1 << CV_16UC1 << true;
        QTest::newRow("tiff rgb 8") << "c8.tif" << CV_8UC3 << CV_8UC3 << true;
        QTest::newRow("tiff rgb 16") << "c16.tif" << CV_16UC3 << CV_16UC3 << true;
        QTest::newRow("jpeg gray") << "g8.jpg" << CV_8UC1 << CV_8UC1 << false;
        QTest::newRow("jpeg rgb") << "c8.jpg" << CV_8UC3 << CV_8UC3 << false;
    }

    void rasterFormats()
    {
        QFETCH(QString, name);
        QFETCH(int, cvType);
        QFETCH(int, storedType);
        QFETCH(bool, lossless);
        // A smooth gradient (JPEG keeps it within a few levels) with distinct channels.
        const int w = 96, h = 64;
        cv::Mat written(h, w, cvType);
        const int channels = CV_MAT_CN(cvType);
        const double top = CV_MAT_DEPTH(cvType) == CV_16U ? 65535.0 : 255.0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < channels; ++c) {
                    // BGR(A) order: blue ramps along x, green along y, red constant high.
                    const double f = c == 0 ? x / double(w - 1)
                        : c == 1            ? y / double(h - 1)
                        : c == 2            ? 0.9
                                            : 0.5;
                    const double v = std::round(f * top * 0.8 + top * 0.1);
                    if (CV_MAT_DEPTH(cvType) == CV_16U)
                        written.ptr<quint16>(y)[x * channels + c] = static_cast<quint16>(v);
                    else
                        written.ptr<quint8>(y)[x * channels + c] = static_cast<quint8>(v);
                }
        const QString p = path(name);
        QVERIFY(cv::imwrite(p.toStdString(), written));

        Result<ImageMetadata> meta = readMetadata(p);
        QVERIFY2(meta.ok(), meta.ok() ? "" : meta.error().toString().c_str());
        QCOMPARE(meta->width, w);
        QCOMPARE(meta->height, h);
        QCOMPARE(meta->samplesPerPixel, CV_MAT_CN(storedType));
        QCOMPARE(meta->bitsStored, CV_MAT_DEPTH(storedType) == CV_16U ? 16 : 8);
        QVERIFY(!meta->isDicom);

        Result<DecodedImage> image = loadImage(p);
        QVERIFY2(image.ok(), image.ok() ? "" : image.error().toString().c_str());
        QCOMPARE(image->pixels.type(), storedType);
        QCOMPARE(image->meta.photometric,
            CV_MAT_CN(storedType) == 3 ? QStringLiteral("RGB") : QStringLiteral("MONOCHROME2"));
        QCOMPARE(image->meta.samplesPerPixel, meta->samplesPerPixel);
        QCOMPARE(image->meta.bitsStored, meta->bitsStored);

        // Expected stored pixels: RGB order, no alpha.
        cv::Mat expected;
        if (channels == 4)
            cv::cvtColor(written, expected, cv::COLOR_BGRA2RGB);
        else if (channels == 3)
            cv::cvtColor(written, expected, cv::COLOR_BGR2RGB);
        else
            expected = written;
        if (lossless) {
            QVERIFY(sameMat(image->pixels, expected));
        } else {
            cv::Mat diff;
            cv::absdiff(image->pixels, expected, diff);
            const cv::Scalar m = cv::mean(diff);
            QVERIFY2(m[0] < 3 && m[1] < 3 && m[2] < 3, "JPEG strays from the original");
        }
        if (channels >= 3 && image->pixels.depth() == CV_8U) {
            // Red, written last in BGR, is the constant high channel and must come first.
            const cv::Vec3b px = image->pixels.at<cv::Vec3b>(0, 0);
            QVERIFY2(px[0] > 200 && px[2] < 60, "channels not in RGB order");
        }
    }

    // A big-endian TIFF header declaring 100000 x 100000 is refused from the header alone.
    void tiffHeaderSizeLimit()
    {
        const QString p = path(QStringLiteral("big.tif"));
        QByteArray tiff("MM\0*\0\0\0\x08", 8);
        QByteArray ifd(2 + 2 * 12 + 4, '\0');
        qToBigEndian<quint16>(2, ifd.data());
        auto entry = [&](int i, quint16 tag, quint32 value) {
            char *e = ifd.data() + 2 + i * 12;
            qToBigEndian<quint16>(tag, e);
            qToBigEndian<quint16>(4, e + 2); // LONG
            qToBigEndian<quint32>(1, e + 4);
            qToBigEndian<quint32>(value, e + 8);
        };
        entry(0, 256, 100000);
        entry(1, 257, 100000);
        QVERIFY(writeBytes(p, tiff + ifd));
        Result<ImageMetadata> meta = readMetadata(p);
        QVERIFY(!meta.ok());
        QVERIFY2(QString::fromStdString(meta.error().message).contains(QLatin1String("100000")),
            meta.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestImageLoader)
#include "tst_image_loader.moc"

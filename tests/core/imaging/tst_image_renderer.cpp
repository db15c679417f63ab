// The display pipeline against values computed by hand (PS3.3 C.11.2.1.2.1 linear window),
// MONOCHROME1 and user inversion, the VOI LUT, pixel readout, thumbnails from many threads,
// and PNG export: the rendered pixels exactly, 16-bit modality values, and no PHI.

#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"

#include "dicom_fixture.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent>
#include <QtEndian>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using fmw::ErrorCode;
using fmw::Result;
using namespace fmw::imaging;
using fmwtest::DicomSpec;

namespace {

std::vector<int> row0(const QImage &image)
{
    std::vector<int> out;
    for (int x = 0; x < image.width(); ++x)
        out.push_back(image.constScanLine(0)[x]);
    return out;
}

DicomSpec gray16(int rows, int cols, std::vector<quint16> words)
{
    DicomSpec s;
    s.rows = rows;
    s.cols = cols;
    s.words = std::move(words);
    return s;
}

// The chunk types of a PNG file, in order.
QStringList pngChunks(const QByteArray &png)
{
    QStringList types;
    int pos = 8;
    while (pos + 8 <= png.size()) {
        const quint32 len = qFromBigEndian<quint32>(png.constData() + pos);
        types << QString::fromLatin1(png.mid(pos + 4, 4));
        pos += 12 + int(len);
    }
    return types;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestImageRenderer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeSpec(const QString &name, const DicomSpec &spec)
    {
        QString error;
        const QString p = m_dir.filePath(name);
        if (!fmwtest::writeDicom(p, spec, &error))
            qFatal("cannot write test DICOM %s: %s", qPrintable(p), qPrintable(error));
        return p;
    }

    DecodedImage load(const QString &name, const DicomSpec &spec)
    {
        Result<DecodedImage> image = loadImage(writeSpec(name, spec));
        if (!image)
            qFatal("%s", image.error().toString().c_str());
        return std::move(image.value());
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Window (c, w): lower = c - 0.5 - (w-1)/2, upper = c - 0.5 + (w-1)/2,
    // y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, rounded half up.
    void windowByHand_data()
    {
        QTest::addColumn<double>("center");
        QTest::addColumn<double>("width");
        QTest::addColumn<std::vector<int>>("expected");
        // Stored = modality: 0, 750, 875, 1000, 1249, 1250.
        // (1000, 500): lower 750, upper 1249; 875 -> 63.88 -> 64; 1000 -> 127.76 -> 128;
        // 1249 -> 255.
        QTest::newRow("1000/500") << 1000.0 << 500.0 << std::vector<int> {0, 0, 64, 128, 255, 255};
        // (500, 1001): lower -0.5, upper 999.5; 0 -> 0.13 -> 0; 750 -> 191.38 -> 191;
        // 875 -> 223.25 -> 223; 1000 -> 255.
        QTest::newRow("500/1001") << 500.0 << 1001.0 << std::vector<int> {0, 191, 223, 255, 255, 255};
        // (876, 4): lower 874, upper 877; 875 -> ((875 - 875.5) / 3 + 0.5) * 255 = 85.
        QTest::newRow("876/4") << 876.0 << 4.0 << std::vector<int> {0, 0, 85, 255, 255, 255};
        // Width 1: a threshold at c - 0.5 = 874.5.
        QTest::newRow("875/1") << 875.0 << 1.0 << std::vector<int> {0, 0, 255, 255, 255, 255};
    }

    void windowByHand()
    {
        QFETCH(double, center);
        QFETCH(double, width);
        QFETCH(std::vector<int>, expected);
        DicomSpec spec = gray16(1, 6, {0, 750, 875, 1000, 1249, 1250});
        spec.windowCenter = QStringLiteral("1000");
        spec.windowWidth = QStringLiteral("500");
        const DecodedImage image = load(QStringLiteral("window.dcm"), spec);

        DisplaySettings user;
        user.window = Window {center, width};
        const QImage shown = render(image, user);
        QCOMPARE(shown.format(), QImage::Format_Grayscale8);
        QCOMPARE(row0(shown), expected);
        // Without an override the file's window (1000/500) applies.
        QCOMPARE(row0(render(image)), (std::vector<int> {0, 0, 64, 128, 255, 255}));
        QCOMPARE(defaultWindow(image), (Window {1000, 500}));
    }

    // Rescale first: stored 500, 875, 937, 1000, 1125 with slope 2, intercept -1000 are the
    // modality values 0, 750, 874, 1000, 1250; window 1000/500 then gives 0, 0, 63 (63.37),
    // 128, 255.
    void rescaleBeforeWindow()
    {
        DicomSpec spec = gray16(1, 5, {500, 875, 937, 1000, 1125});
        spec.slope = 2;
        spec.intercept = -1000;
        spec.windowCenter = QStringLiteral("1000");
        spec.windowWidth = QStringLiteral("500");
        const DecodedImage image = load(QStringLiteral("rescale.dcm"), spec);
        QCOMPARE(row0(render(image)), (std::vector<int> {0, 0, 63, 128, 255}));
        double stored = 0, modality = 0;
        QVERIFY(pixelValue(image, 2, 0, &stored, &modality));
        QCOMPARE(stored, 937.0);
        QCOMPARE(modality, 874.0);
    }

    // No window in the file: min..max of the modality values spans 0..255.
    void defaultWindowIsMinMax()
    {
        DicomSpec spec = gray16(1, 4, {100, 210, 300, 1100});
        spec.slope = 0.5;
        const DecodedImage image = load(QStringLiteral("minmax.dcm"), spec);
        const Window w = defaultWindow(image);
        QCOMPARE(w.center, (50.0 + 550.0) / 2 + 0.5);
        QCOMPARE(w.width, 550.0 - 50.0 + 1);
        // Modality 50 -> 0; 105 -> ((105 - 300) / 500 + 0.5) * 255 = 28.05 -> 28;
        // 150 -> 51; 550 -> 255.
        QCOMPARE(row0(render(image)), (std::vector<int> {0, 28, 51, 255}));
    }

    void monochrome1IsInverted()
    {
        DicomSpec spec = gray16(3, 4, {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100});
        spec.windowCenter = QStringLiteral("600");
        spec.windowWidth = QStringLiteral("800");
        const DecodedImage mono2 = load(QStringLiteral("m2.dcm"), spec);
        spec.photometric = QStringLiteral("MONOCHROME1");
        const DecodedImage mono1 = load(QStringLiteral("m1.dcm"), spec);
        const QImage a = render(mono2);
        const QImage b = render(mono1);
        QVERIFY(a != b);
        for (int y = 0; y < a.height(); ++y)
            for (int x = 0; x < a.width(); ++x)
                QCOMPARE(int(b.constScanLine(y)[x]), 255 - int(a.constScanLine(y)[x]));
        // The user's invert sits on top: MONOCHROME1 inverted again looks like MONOCHROME2.
        DisplaySettings invert;
        invert.invert = true;
        QCOMPARE(render(mono1, invert), a);
        QCOMPARE(render(mono2, invert), b);
        // Stored values are untouched by the presentation.
        double stored = 0;
        QVERIFY(pixelValue(mono1, 1, 0, &stored, nullptr));
        QCOMPARE(stored, 100.0);
    }

    // VOI LUT 4096 entries, LUT[i] = 4095 - i, 12 bits: display = round((4095 - x) * 255 / 4095).
    // Values below the first mapped entry take the first entry, above the last the last.
    void voiLutApplies()
    {
        DicomSpec spec = gray16(1, 5, {0, 1000, 2048, 4095, 5000});
        spec.bitsStored = 13;
        spec.highBit = 12;
        spec.voiLut.resize(4096);
        for (int i = 0; i < 4096; ++i)
            spec.voiLut[size_t(i)] = static_cast<quint16>(4095 - i);
        spec.voiLutBits = 12;
        spec.windowCenter = QStringLiteral("100");
        spec.windowWidth = QStringLiteral("10");
        const DecodedImage image = load(QStringLiteral("voilut.dcm"), spec);
        QVERIFY(image.meta.hasVoiLut);
        // 1000 -> 3095 * 255 / 4095 = 192.73 -> 193; 2048 -> 2047 -> 127.47 -> 127.
        QCOMPARE(row0(render(image)), (std::vector<int> {255, 193, 127, 0, 0}));
        // A user window replaces the LUT: (2048, 4096) -> ((x - 2047.5) / 4095 + 0.5) * 255.
        DisplaySettings user;
        user.window = Window {2048, 4096};
        QCOMPARE(row0(render(image, user)), (std::vector<int> {0, 62, 128, 255, 255}));
    }

    void signedAndThirtyTwoBit()
    {
        DicomSpec spec = gray16(1, 3, {0xFC18, 0x0000, 0x03E8}); // -1000, 0, 1000
        spec.isSigned = true;
        spec.windowCenter = QStringLiteral("0");
        spec.windowWidth = QStringLiteral("2001");
        const DecodedImage image = load(QStringLiteral("signed.dcm"), spec);
        QCOMPARE(image.pixels.type(), CV_16SC1);
        // lower = -0.5 - 1000 = -1000.5, so -1000 -> ((-999.5) / 2000 + 0.5) * 255 = 0.06 -> 0;
        // 0 -> 127.56 -> 128; 1000 -> 255.06 -> 255.
        QCOMPARE(row0(render(image)), (std::vector<int> {0, 128, 255}));
        double stored = 0, modality = 0;
        QVERIFY(pixelValue(image, 0, 0, &stored, &modality));
        QCOMPARE(stored, -1000.0);
        QCOMPARE(modality, -1000.0);
        QVERIFY(!pixelValue(image, 3, 0, &stored, &modality));
        QVERIFY(!pixelValue(image, 0, -1, &stored, &modality));

        // 32-bit stored values render through the same pipeline.
        DecodedImage wide = image;
        image.pixels.convertTo(wide.pixels, CV_32S, 1000);
        wide.meta.window = Window {0, 2000001};
        QCOMPARE(row0(render(wide)), (std::vector<int> {0, 128, 255}));
    }

    void rasterImagesShowAsStored()
    {
        cv::Mat gray(2, 3, CV_8UC1);
        for (int i = 0; i < 6; ++i)
            gray.data[i] = static_cast<uchar>(i * 50);
        const QString p = m_dir.filePath(QStringLiteral("gray.png"));
        QVERIFY(cv::imwrite(p.toStdString(), gray));
        Result<DecodedImage> image = loadImage(p);
        QVERIFY(image.ok());
        const QImage shown = render(*image);
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x)
                QCOMPARE(int(shown.constScanLine(y)[x]), int(gray.at<uchar>(y, x)));

        cv::Mat bgr(1, 2, CV_8UC3, cv::Scalar(10, 20, 30));
        const QString c = m_dir.filePath(QStringLiteral("colour.png"));
        QVERIFY(cv::imwrite(c.toStdString(), bgr));
        Result<DecodedImage> colour = loadImage(c);
        QVERIFY(colour.ok());
        const QImage rgb = render(*colour);
        QCOMPARE(rgb.format(), QImage::Format_RGB888);
        QCOMPARE(rgb.pixel(1, 0), qRgb(30, 20, 10));
        double luma = 0;
        QVERIFY(pixelValue(*colour, 0, 0, &luma, nullptr));
        QCOMPARE(luma, 0.299 * 30 + 0.587 * 20 + 0.114 * 10);

        // 16-bit gray without a window: min..max.
        cv::Mat deep(1, 3, CV_16UC1);
        deep.at<quint16>(0, 0) = 1000;
        deep.at<quint16>(0, 1) = 2000;
        deep.at<quint16>(0, 2) = 3000;
        const QString d = m_dir.filePath(QStringLiteral("deep.png"));
        QVERIFY(cv::imwrite(d.toStdString(), deep));
        Result<DecodedImage> sixteen = loadImage(d);
        QVERIFY(sixteen.ok());
        // Window (2000.5, 2001): 2000 -> ((2000 - 2000) / 2000 + 0.5) * 255 = 127.5 -> 128.
        QCOMPARE(row0(render(*sixteen)), (std::vector<int> {0, 128, 255}));
    }

    void thumbnails()
    {
        std::vector<quint16> words(300 * 200);
        for (size_t i = 0; i < words.size(); ++i)
            words[i] = static_cast<quint16>(i % 4096);
        const QString p = writeSpec(QStringLiteral("thumb.dcm"), gray16(200, 300, words));
        Result<QImage> thumb = loadThumbnail(p, 64);
        QVERIFY(thumb.ok());
        QCOMPARE(thumb->size(), QSize(64, 43));
        Result<QImage> same = loadThumbnail(p, 1000); // never enlarged
        QVERIFY(same.ok());
        QCOMPARE(same->size(), QSize(300, 200));
        QCOMPARE(*same, render(*loadImage(p)));
        QCOMPARE(loadThumbnail(p, 0).error().code, ErrorCode::InvalidArgument);
        QVERIFY(!loadThumbnail(m_dir.filePath(QStringLiteral("missing.dcm")), 64).ok());
    }

    // Thumbnails are made on worker threads: many at once give what one thread gives.
    void thumbnailsFromManyThreads()
    {
        const QString corpus = QStringLiteral("/usr/lib/python3/dist-packages/pydicom/data/test_files/");
        QStringList files;
        for (const char *f : {"MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "JPGExtended.dcm", "SC_rgb_jpeg_dcmtk.dcm", "CT_small.dcm", "rtdose.dcm", "image_dfl.dcm",
                 "MR_small_bigendian.dcm", "JPEG2000.dcm"})
            files << corpus + QString::fromLatin1(f);
        QVERIFY(QFileInfo::exists(files.first()));
        std::vector<QImage> serial;
        for (const QString &f : files) {
            Result<QImage> t = loadThumbnail(f, 48);
            serial.push_back(t ? *t : QImage());
        }
        QStringList many;
        for (int i = 0; i < 12; ++i)
            many += files;
        QThreadPool pool;
        pool.setMaxThreadCount(8);
        const QList<QImage> parallel = QtConcurrent::blockingMapped(&pool, many, [](const QString &f) {
            Result<QImage> t = loadThumbnail(f, 48);
            return t ? *t : QImage();
        });
        QCOMPARE(parallel.size(), many.size());
        for (int i = 0; i < parallel.size(); ++i)
            QCOMPARE(parallel[i], serial[size_t(i % files.size())]);
        QVERIFY(serial.back().isNull()); // JPEG 2000 fails in every thread alike
        QVERIFY(!serial.front().isNull());
    }

    void exportEightBitIsTheRender()
    {
        DicomSpec spec = gray16(3, 4, {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100});
        spec.photometric = QStringLiteral("MONOCHROME1");
        spec.windowCenter = QStringLiteral("500");
        spec.windowWidth = QStringLiteral("700");
        const DecodedImage image = load(QStringLiteral("export.dcm"), spec);
        DisplaySettings user;
        user.window = Window {400, 600};
        const QString out = m_dir.filePath(QStringLiteral("export8.png"));
        QVERIFY(exportPng(image, out, false, user).ok());
        Result<DecodedImage> back = loadImage(out);
        QVERIFY(back.ok());
        QCOMPARE(back->pixels.type(), CV_8UC1);
        QCOMPARE(render(*back), render(image, user));
    }

    // 16-bit: modality values shifted to start at 0 when negative; MONOCHROME1 flipped so the
    // PNG reads as MONOCHROME2.
    void exportSixteenBit()
    {
        DicomSpec spec = gray16(1, 3, {0xFC18, 0x0000, 0x03E8}); // -1000, 0, 1000
        spec.isSigned = true;
        spec.slope = 2;
        spec.intercept = 24; // modality -1976, 24, 2024
        const DecodedImage image = load(QStringLiteral("export16.dcm"), spec);
        const QString out = m_dir.filePath(QStringLiteral("export16.png"));
        QVERIFY(exportPng(image, out, true).ok());
        const cv::Mat back = cv::imread(out.toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(back.type(), CV_16UC1);
        QCOMPARE(int(back.at<quint16>(0, 0)), 0);
        QCOMPARE(int(back.at<quint16>(0, 1)), 2000);
        QCOMPARE(int(back.at<quint16>(0, 2)), 4000);

        spec.photometric = QStringLiteral("MONOCHROME1");
        const DecodedImage mono1 = load(QStringLiteral("export16m1.dcm"), spec);
        QVERIFY(exportPng(mono1, out, true).ok());
        const cv::Mat flipped = cv::imread(out.toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(int(flipped.at<quint16>(0, 0)), 4000);
        QCOMPARE(int(flipped.at<quint16>(0, 1)), 2000);
        QCOMPARE(int(flipped.at<quint16>(0, 2)), 0);
    }

    // The exported PNG has no trace of the patient: only image chunks, no name, no ID.
    void exportCarriesNoPhi()
    {
        DicomSpec spec = gray16(8, 8, std::vector<quint16>(64, 700));
        spec.patientName = QStringLiteral("Zzyzx^Fakename");
        spec.patientId = QStringLiteral("FAKE-PHI-4711");
        spec.institution = QStringLiteral("Nowhere General Fake Hospital");
        const DecodedImage image = load(QStringLiteral("phi.dcm"), spec);
        QVERIFY(image.meta.phiTags.contains(QStringLiteral("PatientName")));
        for (bool sixteen : {false, true}) {
            const QString out
                = m_dir.filePath(sixteen ? QStringLiteral("phi16.png") : QStringLiteral("phi8.png"));
            QVERIFY(exportPng(image, out, sixteen).ok());
            const QByteArray bytes = readAll(out);
            QVERIFY(!bytes.isEmpty());
            for (const char *value : {"Zzyzx", "Fakename", "FAKE-PHI", "Nowhere", "Hospital"})
                QVERIFY2(!bytes.contains(value), value);
            QCOMPARE(pngChunks(bytes), (QStringList {"IHDR", "IDAT", "IEND"}));
        }
    }

    void exportIsAtomic()
    {
        const DecodedImage image = load(QStringLiteral("atomic.dcm"), gray16(2, 2, {1, 2, 3, 4}));
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("out.png"));
        QVERIFY(exportPng(image, out, false).ok());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList {"out.png"});
        // A folder that does not exist: an error naming the target, and nothing written.
        const QString nowhere = dir.filePath(QStringLiteral("missing/out.png"));
        const fmw::Status s = exportPng(image, nowhere, false);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, ErrorCode::Io);
        QVERIFY(QString::fromStdString(s.error().toString()).contains(nowhere));
        QVERIFY(!QFileInfo::exists(nowhere));
        QVERIFY(!exportPng(DecodedImage(), out, false).ok());
    }
};

QTEST_GUILESS_MAIN(TestImageRenderer)
#include "tst_image_renderer.moc"

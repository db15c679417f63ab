// Every file of pydicom's test corpus (DICOM or not) either decodes with the size, frame count
// and, for lossless data, the stored values pydicom computed (pydicom_corpus.csv), or fails
// with an error naming the file. The MR_small variants decode to identical pixels.

#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"

#include "common/test_support.h"

#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QTest>

#include <opencv2/core.hpp>

using fmw::Result;
using namespace fmw::imaging;

namespace {

const QString kCorpus = QStringLiteral("/usr/lib/python3/dist-packages/pydicom/data/test_files");

struct Expectation {
    QString expect; // decode, error, either
    int rows = -1, cols = -1, frames = -1, samples = -1;
    std::optional<qint64> min, max, checksum;
};

QHash<QString, Expectation> loadTable()
{
    QHash<QString, Expectation> table;
    QFile file(fmwtest::sourcePath(QStringLiteral("tests/core/imaging/pydicom_corpus.csv")));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open pydicom_corpus.csv");
    bool header = true;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        if (header) { // column names
            header = false;
            continue;
        }
        const QStringList f = line.split(QLatin1Char(','));
        if (f.size() < 9)
            qFatal("bad row in pydicom_corpus.csv: %s", qPrintable(line));
        auto toInt = [](const QString &s) { return s.isEmpty() ? -1 : s.toInt(); };
        auto toOpt = [](const QString &s) { return s.isEmpty() ? std::optional<qint64>() : s.toLongLong(); };
        Expectation e;
        e.expect = f[1];
        e.rows = toInt(f[2]);
        e.cols = toInt(f[3]);
        e.frames = toInt(f[4]);
        e.samples = toInt(f[5]);
        e.min = toOpt(f[6]);
        e.max = toOpt(f[7]);
        e.checksum = toOpt(f[8]);
        table.insert(f[0], e);
    }
    return table;
}

QStringList corpusFiles()
{
    if (!QFileInfo::exists(kCorpus))
        qFatal("pydicom test corpus missing: %s (install python3-pydicom)", qPrintable(kCorpus));
    QStringList files;
    QDirIterator it(kCorpus, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << QDir(kCorpus).relativeFilePath(it.next());
    files.sort();
    return files;
}

// sum over row-major samples k of (k % 251 + 1) * value_k, as the table's generator computes.
qint64 checksum(const cv::Mat &pixels, qint64 *minValue, qint64 *maxValue)
{
    cv::Mat values;
    pixels.reshape(1, 1).convertTo(values, CV_64F);
    qint64 sum = 0;
    *minValue = std::numeric_limits<qint64>::max();
    *maxValue = std::numeric_limits<qint64>::min();
    const double *v = values.ptr<double>();
    for (int k = 0; k < values.cols; ++k) {
        const qint64 x = static_cast<qint64>(v[k]);
        sum += (k % 251 + 1) * x;
        *minValue = std::min(*minValue, x);
        *maxValue = std::max(*maxValue, x);
    }
    return sum;
}

bool sameMat(const cv::Mat &a, const cv::Mat &b)
{
    return a.size() == b.size() && a.type() == b.type()
        && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

} // namespace

class TestPydicomCorpus : public QObject {
    Q_OBJECT

private:
    QHash<QString, Expectation> m_table;
    int m_decoded = 0;
    int m_decodedTopLevelDcm = 0;
    int m_files = 0;

private slots:
    void initTestCase() { m_table = loadTable(); }

    void tableMatchesListing()
    {
        const QStringList files = corpusFiles();
        QCOMPARE(files.size(), m_table.size());
        for (const QString &f : files)
            QVERIFY2(m_table.contains(f), qPrintable(f + " has no row in pydicom_corpus.csv"));
    }

    void corpusFile_data()
    {
        QTest::addColumn<QString>("relative");
        for (const QString &f : corpusFiles())
            QTest::newRow(qPrintable(f)) << f;
    }

    void corpusFile()
    {
        QFETCH(QString, relative);
        QVERIFY2(m_table.contains(relative), qPrintable(relative + " has no expectation"));
        const Expectation e = m_table.value(relative);
        const QString path = QDir(kCorpus).filePath(relative);
        const QString name = QFileInfo(path).fileName();
        ++m_files;

        Result<DecodedImage> image = loadImage(path);
        Result<ImageMetadata> meta = readMetadata(path);
        if (!image) {
            const QString message = QString::fromStdString(image.error().toString());
            QVERIFY2(e.expect != QLatin1String("decode"), qPrintable("should decode: " + message));
            QVERIFY(!image.error().message.empty());
            QVERIFY2(message.contains(name), qPrintable(message));
            return;
        }
        ++m_decoded;
        if (!relative.contains(QLatin1Char('/')) && relative.endsWith(QLatin1String(".dcm")))
            ++m_decodedTopLevelDcm;
        QVERIFY2(e.expect != QLatin1String("error"), "decoded a file that must fail");
        QCOMPARE(image->pixels.rows, e.rows);
        QCOMPARE(image->pixels.cols, e.cols);
        QCOMPARE(image->meta.height, e.rows);
        QCOMPARE(image->meta.width, e.cols);
        QCOMPARE(image->pixels.channels(), e.samples);
        if (e.frames > 0)
            QCOMPARE(image->meta.frames, e.frames);
        if (e.checksum) {
            qint64 lo = 0, hi = 0;
            const qint64 sum = checksum(image->pixels, &lo, &hi);
            QCOMPARE(lo, *e.min);
            QCOMPARE(hi, *e.max);
            QCOMPARE(sum, *e.checksum);
        }
        // The cheap metadata path agrees with the decode.
        QVERIFY2(meta.ok(), meta.ok() ? "" : meta.error().toString().c_str());
        QCOMPARE(meta->width, image->meta.width);
        QCOMPARE(meta->height, image->meta.height);
        QCOMPARE(meta->frames, image->meta.frames);
        QCOMPARE(meta->photometric, image->meta.photometric);
        // And it renders at full size.
        const QImage shown = render(*image);
        QCOMPARE(shown.size(), QSize(e.cols, e.rows));
    }

    void mrSmallVariantsAreIdentical_data()
    {
        QTest::addColumn<QString>("file");
        for (const char *f : {"MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
                 "MR_small_implicit.dcm", "MR_small_padded.dcm", "MR_small_jpeg_ls_lossless.dcm"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }

    void mrSmallVariantsAreIdentical()
    {
        QFETCH(QString, file);
        Result<DecodedImage> reference = loadImage(QDir(kCorpus).filePath(QStringLiteral("MR_small.dcm")));
        Result<DecodedImage> variant = loadImage(QDir(kCorpus).filePath(file));
        QVERIFY(reference.ok());
        QVERIFY2(variant.ok(), variant.ok() ? "" : variant.error().toString().c_str());
        QCOMPARE(variant->pixels.size(), cv::Size(64, 64));
        double lo = 0, hi = 0;
        cv::minMaxLoc(variant->pixels, &lo, &hi);
        QCOMPARE(lo, 127.0);
        QCOMPARE(hi, 2145.0);
        QVERIFY(sameMat(variant->pixels, reference->pixels));
        QCOMPARE(render(*variant), render(*reference));
    }

    void jpeg2000NamesTheSyntax_data()
    {
        QTest::addColumn<QString>("file");
        for (const char *f : {"MR_small_jp2klossless.dcm", "JPEG2000.dcm", "GDCMJ2K_TextGBR.dcm"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }

    void jpeg2000NamesTheSyntax()
    {
        QFETCH(QString, file);
        Result<DecodedImage> image = loadImage(QDir(kCorpus).filePath(file));
        QVERIFY(!image.ok());
        QCOMPARE(image.error().code, fmw::ErrorCode::Unsupported);
        const QString message = QString::fromStdString(image.error().toString());
        QVERIFY2(message.contains(QLatin1String("JPEG 2000 is not supported")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("1.2.840.10008.1.2.4.9")), qPrintable(message));
        QVERIFY2(message.contains(file), qPrintable(message));
    }

    // Colour JPEGs (YCbCr or RGB coded, labelled right or wrong) and uncompressed YBR_FULL_422
    // show the colours of the lossless RGB original they were made from.
    void colourMatchesLosslessOriginal_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("original");
        const QString rle = QStringLiteral("SC_rgb_rle.dcm");
        const QString native = QStringLiteral("SC_rgb_jpeg_dcmd.dcm");
        for (const char *f : {"SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm",
                 "SC_rgb_dcmtk_+eb+cy+n2.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm",
                 "SC_rgb_dcmtk_+eb+cy+s4.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm",
                 "SC_rgb_jpeg_lossy_gdcm.dcm", "SC_ybr_full_422_uncompressed.dcm"})
            QTest::newRow(f) << QString::fromLatin1(f) << rle;
        for (const char *f : {"SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm",
                 "SC_rgb_jpeg_app14_dcmd.dcm"})
            QTest::newRow(f) << QString::fromLatin1(f) << native;
    }

    void colourMatchesLosslessOriginal()
    {
        QFETCH(QString, file);
        QFETCH(QString, original);
        Result<DecodedImage> image = loadImage(QDir(kCorpus).filePath(file));
        Result<DecodedImage> reference = loadImage(QDir(kCorpus).filePath(original));
        QVERIFY2(image.ok(), image.ok() ? "" : image.error().toString().c_str());
        QVERIFY(reference.ok());
        QCOMPARE(image->pixels.type(), CV_8UC3);
        QCOMPARE(image->pixels.size(), reference->pixels.size());
        cv::Mat diff;
        cv::absdiff(image->pixels, reference->pixels, diff);
        const cv::Scalar perChannel = cv::mean(diff);
        const double meanError = (perChannel[0] + perChannel[1] + perChannel[2]) / 3;
        // Lossy coding leaves ~0.5-2.5 levels; swapped colour spaces give 50+.
        QVERIFY2(meanError < 3.0, qPrintable(QStringLiteral("mean error %1").arg(meanError)));
    }

    // pydicom's CR samples are MONOCHROME1: the same stored values shown as MONOCHROME2 give
    // the exact negative.
    void monochrome1SampleRendersInverted()
    {
        Result<DecodedImage> cr
            = loadImage(QDir(kCorpus).filePath(QStringLiteral("dicomdirtests/77654033/CR1/6154")));
        QVERIFY(cr.ok());
        QCOMPARE(cr->meta.photometric, QStringLiteral("MONOCHROME1"));
        DecodedImage asMono2 = *cr;
        asMono2.meta.photometric = QStringLiteral("MONOCHROME2");
        const QImage shown = render(*cr);
        const QImage plain = render(asMono2);
        QVERIFY(shown != plain);
        for (int y = 0; y < shown.height(); ++y)
            for (int x = 0; x < shown.width(); ++x)
                QCOMPARE(int(shown.constScanLine(y)[x]), 255 - int(plain.constScanLine(y)[x]));
    }

    void cleanupTestCase()
    {
        qInfo("pydicom corpus: %d of %d files decode (%d of the top-level .dcm files)", m_decoded, m_files,
            m_decodedTopLevelDcm);
    }
};

QTEST_GUILESS_MAIN(TestPydicomCorpus)
#include "tst_pydicom_corpus.moc"

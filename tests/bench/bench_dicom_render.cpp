// Benchmark: load and render a 3000 x 3000 16-bit MONOCHROME2 DICOM (Explicit VR Little
// Endian, 12 bits stored, with a window), the path the viewer takes when an image is opened.
// Threshold from issue 2: median < 150 ms. Baselines, same process and file: QFile::readAll
// (a fresh buffer each run, so it pays first-touch page faults), QFile::read into a reused
// buffer (the I/O alone), and a plain cv::Mat convertTo of the same pixels to 8 bits.

#include "bench_stats.h"
#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"

#include "core/imaging/dicom_fixture.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>

#include <algorithm>
#include <random>

using fmw::Result;
using namespace fmw::imaging;

namespace {

constexpr int kSide = 3000;
constexpr int kRuns = 7;
constexpr double kThresholdMs = 150.0;

using fmwbench::median;

template <typename Fn> std::vector<double> timeRuns(Fn &&fn)
{
    std::vector<double> ms;
    for (int i = 0; i < kRuns; ++i) {
        QElapsedTimer timer;
        timer.start();
        fn();
        ms.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    return ms;
}

} // namespace

class BenchDicomRender : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_file;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // A chest-like 12-bit image: a smooth gradient plus noise, so nothing is constant.
        fmwtest::DicomSpec spec;
        spec.rows = kSide;
        spec.cols = kSide;
        spec.bitsStored = 12;
        spec.highBit = 11;
        spec.windowCenter = QStringLiteral("2048");
        spec.windowWidth = QStringLiteral("3000");
        spec.words.resize(size_t(kSide) * kSide);
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> noise(0, 200);
        for (int y = 0; y < kSide; ++y)
            for (int x = 0; x < kSide; ++x)
                spec.words[size_t(y) * kSide + x]
                    = static_cast<quint16>((x + y) * 3800 / (2 * kSide) + noise(rng));
        m_file = m_dir.filePath(QStringLiteral("large.dcm"));
        QString error;
        QVERIFY2(fmwtest::writeDicom(m_file, spec, &error), qPrintable(error));
    }

    void loadAndRender()
    {
        QImage shown;
        const std::vector<double> pipeline = timeRuns([&] {
            Result<DecodedImage> image = loadImage(m_file);
            QVERIFY(image.ok());
            shown = render(*image);
        });
        QCOMPARE(shown.size(), QSize(kSide, kSide));

        qint64 bytes = 0;
        const std::vector<double> rawRead = timeRuns([&] {
            QFile f(m_file);
            QVERIFY(f.open(QIODevice::ReadOnly));
            bytes = f.readAll().size();
        });

        QByteArray reused(int(bytes), '\0');
        const std::vector<double> rawReuse = timeRuns([&] {
            QFile f(m_file);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.read(reused.data(), reused.size()), qint64(reused.size()));
        });

        Result<DecodedImage> image = loadImage(m_file);
        QVERIFY(image.ok());
        const cv::Mat &pixels = image->pixels;
        cv::Mat eight;
        const std::vector<double> convert = timeRuns([&] { pixels.convertTo(eight, CV_8U, 255.0 / 4095.0); });

        const double p = median(pipeline), r = median(rawRead), u = median(rawReuse), c = median(convert);
        qInfo("DICOM %dx%d 16-bit (%lld bytes), median of %d runs:", kSide, kSide, bytes, kRuns);
        qInfo("  loadImage + render                      %7.1f ms (min %.1f, max %.1f), target < %.0f ms", p,
            *std::min_element(pipeline.begin(), pipeline.end()),
            *std::max_element(pipeline.begin(), pipeline.end()), kThresholdMs);
        qInfo("  baseline QFile::readAll (fresh buffer)  %7.1f ms -> load+render = %.2fx raw file read", r,
            p / r);
        qInfo("  baseline QFile::read (reused buffer)    %7.1f ms -> load+render = %.1fx raw file read", u,
            p / u);
        qInfo(
            "  baseline cv::Mat convertTo to 8 bits    %7.1f ms -> load+render = %.1fx convertTo", c, p / c);
        QVERIFY2(p < kThresholdMs, qPrintable(QStringLiteral("load + render took %1 ms").arg(p)));
    }
};

QTEST_GUILESS_MAIN(BenchDicomRender)
#include "bench_dicom_render.moc"

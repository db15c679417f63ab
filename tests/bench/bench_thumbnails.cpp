// Benchmark: thumbnails for 1,000 X-rays (512x512 16-bit PNGs, every tenth a 12-bit DICOM)
// in the real workbench window while the record list is scrolled page by page, 60 times a
// second, until every thumbnail is in. Measures the longest GUI event-loop stall (gap between
// ticks of a 5 ms timer) and the time until all thumbnails are loaded; the baseline, measured
// in the same process, is the same thumbnails computed synchronously (ms per thumbnail).
// A control probe on the idle window afterwards shows how much of a stall is the machine
// (other processes) rather than thumbnail work. Fails if the GUI thread ever stalls more
// than 50 ms while thumbnails load (issue 2).

#include "stall_probe.h"

#include "demo/dicom_writer.h"
#include "imaging/image_renderer.h"
#include "ui/main_window.h"
#include "ui/record_list_panel.h"
#include "ui/thumbnail_loader.h"

#include <QElapsedTimer>
#include <QListView>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdio>

namespace {

constexpr int kImages = 1000;
constexpr int kSide = 512;
constexpr int kRuns = 5;
constexpr int kBaselineSample = 200;  // thumbnails per synchronous baseline run
constexpr int kTickMs = 5;
constexpr int kScrollMs = 16;
constexpr double kMaxStallMs = 50.0;
constexpr int kIdleProbeMs = 2000;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2.0;
}

// A smooth radiograph-like 16-bit image: ramp, a bright disc, mild noise (so PNG compresses
// like real data, not like a flat field).
cv::Mat syntheticXray(int index)
{
    cv::Mat img(kSide, kSide, CV_16UC1);
    quint32 state = 2654435761u * quint32(index + 1);
    const int cx = 128 + (index * 37) % 256;
    const int cy = 128 + (index * 91) % 256;
    for (int y = 0; y < kSide; ++y) {
        auto *row = img.ptr<quint16>(y);
        for (int x = 0; x < kSide; ++x) {
            state = state * 1664525u + 1013904223u;
            double v = 8000.0 + 40000.0 * double(y) / kSide + 6000.0 * double(x) / kSide;
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < 60 * 60)
                v += 9000.0;
            row[x] = quint16(std::min(65535.0, v + double(state >> 26)));
        }
    }
    return img;
}

struct RunResult {
    double totalMs = 0;     // open -> every thumbnail loaded
    double maxStallMs = 0;  // longest gap between 5 ms ticks
    int ticks = 0;
    // Control: the longest gap with nothing loading (the same window, idle, right after).
    // Large values here mean other processes are starving this one, not thumbnail work.
    double idleStallMs = 0;
};

} // namespace

class BenchThumbnails : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void thumbnailsWhileScrolling();

private:
    RunResult runOnce();
    double synchronousMsPerThumbnail();

    QTemporaryDir m_settings;
    QTemporaryDir m_dir;
    QStringList m_paths;
};

void BenchThumbnails::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settings.path());

    QElapsedTimer timer;
    timer.start();
    QDir().mkpath(m_dir.filePath(QStringLiteral("images")));
    QByteArray jsonl;
    const std::vector<int> pngParams{cv::IMWRITE_PNG_COMPRESSION, 3};
    int dicoms = 0;
    for (int i = 0; i < kImages; ++i) {
        const bool dicom = i % 10 == 9;
        const QString name = QStringLiteral("cxr_%1.%2").arg(i, 4, 10, QLatin1Char('0'))
                                 .arg(dicom ? QStringLiteral("dcm") : QStringLiteral("png"));
        const QString path = m_dir.filePath(QStringLiteral("images/") + name);
        const cv::Mat img = syntheticXray(i);
        if (dicom) {
            cv::Mat brightness;
            img.convertTo(brightness, CV_32FC1, 1.0 / 65535.0);
            fmw::demo::DemoDicomOptions options;
            options.index = i;
            const fmw::Status written = fmw::demo::writeDemoDicom(path, brightness, options);
            QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
            ++dicoms;
        } else {
            QVERIFY(cv::imwrite(path.toStdString(), img, pngParams));
        }
        m_paths << path;
        jsonl += "{\"image\": \"" + name.toUtf8() + "\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Synthetic chest radiograph "
                 + QByteArray::number(i) + ".\"}\n";
    }
    QFile file(m_dir.filePath(QStringLiteral("train.jsonl")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(jsonl);
    file.close();
    std::printf("generated %d images (%d PNG 512x512 16-bit, %d DICOM 12-bit) in %.1f s\n", kImages,
                kImages - dicoms, dicoms, timer.elapsed() / 1000.0);
}

RunResult BenchThumbnails::runOnce()
{
    RunResult result;
    fmw::ui::MainWindow window;
    window.setInteractive(false);
    window.resize(1400, 900);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        qFatal("window not exposed");
    QListView *list = window.recordList()->listView();
    fmw::ui::ThumbnailLoader *loader = window.thumbnailLoader();

    // Stall probe: the gap between ticks of a 5 ms timer is how long the GUI thread was busy.
    fmwbench::StallProbe probe(kTickMs);

    // Scroll a page at a time, down then up again, until everything is loaded.
    QSet<QString> done;
    QEventLoop loop;
    connect(loader, &fmw::ui::ThumbnailLoader::thumbnailReady, &loop, [&](const QString &path) {
        done.insert(path);
        if (done.size() == kImages)
            loop.quit();
    });
    QTimer scroller;
    scroller.setInterval(kScrollMs);
    int direction = 1;
    connect(&scroller, &QTimer::timeout, &scroller, [&] {
        QScrollBar *bar = list->verticalScrollBar();
        if (bar->value() >= bar->maximum())
            direction = -1;
        else if (bar->value() <= bar->minimum())
            direction = 1;
        bar->setValue(bar->value() + direction * bar->pageStep());
    });
    QTimer watchdog;
    watchdog.setSingleShot(true);
    connect(&watchdog, &QTimer::timeout, &loop, [&] { loop.exit(1); });

    probe.start();
    QSignalSpy opened(&window, &fmw::ui::MainWindow::datasetOpened);
    window.openFolder(m_dir.path());
    if (!opened.wait(30000))
        qFatal("dataset did not open");
    scroller.start();
    watchdog.start(300000);
    const int rc = loop.exec();
    result.totalMs = probe.elapsedMs();
    scroller.stop();
    watchdog.stop();
    if (rc != 0)
        qFatal("timed out with %d of %d thumbnails", int(done.size()), kImages);

    QTimer::singleShot(0, &loop, [&] { probe.startIdleControl(); });
    QTimer::singleShot(kIdleProbeMs, &loop, &QEventLoop::quit);
    loop.exec();
    probe.stop();
    result.maxStallMs = probe.maxStallMs();
    result.idleStallMs = probe.idleStallMs();
    result.ticks = probe.ticks();
    return result;
}

double BenchThumbnails::synchronousMsPerThumbnail()
{
    QElapsedTimer timer;
    timer.start();
    const int step = kImages / kBaselineSample;
    int count = 0;
    for (int i = 0; i < kImages; i += step, ++count) {
        const auto thumb = fmw::imaging::loadThumbnail(m_paths[i], 64);
        if (!thumb)
            qFatal("baseline thumbnail failed: %s", thumb.error().toString().c_str());
    }
    return timer.nsecsElapsed() / 1e6 / count;
}

void BenchThumbnails::thumbnailsWhileScrolling()
{
    std::vector<double> totals;
    std::vector<double> stalls;
    std::vector<double> baselines;
    std::vector<double> idleStalls;
    double worstStall = 0;
    for (int run = 0; run < kRuns; ++run) {
        const RunResult r = runOnce();
        totals.push_back(r.totalMs);
        stalls.push_back(r.maxStallMs);
        worstStall = std::max(worstStall, r.maxStallMs);
        idleStalls.push_back(r.idleStallMs);
        baselines.push_back(synchronousMsPerThumbnail());
        std::printf("run %d: all %d thumbnails in %.0f ms, longest GUI stall %.1f ms (%d ticks), "
                    "idle control %.1f ms; synchronous %.2f ms/thumbnail\n",
                    run + 1, kImages, r.totalMs, r.maxStallMs, r.ticks, r.idleStallMs, baselines.back());
    }
    const double total = median(totals);
    const double sync = median(baselines);
    const double syncTotal = sync * kImages;
    std::printf("thumbnails (1000 x 512x512, 10%% DICOM, scrolled in the record list, %d worker threads): "
                "median %.0f ms = %.2f ms/thumbnail effective = %.2fx the synchronous baseline "
                "(%.2f ms/thumbnail, %.0f ms for 1000 on the GUI thread)\n",
                QThread::idealThreadCount(), total, total / kImages, total / syncTotal, sync, syncTotal);
    std::printf("longest GUI event-loop stall: median %.1f ms, worst %.1f ms over %d runs (limit %.0f ms); "
                "idle control (no loading, same window): median %.1f ms\n",
                median(stalls), worstStall, kRuns, kMaxStallMs, median(idleStalls));
    QVERIFY2(worstStall <= kMaxStallMs,
             qPrintable(QStringLiteral("GUI stalled %1 ms > %2 ms").arg(worstStall).arg(kMaxStallMs)));
}

QTEST_MAIN(BenchThumbnails)
#include "bench_thumbnails.moc"

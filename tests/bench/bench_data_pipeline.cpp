// Benchmark: the trainer's data pipeline alone (JsonlSampleSource + BatchLoader), in images/s
// delivered at 768 x 768, from a generated demo dataset of 2048 px chest phantoms (a quarter
// DICOM, 12/16-bit, both photometrics; PNG 8-bit), every JSONL record of it, batch 6,
// prefetch 2, with 0 and 2 worker threads. Target from the training issue: both at least 5x what
// the model consumes (FMW_BENCH_MODEL_SAMPLES_PER_S, default 0.65 samples/s: the bf16 LoRA
// step target for Florence-2-base on this 2-core CPU). Baseline, same process and files: the
// CLI's path for one image, loadModelImage + text::pixelValues, on one thread.

// torch before any Qt header (`slots`)
#include "bench_stats.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/florence2_processor.h"
#include "engine/text/pixel_values.h"
#include "engine/training/batch_loader.h"

#include "demo/demo_dataset.h"
#include "imaging/model_image.h"
#include "training/jsonl_sample_source.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

using namespace fmw;

namespace {

constexpr int kImages = 16;
constexpr int kSide = 2048;
constexpr int kRuns = 5;
constexpr double kTargetRatio = 5.0;

using fmwbench::median;

QString runs(const std::vector<double> &v)
{
    QStringList s;
    for (double x : v)
        s << QString::number(x, 'f', 2);
    return s.join(QLatin1Char(' '));
}

// CPU seconds of this process, all threads: with the wall time, shows how much of the machine
// the run got (these machines are shared).
double processCpuSeconds()
{
    timespec t {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

double modelSamplesPerSecond()
{
    bool ok = false;
    const double v = qEnvironmentVariable("FMW_BENCH_MODEL_SAMPLES_PER_S").toDouble(&ok);
    return ok && v > 0 ? v : 0.65;
}

} // namespace

class BenchDataPipeline : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_root;
    QStringList m_jsonl;
    std::optional<text::Florence2Processor> m_processor;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString shared = qEnvironmentVariable("FMW_SHARED_DIR", QStringLiteral(FMW_SHARED_DIR));
        auto tokenizer = text::BpeTokenizer::fromDirectory(
            (shared + QStringLiteral("/fixtures/florence2-tokenizer")).toStdString());
        QVERIFY2(tokenizer.ok(), tokenizer.ok() ? "" : tokenizer.error().toString().c_str());
        m_processor.emplace(*tokenizer, text::ImagePreprocessor()); // Florence-2's 768 x 768
        m_root = m_dir.filePath(QStringLiteral("demo"));
        demo::DemoOptions options;
        options.count = kImages;
        options.seed = 7;
        options.size = kSide;
        options.dicomFraction = 0.25;
        QElapsedTimer timer;
        timer.start();
        auto summary = demo::writeDemoDataset(m_root, options);
        QVERIFY2(summary.ok(), summary.ok() ? "" : summary.error().toString().c_str());
        for (const QString &f : QDir(m_root).entryList({QStringLiteral("*.jsonl")}, QDir::Files, QDir::Name))
            m_jsonl << QDir(m_root).filePath(f);
        std::printf("generated %d images %dx%d (%d DICOM) in %.1f s; %lld JSONL files\n", summary->images,
            kSide, kSide, summary->dicom, timer.nsecsElapsed() / 1e9, static_cast<long long>(m_jsonl.size()));
    }

    void imagesPerSecond()
    {
        QElapsedTimer timer;
        timer.start();
        training::JsonlSampleSource source(m_jsonl, m_root + QStringLiteral("/images"));
        const double readMs = timer.nsecsElapsed() / 1e6;
        QVERIFY(source.skipped().empty());
        const size_t n = source.size();
        QVERIFY(n > 0);
        std::printf("%zu samples (every record of every split), read and checked in %.1f ms\n", n, readMs);

        // Baseline: the CLI's per-image path on this thread.
        std::vector<double> baseline;
        for (int r = 0; r < 3; ++r) {
            timer.restart();
            for (size_t i = 0; i < n; ++i) {
                auto image = imaging::loadModelImage(source.imagePath(i));
                QVERIFY(image.ok());
                auto pixels = text::pixelValues(m_processor->imagePreprocessor(), {*image});
                QVERIFY(pixels.ok());
            }
            baseline.push_back(double(n) / (timer.nsecsElapsed() / 1e9));
        }
        const double baselineMedian = median(baseline);

        double best = 0;
        double worst = 1e300;
        QStringList summary;
        for (int64_t workers : {0, 2}) {
            training::BatchLoaderOptions options;
            options.batchSize = 6;
            options.numWorkers = workers;
            options.prefetchBatches = 2;
            options.seed = 1;
            timer.restart();
            training::BatchLoader loader(source, *m_processor, options);
            const double tokenizeMs = timer.nsecsElapsed() / 1e6;
            std::vector<double> rates;
            const double cpuBefore = processCpuSeconds();
            size_t total = 0;
            for (int r = 0; r < kRuns; ++r) {
                timer.restart();
                loader.startEpoch(r);
                size_t delivered = 0;
                while (auto batch = loader.next()) {
                    QCOMPARE(batch->pixelValues.size(2), int64_t(768));
                    delivered += batch->indices.size();
                }
                rates.push_back(double(delivered) / (timer.nsecsElapsed() / 1e9));
                QCOMPARE(delivered, n);
                total += delivered;
            }
            const double cpuPerImage = (processCpuSeconds() - cpuBefore) / double(total);
            const double m = median(rates);
            best = std::max(best, m);
            worst = std::min(worst, m);
            std::printf(
                "  %lld workers: median of %d epochs %.2f images/s (runs: %s); %.1f ms CPU per image; "
                "pre-tokenize %.1f ms\n",
                static_cast<long long>(workers), kRuns, m, qPrintable(runs(rates)), cpuPerImage * 1e3,
                tokenizeMs);
            std::fflush(stdout);
            summary << QStringLiteral("%1 workers %2 images/s").arg(workers).arg(m, 0, 'f', 2);
        }
        const double model = modelSamplesPerSecond();
        std::printf(
            "  baseline (loadModelImage + text::pixelValues, one thread): median of 3 %.2f images/s\n",
            baselineMedian);
        std::printf(
            "data pipeline, %dx%d inputs -> 768x768 (25%% DICOM): %s; the slower = %.1fx the model's %.2f "
            "samples/s (target >= %.0fx); the faster = %.2fx the one-thread baseline\n",
            kSide, kSide, qPrintable(summary.join(QStringLiteral(", "))), worst / model, model, kTargetRatio,
            best / baselineMedian);
        std::fflush(stdout);
        QVERIFY2(worst >= kTargetRatio * model, "the data pipeline cannot feed the model 5x over");
    }
};

QTEST_GUILESS_MAIN(BenchDataPipeline)
#include "bench_data_pipeline.moc"

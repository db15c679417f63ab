// JsonlSampleSource: the trainer's samples from JSONL files. A temporary dataset mixes good PNG
// and DICOM records, a custom prefix, and every kind of bad record (malformed JSON, invalid
// UTF-8, a missing field, a rejected <OD> suffix, a missing image, a truncated DICOM): each is
// reported with file:line, and a BatchLoader over the source runs whole epochs without
// crashing, counting the corrupt image.

// torch before any Qt header (`slots`)
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/florence2_processor.h"
#include "engine/training/batch_loader.h"

#include "imaging/model_image.h"
#include "training/jsonl_sample_source.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using fmw::training::BatchLoader;
using fmw::training::BatchLoaderOptions;
using fmw::training::JsonlSampleSource;
using fmw::training::SkippedRecord;

namespace {

QString demoImage(const QString &name)
{
    return QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset/images/") + name;
}

QString sharedDir()
{
    const QString env = qEnvironmentVariable("FMW_SHARED_DIR");
    return env.isEmpty() ? QStringLiteral(FMW_SHARED_DIR) : env;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

bool contains(const std::vector<std::string> &lines, const std::string &needle)
{
    for (const std::string &l : lines)
        if (l.find(needle) != std::string::npos)
            return true;
    return false;
}

} // namespace

class TestJsonlSampleSource : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void recordsAndProblems();
    void loadsPngAndDicomAsTheModelSeesThem();
    void corruptDicomNamesTheFile();
    void prefixFilter();
    void batchLoaderRunsWholeEpochs();

private:
    QTemporaryDir m_dir;
    QString m_train;
    QString m_val;
    QString m_images;
};

void TestJsonlSampleSource::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_images = m_dir.filePath(QStringLiteral("images"));
    QVERIFY(QDir().mkpath(m_images + QStringLiteral("/sub")));
    QVERIFY(
        QFile::copy(demoImage(QStringLiteral("demo-0001.png")), m_images + QStringLiteral("/demo-0001.png")));
    QVERIFY(QFile::copy(
        demoImage(QStringLiteral("demo-0019.dcm")), m_images + QStringLiteral("/sub/demo-0019.dcm")));
    // A DICOM cut in the middle of its pixel data.
    QFile dicom(demoImage(QStringLiteral("demo-0025.dcm")));
    QVERIFY(dicom.open(QIODevice::ReadOnly));
    const QByteArray whole = dicom.readAll();
    QVERIFY(whole.size() > 4096);
    QVERIFY(writeFile(m_images + QStringLiteral("/broken.dcm"), whole.left(whole.size() / 2)));

    m_train = m_dir.filePath(QStringLiteral("train.jsonl"));
    QByteArray train;
    train += R"({"image": "demo-0001.png", "prefix": "<CAPTION>", "suffix": "Right pneumothorax."})"
             "\n"; // 1
    train
        += R"({"image": "sub/demo-0019.dcm", "prefix": "<OD>", "suffix": "nodule<loc_10><loc_20><loc_30><loc_40>"})"
           "\n"; // 2
    train += R"({"image": "demo-0001.png", "prefix": "Is the heart enlarged?", "suffix": "No.", "extra": 1})"
             "\n"; // 3: custom prefix, unknown field
    train += R"({"image": "demo-0001.png", "prefix": "<CAPTION>", )"
             "\n"; // 4: malformed
    train += "\n"; // 5: blank, not a problem
    train += R"({"image": "missing.png", "prefix": "<CAPTION>", "suffix": "x"})"
             "\n"; // 6
    train += R"({"image": "broken.dcm", "prefix": "<CAPTION>", "suffix": "Truncated file."})"
             "\n"; // 7
    train
        += R"({"image": "demo-0001.png", "prefix": "<OD>", "suffix": "nodule<loc_30><loc_20><loc_10><loc_40>"})"
           "\n"; // 8: x2 < x1
    train += R"({"image": "demo-0001.png", "prefix": "<CAPTION>"})"
             "\n"; // 9: no suffix
    train += "{\"image\": \"demo-0001.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"caf\xff\"}\n"; // 10
    train += R"({"image": "demo-0001.png", "prefix": "<DETAILED_CAPTION>", "suffix": "Clear lungs."})"; // 11,
                                                                                                        // no
                                                                                                        // EOL
    QVERIFY(writeFile(m_train, train));
    m_val = m_dir.filePath(QStringLiteral("val.jsonl"));
    QVERIFY(writeFile(m_val,
        "{\"image\": \"sub/demo-0019.dcm\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Normal.\"}\r\n"
        "{\"image\": \"demo-0001.png\", \"prefix\": \"<OD>\", \"suffix\": \"\"}\r\n"));
}

void TestJsonlSampleSource::recordsAndProblems()
{
    const QString absent = m_dir.filePath(QStringLiteral("absent.jsonl"));
    JsonlSampleSource source({m_train, m_val, absent}, m_images);
    QCOMPARE(source.size(), size_t(7));
    QCOMPARE(source.text(0).prefix, std::string("<CAPTION>"));
    QCOMPARE(source.text(0).suffix, std::string("Right pneumothorax."));
    QCOMPARE(source.text(0).origin, std::string("train.jsonl:1 (demo-0001.png)"));
    QCOMPARE(source.text(1).origin, std::string("train.jsonl:2 (sub/demo-0019.dcm)"));
    QCOMPARE(source.text(2).prefix, std::string("Is the heart enlarged?"));
    QCOMPARE(source.text(3).origin, std::string("train.jsonl:7 (broken.dcm)")); // fails only when decoded
    QCOMPARE(source.text(4).origin, std::string("train.jsonl:11 (demo-0001.png)"));
    QCOMPARE(source.text(5).origin, std::string("val.jsonl:1 (sub/demo-0019.dcm)"));
    QCOMPARE(source.text(6).suffix, std::string()); // an <OD> with no boxes is valid
    QCOMPARE(source.imagePath(1), QDir::cleanPath(m_images + QStringLiteral("/sub/demo-0019.dcm")));

    const std::vector<std::string> problems = source.problems();
    for (const std::string &p : problems)
        qInfo("%s", p.c_str());
    QCOMPARE(problems.size(), size_t(6));
    const std::string train = m_train.toStdString();
    QVERIFY(contains(problems, train + ":4: "));
    QVERIFY(contains(problems, train + ":6: image not found: "));
    QVERIFY(contains(problems, "missing.png"));
    QVERIFY(contains(problems, train + ":8: <OD> suffix rejected: "));
    QVERIFY(contains(problems, train + ":9: "));
    QVERIFY(contains(problems, train + ":10: "));
    QVERIFY(contains(problems, absent.toStdString() + ": cannot open"));
    QCOMPARE(source.skipped().at(0).line, 4);
    QCOMPARE(source.skipped().at(0).file, m_train);
    QVERIFY(source.skipped().at(3).reason.contains(QLatin1String("suffix"))); // line 9: the missing field
    QVERIFY(source.skipped().at(4).reason.contains(QLatin1String("UTF-8")));
    QCOMPARE(source.filteredOut(), 0);
}

void TestJsonlSampleSource::loadsPngAndDicomAsTheModelSeesThem()
{
    JsonlSampleSource source({m_train}, m_images);
    for (size_t i : {size_t(0), size_t(1)}) {
        auto raw = source.load(i);
        QVERIFY2(raw.ok(), raw.ok() ? "" : raw.error().toString().c_str());
        auto expected = fmw::imaging::loadModelImage(source.imagePath(i));
        QVERIFY(expected.ok());
        QVERIFY(raw->image.valid());
        QCOMPARE(raw->image.width, expected->width);
        QCOMPARE(raw->image.height, expected->height);
        QCOMPARE(raw->image.channels, expected->channels);
        QVERIFY(raw->image.pixels == expected->pixels);
        QCOMPARE(raw->prefix, source.text(i).prefix);
        QCOMPARE(raw->suffix, source.text(i).suffix);
        QCOMPARE(raw->origin, source.text(i).origin);
    }
    // The DICOM goes through its window to 8-bit gray.
    auto dicom = source.load(1);
    QCOMPARE(dicom->image.channels, 1);
    QVERIFY(!source.load(99).ok());
}

void TestJsonlSampleSource::corruptDicomNamesTheFile()
{
    JsonlSampleSource source({m_train}, m_images);
    auto raw = source.load(3);
    QVERIFY(!raw.ok());
    const std::string message = raw.error().toString();
    qInfo("%s", message.c_str());
    QVERIFY2(message.find("broken.dcm") != std::string::npos, message.c_str());
}

void TestJsonlSampleSource::prefixFilter()
{
    JsonlSampleSource source({m_train, m_val}, m_images, {QStringLiteral("<OD>")});
    QCOMPARE(source.size(), size_t(2)); // train:2 and val:2; train:8 is a problem, not filtered
    QCOMPARE(source.text(0).origin, std::string("train.jsonl:2 (sub/demo-0019.dcm)"));
    QCOMPARE(source.text(1).origin, std::string("val.jsonl:2 (demo-0001.png)"));
    QCOMPARE(source.filteredOut(), 6);
    QCOMPARE(
        source.problems().size(), size_t(4)); // lines 4, 8, 9, 10 (no prefix to filter on, or not <OD> yet)
}

void TestJsonlSampleSource::batchLoaderRunsWholeEpochs()
{
    const QString tokenizerDir = sharedDir() + QStringLiteral("/fixtures/florence2-tokenizer");
    if (!QFile::exists(tokenizerDir + QStringLiteral("/tokenizer.json")))
        QFAIL(qPrintable(
            QStringLiteral("the shared fixtures are missing: %1 (set FMW_SHARED_DIR)").arg(tokenizerDir)));
    auto processor = fmw::text::Florence2Processor::fromDirectory(tokenizerDir.toStdString());
    QVERIFY2(processor.ok(), processor.ok() ? "" : processor.error().toString().c_str());
    QCOMPARE(processor->imagePreprocessor().config().width, 768);

    JsonlSampleSource source({m_train, m_val}, m_images);
    QCOMPARE(source.size(), size_t(7));
    BatchLoaderOptions options;
    options.batchSize = 2;
    options.numWorkers = 2;
    options.prefetchBatches = 2;
    options.seed = 3;
    BatchLoader loader(source, *processor, options);
    QCOMPARE(loader.batchesPerEpoch(), int64_t(4));
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
        loader.startEpoch(epoch);
        size_t rows = 0;
        while (auto batch = loader.next()) {
            QCOMPARE(batch->pixelValues.size(1), int64_t(3));
            QCOMPARE(batch->pixelValues.size(2), int64_t(768));
            QCOMPARE(batch->pixelValues.size(3), int64_t(768));
            QCOMPARE(batch->labels.size(0), batch->pixelValues.size(0));
            for (size_t idx : batch->indices)
                QVERIFY(idx != 3); // the truncated DICOM never makes it into a batch
            rows += batch->indices.size();
        }
        const auto counts = loader.counts();
        const auto skipped = loader.takeSkipped();
        std::string why = "epoch " + std::to_string(epoch) + ": " + std::to_string(rows) + " rows, "
            + std::to_string(counts.skippedThisEpoch) + " skipped";
        for (const auto &k : skipped)
            why += "\n  " + k.origin + ": " + k.reason;
        QVERIFY2(rows == 6 && counts.skippedThisEpoch == 1, why.c_str());
        QCOMPARE(counts.deliveredThisEpoch, int64_t(6));
        if (epoch == 0) {
            QCOMPARE(skipped.size(), size_t(1));
            QCOMPARE(skipped[0].origin, std::string("train.jsonl:7 (broken.dcm)"));
            QVERIFY2(skipped[0].reason.find("broken.dcm") != std::string::npos, skipped[0].reason.c_str());
            qInfo("skipped %s: %s", skipped[0].origin.c_str(), skipped[0].reason.c_str());
        } else {
            QVERIFY(skipped.empty()); // reported once
        }
    }
    QCOMPARE(loader.counts().skippedTotal, int64_t(2));
}

QTEST_GUILESS_MAIN(TestJsonlSampleSource)
#include "tst_jsonl_sample_source.moc"

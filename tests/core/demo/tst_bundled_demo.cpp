// Tests of the bundled demo dataset (Qt resources from fmw_resources) and of copying it to a
// writable folder.

#include "demo/bundled_demo.h"
#include "demo/demo_dataset.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace fmw::demo;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QMap<QString, QByteArray> snapshot(const QString &dir)
{
    QMap<QString, QByteArray> files;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files.insert(QDir(dir).relativeFilePath(path), readAll(path));
    }
    return files;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

} // namespace

class TestBundledDemo : public QObject {
    Q_OBJECT

private slots:
    void bundledDatasetIsComplete();
    void bundledDatasetIsCurrent();
    void copiesBundledDataset();
    void keepsUserCopy();
    void fillsEmptyFolder();
    void refusesForeignFolder();
    void missingResourceIsAnError();

private:
    QTemporaryDir m_tmp;
};

void TestBundledDemo::bundledDatasetIsComplete()
{
    const QString root = bundledDemoResourceRoot();
    const auto files = snapshot(root);
    QVERIFY2(files.contains("train.jsonl"), "resources/demo-dataset is empty: regenerate it");
    for (const char *name : {"README.txt", "val.jsonl", "test.jsonl", "train_detailed_caption.jsonl",
                             "val_detailed_caption.jsonl", "test_detailed_caption.jsonl"})
        QVERIFY2(files.contains(QString::fromLatin1(name)), name);
    qint64 bytes = 0;
    int dicom = 0, png = 0;
    for (auto it = files.begin(); it != files.end(); ++it) {
        bytes += it.value().size();
        dicom += it.key().endsWith(".dcm");
        png += it.key().endsWith(".png");
    }
    QVERIFY2(bytes <= 3 * 1024 * 1024, qPrintable(QString::number(bytes)));
    QVERIFY(dicom >= 4);
    QVERIFY(png >= 40);
}

void TestBundledDemo::bundledDatasetIsCurrent()
{
    // The bundled copy is exactly what the generator writes today: a generator change without
    // regenerating resources/demo-dataset fails here. PNGs are compared by pixels so that a
    // different zlib cannot fail the test; everything else by bytes.
    const QString fresh = m_tmp.filePath(QStringLiteral("fresh"));
    const auto written = writeDemoDataset(fresh, bundledDemoOptions());
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
    const auto expected = snapshot(fresh);
    const auto bundled = snapshot(bundledDemoResourceRoot());
    QCOMPARE(bundled.keys(), expected.keys());
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        const QByteArray &have = bundled.value(it.key());
        if (it.key().endsWith(".png")) {
            const auto decode = [](const QByteArray &b) {
                return cv::imdecode(cv::Mat(1, int(b.size()), CV_8UC1, const_cast<char *>(b.data())),
                                    cv::IMREAD_UNCHANGED);
            };
            const cv::Mat a = decode(it.value()), b = decode(have);
            QVERIFY2(a.size == b.size && cv::norm(a, b, cv::NORM_INF) == 0,
                     qPrintable(it.key() + ": regenerate resources/demo-dataset"));
        } else {
            QVERIFY2(have == it.value(), qPrintable(it.key() + ": regenerate resources/demo-dataset"));
        }
    }
}

void TestBundledDemo::copiesBundledDataset()
{
    const QString target = m_tmp.filePath(QStringLiteral("appdata/demo-dataset"));
    const auto copied = ensureDemoCopy(target);
    QVERIFY2(copied.ok(), copied.ok() ? "" : copied.error().toString().c_str());
    QCOMPARE(copied.value(), QFileInfo(target).absoluteFilePath());
    QCOMPARE(snapshot(target), snapshot(bundledDemoResourceRoot()));
    // The copy is the user's: writable, and no temporary folder is left behind.
    QVERIFY(QFileInfo(target + "/train.jsonl").isWritable());
    QCOMPARE(QDir(m_tmp.filePath("appdata")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
             QStringList{"demo-dataset"});
}

void TestBundledDemo::keepsUserCopy()
{
    const QString target = m_tmp.filePath(QStringLiteral("edited"));
    QVERIFY(ensureDemoCopy(target).ok());
    writeFile(target + "/train.jsonl", "{\"image\":\"x.png\",\"prefix\":\"<CAPTION>\",\"suffix\":\"edited\"}\n");
    QFile::remove(target + "/val.jsonl");
    const auto again = ensureDemoCopy(target);
    QVERIFY(again.ok());
    QCOMPARE(readAll(target + "/train.jsonl"),
             QByteArray("{\"image\":\"x.png\",\"prefix\":\"<CAPTION>\",\"suffix\":\"edited\"}\n"));
    QVERIFY(!QFileInfo::exists(target + "/val.jsonl"));
}

void TestBundledDemo::fillsEmptyFolder()
{
    const QString target = m_tmp.filePath(QStringLiteral("empty"));
    QVERIFY(QDir().mkpath(target));
    QVERIFY(ensureDemoCopy(target).ok());
    QVERIFY(QFileInfo::exists(target + "/train.jsonl"));
}

void TestBundledDemo::refusesForeignFolder()
{
    const QString target = m_tmp.filePath(QStringLiteral("foreign"));
    QVERIFY(QDir().mkpath(target));
    writeFile(target + "/thesis.txt", "keep me");
    const auto result = ensureDemoCopy(target);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, fmw::ErrorCode::Conflict);
    QCOMPARE(QDir(target).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"thesis.txt"});
    QCOMPARE(readAll(target + "/thesis.txt"), QByteArray("keep me"));
}

void TestBundledDemo::missingResourceIsAnError()
{
    const QString target = m_tmp.filePath(QStringLiteral("none"));
    const auto result = ensureDemoCopy(target, QStringLiteral(":/no-such-dataset"));
    QVERIFY(!result.ok());
    QVERIFY(!QFileInfo::exists(target));
}

QTEST_GUILESS_MAIN(TestBundledDemo)
#include "tst_bundled_demo.moc"

// Tests of `florence-cli make-demo-dataset` and `make-demo-model`: exit codes and the folders
// they write.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

Run runCommand(const QString &command, const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(FLORENCE_CLI), QStringList{command} + args);
    if (!p.waitForFinished(120000))
        qFatal("florence-cli did not finish");
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

Run runCli(const QStringList &args)
{
    return runCommand(QStringLiteral("make-demo-dataset"), args);
}

Run runModelCli(const QStringList &args)
{
    return runCommand(QStringLiteral("make-demo-model"), args);
}

} // namespace

class TestMakeDemoCli : public QObject {
    Q_OBJECT

private slots:
    void usageErrors_data();
    void usageErrors();
    void writesDataset();
    void nonEmptyFolderIsBadInput();
    void modelUsageErrors_data();
    void modelUsageErrors();
    void writesDemoModel();
    void demoModelFromAnotherDataset();

private:
    QTemporaryDir m_tmp;
};

void TestMakeDemoCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no --out") << QStringList{} << "--out DIR is required";
    QTest::newRow("count not a number") << QStringList{"--out", "x", "--count", "many"} << "--count";
    QTest::newRow("size too small") << QStringList{"--out", "x", "--size", "16"} << "--size";
    QTest::newRow("dicom fraction above 1") << QStringList{"--out", "x", "--dicom-fraction", "2"}
                                            << "--dicom-fraction";
    QTest::newRow("unknown option") << QStringList{"--out", "x", "--colour"} << "colour";
}

void TestMakeDemoCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(QStringLiteral("x")));
}

void TestMakeDemoCli::writesDataset()
{
    const QString dir = m_tmp.filePath(QStringLiteral("demo"));
    const Run r = runCli({"--out", dir, "--count", "6", "--seed", "9", "--size", "80", "--dicom-fraction", "0.5"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QLatin1String("wrote 6 synthetic images (3 DICOM")), qPrintable(r.out));
    QCOMPARE(QDir(dir + "/images").entryList(QDir::Files).size(), 6);
    QCOMPARE(QDir(dir + "/images").entryList({"*.dcm"}, QDir::Files).size(), 3);
    QFile readme(dir + "/README.txt");
    QVERIFY(readme.open(QIODevice::ReadOnly));
    QVERIFY(readme.readAll().contains("--count 6 --seed 9 --size 80"));
}

void TestMakeDemoCli::nonEmptyFolderIsBadInput()
{
    const QString dir = m_tmp.filePath(QStringLiteral("taken"));
    QVERIFY(QDir().mkpath(dir));
    QFile f(dir + "/keep.txt");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    const Run r = runCli({"--out", dir, "--count", "2", "--size", "64"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QLatin1String("not empty")), qPrintable(r.err));
    QCOMPARE(QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"keep.txt"});
}

void TestMakeDemoCli::modelUsageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("no --out") << QStringList{} << 2 << "--out DIR is required";
    QTest::newRow("image size not a multiple of 32") << QStringList{"--out", "x", "--image-size", "100"} << 2
                                                     << "multiple of 32";
    QTest::newRow("vocabulary too small") << QStringList{"--out", "x", "--vocab-size", "10"} << 2
                                          << "--vocab-size";
    QTest::newRow("dataset without jsonl") << QStringList{"--out", "x", "--dataset", "/nonexistent-fmw"} << 1
                                           << "no *.jsonl";
}

void TestMakeDemoCli::modelUsageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = runModelCli(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(QStringLiteral("x")));
}

void TestMakeDemoCli::writesDemoModel()
{
    const QString dir = m_tmp.filePath(QStringLiteral("demo-model"));
    const Run r = runModelCli({"--out", dir});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QLatin1String("learned from 129 texts, images 128 x 128")), qPrintable(r.out));
    QCOMPARE(QDir(dir).entryList(QDir::Files, QDir::Name),
        (QStringList{"README.txt", "config.json", "preprocessor_config.json", "tokenizer.json",
            "tokenizer_config.json"}));
    QFile config(dir + "/config.json");
    QVERIFY(config.open(QIODevice::ReadOnly));
    QVERIFY(config.readAll().contains("\"fmw_demo\": true"));

    // A second run into the written folder is refused and changes nothing.
    const Run again = runModelCli({"--out", dir, "--image-size", "64"});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains(QLatin1String("not empty")) && again.err.contains(dir),
             qPrintable(again.err));
}

void TestMakeDemoCli::demoModelFromAnotherDataset()
{
    const QString data = m_tmp.filePath(QStringLiteral("small-dataset"));
    QCOMPARE(runCli({"--out", data, "--count", "4", "--size", "64"}).exitCode, 0);
    const QString dir = m_tmp.filePath(QStringLiteral("small-model"));
    const Run r = runModelCli({"--out", dir, "--dataset", data, "--image-size", "64", "--vocab-size", "300"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QLatin1String("images 64 x 64")), qPrintable(r.out));
    QFile readme(dir + "/README.txt");
    QVERIFY(readme.open(QIODevice::ReadOnly));
    QVERIFY(readme.readAll().contains(QDir(data).absolutePath().toUtf8()));
    QFile preprocessor(dir + "/preprocessor_config.json");
    QVERIFY(preprocessor.open(QIODevice::ReadOnly));
    QVERIFY(preprocessor.readAll().contains("\"height\": 64"));
}

QTEST_GUILESS_MAIN(TestMakeDemoCli)
#include "tst_make_demo_cli.moc"

// Tests of `florence-cli make-demo-dataset`: exit codes and the folder it writes.

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

Run runCli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(FLORENCE_CLI), QStringList{QStringLiteral("make-demo-dataset")} + args);
    if (!p.waitForFinished(120000))
        qFatal("florence-cli did not finish");
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestMakeDemoCli : public QObject {
    Q_OBJECT

private slots:
    void usageErrors_data();
    void usageErrors();
    void writesDataset();
    void nonEmptyFolderIsBadInput();

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

QTEST_GUILESS_MAIN(TestMakeDemoCli)
#include "tst_make_demo_cli.moc"

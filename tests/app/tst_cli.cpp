// florence-cli end to end: every subcommand through the real executable, checking exit codes
// (0 ok, 1 bad input/problems, 2 usage) and machine-readable output.

#include "common/cli_run.h"
#include "common/test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = fmwtest::CliRun;

Run cli(const QStringList &args)
{
    return fmwtest::runCli(args);
}

QJsonObject json(const QByteArray &bytes)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &e);
    if (e.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s", qPrintable(e.errorString()), bytes.constData());
    return doc.object();
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void version();
    void usageErrors_data();
    void usageErrors();
    void demoDatasetChecksClean();
    void brokenDatasetReportsFileAndLine();
    void imageInfoAndRender();
    void imageInfoNeverPrintsPhi();
    void unreadableImageIsBadInput();
};

void TestCli::version()
{
    const Run r = cli({"--version"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.startsWith("florence-cli " FMW_VERSION), r.out.constData());
    QVERIFY(r.out.contains("LibTorch"));
}

void TestCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no command") << QStringList{};
    QTest::newRow("unknown command") << QStringList{"frobnicate"};
    QTest::newRow("dataset without subcommand") << QStringList{"dataset"};
    QTest::newRow("check without dir") << QStringList{"dataset", "check"};
    QTest::newRow("image-info unknown option") << QStringList{"image-info", "x.png", "--bogus"};
    QTest::newRow("render without --out") << QStringList{"render", "x.png"};
    QTest::newRow("render bad window") << QStringList{"render", "x.png", "--out", "y.png", "--window", "40"};
    QTest::newRow("demo without --out") << QStringList{"make-demo-dataset"};
    QTest::newRow("demo bad count") << QStringList{"make-demo-dataset", "--out", "/tmp/x", "--count", "many"};
}

void TestCli::usageErrors()
{
    QFETCH(QStringList, args);
    const Run r = cli(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(!r.err.isEmpty(), "a usage error must say what is wrong");
}

void TestCli::demoDatasetChecksClean()
{
    QTemporaryDir dir;
    const QString out = dir.filePath("demo");
    Run r = cli({"make-demo-dataset", "--out", out, "--count", "12", "--seed", "7"});
    QVERIFY2(r.code == 0, r.err.constData());
    r = cli({"dataset", "check", out, "--json"});
    QVERIFY2(r.code == 0, r.out.constData());
    const QJsonObject report = json(r.out);
    QVERIFY(report.value("records").toInt() >= 12);
    QCOMPARE(report.value("images").toInt(), 12);
    QCOMPARE(report.value("problems").toArray().size(), 0);
    r = cli({"dataset", "stats", out});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("<CAPTION>"));
}

void TestCli::brokenDatasetReportsFileAndLine()
{
    QTemporaryDir dir;
    QDir(dir.path()).mkpath("images");
    QFile f(dir.filePath("train.jsonl"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"image\": \"a.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"ok\"}\n"
            "{\"image\": \"b.png\", \"prefix\": \n");
    f.close();
    const Run r = cli({"dataset", "check", dir.path(), "--json"});
    QCOMPARE(r.code, 1);
    const QJsonArray problems = json(r.out).value("problems").toArray();
    bool malformedLine2 = false, missingImage = false;
    for (const QJsonValue &v : problems) {
        const QJsonObject p = v.toObject();
        if (p.value("file").toString() == "train.jsonl" && p.value("line").toInt() == 2)
            malformedLine2 = true;
        if (p.value("kind").toString() == "missing-image" && p.value("line").toInt() == 1)
            missingImage = true;
    }
    QVERIFY2(malformedLine2, r.out.constData());
    QVERIFY2(missingImage, r.out.constData());
}

void TestCli::imageInfoAndRender()
{
    const QString file = QStringLiteral(
        "/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm");
    QVERIFY2(QFileInfo::exists(file), "python3-pydicom's test corpus is a test dependency");
    Run r = cli({"image-info", file, "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject info = json(r.out);
    QCOMPARE(info.value("width").toInt(), 64);
    QCOMPARE(info.value("height").toInt(), 64);

    QTemporaryDir dir;
    const QString a = dir.filePath("a.png"), b = dir.filePath("b.png");
    QCOMPARE(cli({"render", file, "--out", a}).code, 0);
    QCOMPARE(cli({"render", file, "--out", b, "--window", "600,400"}).code, 0);
    QImage ia(a), ib(b);
    QCOMPARE(ia.size(), QSize(64, 64));
    QVERIFY2(ia != ib, "a window override must change the rendered pixels");
}

void TestCli::imageInfoNeverPrintsPhi()
{
    // MR_small carries a patient name; only the tag's presence may be reported.
    const QString file = QStringLiteral(
        "/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm");
    const Run r = cli({"image-info", file, "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject info = json(r.out);
    QVERIFY(info.value("phi_tags").toArray().contains(QJsonValue("PatientName")));
    QVERIFY2(!r.out.contains("CompressedSamples"), r.out.constData());
}

void TestCli::unreadableImageIsBadInput()
{
    QTemporaryDir dir;
    QFile f(dir.filePath("garbage.png"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not an image");
    f.close();
    const Run r = cli({"image-info", f.fileName()});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("garbage.png"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

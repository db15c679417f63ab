// The florence-workbench executable: --screenshot renders offscreen and exits 0 with a PNG
// of the 1400x900 window (on a given folder and on the bundled demo dataset); errors exit 1
// with a message; --version names the runtime.

#include "ui_test_data.h"

#include <QDirIterator>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

class TestWorkbenchApp : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void screenshotOfFolder_data();
    void screenshotOfFolder();
    void screenshotOfBundledDemo();
    void errorsExitOne_data();
    void errorsExitOne();
    void version();

private:
    struct Run {
        int exitCode = -1;
        QString out;
        QString err;
    };
    Run run(const QStringList &args);

    QTemporaryDir m_home;
    QTemporaryDir m_dataset;
};

void TestWorkbenchApp::initTestCase()
{
    QVERIFY(m_home.isValid());
    QVERIFY(m_dataset.isValid());
    fmwtest::UiDataset::write(m_dataset.path());
    QVERIFY(QFileInfo(QStringLiteral(FMW_WORKBENCH_PATH)).isExecutable());
}

TestWorkbenchApp::Run TestWorkbenchApp::run(const QStringList &args)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Settings and the demo copy go into a throw-away home; the executable picks the
    // offscreen platform itself for --screenshot.
    env.insert(QStringLiteral("HOME"), m_home.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(FMW_WORKBENCH_PATH), args);
    Run r;
    if (!process.waitForFinished(180000)) {
        process.kill();
        process.waitForFinished();
        r.err = QStringLiteral("did not finish");
        return r;
    }
    r.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    r.out = QString::fromUtf8(process.readAllStandardOutput());
    r.err = QString::fromUtf8(process.readAllStandardError());
    return r;
}

void TestWorkbenchApp::screenshotOfFolder_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::newRow("first image") << QStringList{};
    QTest::newRow("named DICOM image") << QStringList{QStringLiteral("--image"), QStringLiteral("chest_c.dcm")};
}

void TestWorkbenchApp::screenshotOfFolder()
{
    QFETCH(QStringList, extra);
    const QString out = m_home.filePath(QStringLiteral("folder.png"));
    QFile::remove(out);
    const Run r = run(QStringList{QStringLiteral("--open"), m_dataset.path(), QStringLiteral("--screenshot"), out} + extra);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QImage shot(out);
    QVERIFY(!shot.isNull());
    QCOMPARE(shot.size(), QSize(1400, 900));
    // Not a blank window: the viewer, the docks and the image give many distinct colours.
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 7)
        for (int x = 0; x < shot.width(); x += 7)
            colours.insert(shot.pixel(x, y));
    QVERIFY(colours.size() > 50);
}

void TestWorkbenchApp::screenshotOfBundledDemo()
{
    const QString demoRoot = QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset");
    QVERIFY2(!QDir(demoRoot).entryList({QStringLiteral("*.jsonl")}, QDir::Files).isEmpty(),
             "resources/demo-dataset has no *.jsonl: the bundled demo is missing");
    const QString out = m_home.filePath(QStringLiteral("demo.png"));
    const Run r = run({QStringLiteral("--screenshot"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(QImage(out).size(), QSize(1400, 900));
    // The writable copy of the demo was made under the (test) application data folder.
    bool copied = false;
    QDirIterator it(m_home.filePath(QStringLiteral("data")), {QStringLiteral("*.jsonl")}, QDir::Files,
                    QDirIterator::Subdirectories);
    copied = it.hasNext();
    QVERIFY(copied);
}

void TestWorkbenchApp::errorsExitOne_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString out = m_home.filePath(QStringLiteral("never.png"));
    QTest::newRow("missing folder") << QStringList{"--open", m_home.filePath("nope"), "--screenshot", out} << 1
                                    << "no such folder";
    QTest::newRow("unknown image") << QStringList{"--open", m_dataset.path(), "--image", "zzz.png", "--screenshot", out}
                                   << 1 << "has no image zzz.png";
    QTest::newRow("unwritable output")
        << QStringList{"--open", m_dataset.path(), "--screenshot", m_home.filePath("no/such/dir/x.png")} << 1
        << "cannot write the screenshot";
    QTest::newRow("unknown option") << QStringList{"--bogus"} << 2 << "bogus";
    QTest::newRow("no display, no --screenshot") << QStringList{"--open", m_dataset.path()} << 1 << "no display";
}

void TestWorkbenchApp::errorsExitOne()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = run(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(m_home.filePath(QStringLiteral("never.png"))));
}

void TestWorkbenchApp::version()
{
    const Run r = run({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith(QStringLiteral("florence-workbench " FMW_VERSION)), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("LibTorch")));
}

QTEST_MAIN(TestWorkbenchApp)
#include "tst_workbench_app.moc"

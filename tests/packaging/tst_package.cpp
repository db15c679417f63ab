// The Debian package (label slow): builds it with CPack into a temporary folder, checks its
// contents, its computed dependencies, lintian (no errors; warnings printed), the desktop entry
// and AppStream metainfo validators, the man pages, and runs the packaged programs from an
// extracted copy (no build tree): --version, make-demo-dataset, and a workbench screenshot of
// the demo dataset compiled into it.

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QStandardPaths>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

struct Run {
    int code = -1;
    QString out;
    QString err;
};

Run run(const QString &program, const QStringList &args, int timeoutMs = 600000,
        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    Run r;
    if (!p.waitForStarted(30000)) {
        r.err = QStringLiteral("%1 did not start: %2").arg(program, p.errorString());
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("%1 timed out").arg(program);
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString requireTool(const char *name)
{
    const QString path = QStandardPaths::findExecutable(QLatin1String(name));
    if (path.isEmpty())
        qFatal("%s is not installed (packaging/setup-debian.sh installs it)", name);
    return path;
}

} // namespace

class TestPackage : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void containsEverything();
    void dependenciesComputedFromTheBinaries();
    void lintianReportsNoErrors();
    void desktopEntryAndMetainfoValidate();
    void manPagesFollowTheHelp();
    void packagedProgramsRunWithoutTheBuildTree();

private:
    QString extracted(const QString &relative) const { return m_root.filePath(QStringLiteral("root/") + relative); }

    QTemporaryDir m_root;
    QString m_deb;
    QStringList m_files;
};

void TestPackage::initTestCase()
{
    QVERIFY(m_root.isValid());
    const Run cpack = run(QStringLiteral(FMW_CPACK), {QStringLiteral("--config"),
                                                       QStringLiteral(FMW_BINARY_DIR "/CPackConfig.cmake"),
                                                       QStringLiteral("-B"), m_root.filePath(QStringLiteral("out"))});
    QVERIFY2(cpack.code == 0, qPrintable(cpack.out + cpack.err));
    const QString name = QStringLiteral("florence-workbench_" FMW_VERSION "_amd64.deb");
    m_deb = m_root.filePath(QStringLiteral("out/") + name);
    QVERIFY2(QFileInfo::exists(m_deb), qPrintable(cpack.out));

    const Run contents = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-c"), m_deb});
    QCOMPARE(contents.code, 0);
    for (const QString &line : contents.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        m_files << line.section(QLatin1Char(' '), -1).mid(1); // "./usr/bin/x" -> "/usr/bin/x"
    const Run extract = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-x"), m_deb, m_root.filePath(QStringLiteral("root"))});
    QVERIFY2(extract.code == 0, qPrintable(extract.err));
}

void TestPackage::containsEverything()
{
    const QStringList expected = {
        QStringLiteral("/usr/bin/florence-workbench"),
        QStringLiteral("/usr/bin/florence-cli"),
        QStringLiteral("/usr/share/applications/florence-workbench.desktop"),
        QStringLiteral("/usr/share/icons/hicolor/scalable/apps/florence-workbench.svg"),
        QStringLiteral("/usr/share/icons/hicolor/48x48/apps/florence-workbench.png"),
        QStringLiteral("/usr/share/icons/hicolor/256x256/apps/florence-workbench.png"),
        QStringLiteral("/usr/share/metainfo/io.github.florence_workbench.metainfo.xml"),
        QStringLiteral("/usr/share/man/man1/florence-cli.1.gz"),
        QStringLiteral("/usr/share/man/man1/florence-workbench.1.gz"),
        QStringLiteral("/usr/share/florence-workbench/configs/config.yaml"),
        QStringLiteral("/usr/share/florence-workbench/configs/demo.yaml"),
        QStringLiteral("/usr/share/florence-workbench/demo-dataset/train.jsonl"),
        QStringLiteral("/usr/share/doc/florence-workbench/copyright"),
        QStringLiteral("/usr/share/doc/florence-workbench/changelog.gz"),
    };
    for (const QString &path : expected)
        QVERIFY2(m_files.contains(path), qPrintable(path + QStringLiteral(" missing from the package")));
    // Every bundled demo image, and nothing from a build tree or a home folder.
    const QDir images(QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset/images"));
    for (const QString &image : images.entryList(QDir::Files))
        QVERIFY2(m_files.contains(QStringLiteral("/usr/share/florence-workbench/demo-dataset/images/") + image),
                 qPrintable(image));
    for (const QString &path : m_files)
        QVERIFY2(path.startsWith(QStringLiteral("/usr/")), qPrintable(path));
    // The sized icons are the sizes they claim.
    for (int size : {16, 32, 48, 64, 128, 256}) {
        const QImage icon(extracted(QStringLiteral("usr/share/icons/hicolor/%1x%1/apps/florence-workbench.png").arg(size)));
        QCOMPARE(icon.size(), QSize(size, size));
    }
}

void TestPackage::dependenciesComputedFromTheBinaries()
{
    const Run depends = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-f"), m_deb, QStringLiteral("Depends")});
    QCOMPARE(depends.code, 0);
    for (const char *library : {"libqt6widgets6", "libqt6core6", "libtorch", "libdcmtk", "libopencv-core",
                                "libyaml-cpp", "libqcustomplot"})
        QVERIFY2(depends.out.contains(QLatin1String(library)), qPrintable(depends.out));
}

void TestPackage::lintianReportsNoErrors()
{
    const Run lintian = run(requireTool("lintian"), {QStringLiteral("--tag-display-limit"), QStringLiteral("0"), m_deb});
    const QStringList lines = lintian.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines)
        qInfo("lintian: %s", qPrintable(line));
    for (const QString &line : lines)
        QVERIFY2(!line.startsWith(QStringLiteral("E:")), qPrintable(line));
    QVERIFY2(lintian.code == 0, qPrintable(lintian.out + lintian.err));
}

void TestPackage::desktopEntryAndMetainfoValidate()
{
    const Run desktop = run(requireTool("desktop-file-validate"),
                            {extracted(QStringLiteral("usr/share/applications/florence-workbench.desktop"))});
    QVERIFY2(desktop.code == 0 && desktop.out.trimmed().isEmpty(), qPrintable(desktop.out + desktop.err));
    const Run metainfo = run(requireTool("appstreamcli"),
                             {QStringLiteral("validate"), QStringLiteral("--no-net"),
                              extracted(QStringLiteral("usr/share/metainfo/io.github.florence_workbench.metainfo.xml"))});
    QVERIFY2(metainfo.code == 0, qPrintable(metainfo.out + metainfo.err));
    // The metainfo carries this version.
    QFile xml(extracted(QStringLiteral("usr/share/metainfo/io.github.florence_workbench.metainfo.xml")));
    QVERIFY(xml.open(QIODevice::ReadOnly));
    QVERIFY(xml.readAll().contains("<release version=\"" FMW_VERSION "\""));
}

void TestPackage::manPagesFollowTheHelp()
{
    const Run man = run(QStringLiteral("gzip"), {QStringLiteral("-dc"), extracted(QStringLiteral("usr/share/man/man1/florence-cli.1.gz"))});
    QCOMPARE(man.code, 0);
    QVERIFY(man.out.contains(QStringLiteral(".TH FLORENCE-CLI \"1\"")));
    // Every command of --help is in the page (help2man escapes "-" as "\-").
    const Run help = run(extracted(QStringLiteral("usr/bin/florence-cli")), {QStringLiteral("--help")});
    QCOMPARE(help.code, 0);
    for (const char *command : {"make-demo-dataset", "predict-split", "train", "evaluate", "image-info"})
        QVERIFY2(help.out.contains(QLatin1String(command)) && QString(man.out).remove(QLatin1Char('\\')).contains(QLatin1String(command)),
                 command);
}

void TestPackage::packagedProgramsRunWithoutTheBuildTree()
{
    // From the extracted copy, in a folder of its own, with HOME elsewhere: nothing can come
    // from the source or build tree.
    QTemporaryDir work;
    QVERIFY(work.isValid());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), work.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), work.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), work.filePath(QStringLiteral("config")));
    const QString cli = extracted(QStringLiteral("usr/bin/florence-cli"));
    const Run version = run(cli, {QStringLiteral("--version")}, 60000, env);
    QCOMPARE(version.code, 0);
    QVERIFY(version.out.startsWith(QStringLiteral("florence-cli " FMW_VERSION)));
    const QString demo = work.filePath(QStringLiteral("demo"));
    const Run made = run(cli, {QStringLiteral("make-demo-dataset"), QStringLiteral("--out"), demo,
                               QStringLiteral("--count"), QStringLiteral("4")}, 120000, env);
    QVERIFY2(made.code == 0, qPrintable(made.err));
    QVERIFY(QFileInfo::exists(demo + QStringLiteral("/train.jsonl")));
    const QString shot = work.filePath(QStringLiteral("shot.png"));
    const Run screenshot = run(extracted(QStringLiteral("usr/bin/florence-workbench")),
                               {QStringLiteral("--screenshot"), shot}, 180000, env);
    QVERIFY2(screenshot.code == 0, qPrintable(screenshot.err));
    QVERIFY(!QImage(shot).isNull());
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"

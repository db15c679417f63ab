// florence-workbench: the GUI entry point. Parses the command line, opens a dataset folder
// (the bundled demo dataset by default) and, with --screenshot, renders the main window
// offscreen into a PNG once everything on screen has loaded, then exits.

#include "demo/bundled_demo.h"
#include "engine/process_setup.h"
#include "engine/runtime.h"
#include "ui/main_window.h"
#include "ui/record_list_model.h"
#include "ui/workbench_style.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>
#include <cstring>

namespace {

constexpr int kScreenshotTimeoutMs = 120000;

bool hasArg(int argc, char **argv, const char *name)
{
    const size_t n = std::strlen(name);
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], name, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
            return true;
    return false;
}

void printError(const QString &message)
{
    std::fprintf(stderr, "florence-workbench: %s\n", qPrintable(message));
}

QString versionText()
{
    return QStringLiteral("florence-workbench %1 (LibTorch %2, Qt %3)")
        .arg(QStringLiteral(FMW_VERSION), QString::fromStdString(fmw::engine::torchVersion()),
             QString::fromLatin1(qVersion()));
}

// The image the screenshot shows when none is named: the first with boxes and a caption.
QString screenshotImage(const fmw::ui::RecordListModel &model)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row);
        if (index.data(fmw::ui::RecordListModel::BoxCountRole).toInt() > 0
            && index.data(fmw::ui::RecordListModel::PrefixesRole).toStringList().size() > 1)
            return model.imageAt(row);
    }
    return {};
}

} // namespace

int main(int argc, char **argv)
{
    // before anything allocates: the model runs faster on huge-page malloc
    fmw::engine::enableHugePageMalloc(argc, argv);
    // Headless runs (screenshots, --help, --version) need no display unless one was chosen.
    // Without any display, start offscreen anyway so usage errors still get a message.
    const bool screenshotMode = hasArg(argc, argv, "--screenshot");
    const bool infoOnly = hasArg(argc, argv, "--help") || hasArg(argc, argv, "-h")
                          || hasArg(argc, argv, "--version");
    const bool haveDisplay = !qEnvironmentVariableIsEmpty("DISPLAY")
                             || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    bool noDisplay = false;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && !hasArg(argc, argv, "-platform")
        && (screenshotMode || infoOnly || !haveDisplay)) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        noDisplay = !screenshotMode && !infoOnly;
    }

    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Florence Medical Workbench"));
    QApplication::setApplicationName(QStringLiteral("florence-workbench"));
    QApplication::setApplicationVersion(QStringLiteral(FMW_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Curate chest X-ray datasets and fine-tune Florence-2.\n"
                       "Opens DIR, or the bundled demo dataset when none is given."));
    parser.addHelpOption();
    const QCommandLineOption versionOption(QStringLiteral("version"), QStringLiteral("Print the version."));
    const QCommandLineOption openOption(QStringLiteral("open"), QStringLiteral("Dataset folder to open."),
                                        QStringLiteral("DIR"));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Render the main window offscreen into OUT.png once loaded, then exit."),
        QStringLiteral("OUT.png"));
    const QCommandLineOption imageOption(
        QStringLiteral("image"),
        QStringLiteral("Image to select (path under images/). Default: the first one; with "
                       "--screenshot, the first with boxes and captions."),
        QStringLiteral("NAME"));
    parser.addOptions({versionOption, openOption, screenshotOption, imageOption});
    if (!parser.parse(QApplication::arguments())) {
        printError(parser.errorText());
        std::fputs(qPrintable(parser.helpText()), stderr);
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    if (parser.isSet(versionOption)) {
        std::printf("%s\n", qPrintable(versionText()));
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("unexpected argument '%1' (use --open DIR)").arg(parser.positionalArguments().first()));
        return 2;
    }

    if (noDisplay && !parser.isSet(screenshotOption)) {
        printError(QStringLiteral("no display (DISPLAY and WAYLAND_DISPLAY are unset): start it in a "
                                  "desktop session, or render offscreen with --screenshot OUT.png"));
        return 1;
    }

    fmw::ui::applyWorkbenchStyle(app);
    fmw::ui::MainWindow window;
    const bool screenshot = parser.isSet(screenshotOption);
    window.setInteractive(!screenshot);

    QString dir = parser.value(openOption);
    if (dir.isEmpty()) {
        const fmw::Result<QString> demo = fmw::demo::ensureDemoCopy();
        if (!demo) {
            const QString message = QStringLiteral("cannot prepare the bundled demo dataset: %1")
                                        .arg(QString::fromStdString(demo.error().toString()));
            printError(message);
            if (screenshot)
                return 1;
            QMessageBox::warning(nullptr, QStringLiteral("Demo Dataset"), message);
        } else {
            dir = demo.value();
        }
    } else if (!QFileInfo(dir).isDir()) {
        printError(QStringLiteral("%1: no such folder").arg(dir));
        if (screenshot)
            return 1;
        dir.clear();
    }

    const QString image = parser.value(imageOption);
    QObject::connect(&window, &fmw::ui::MainWindow::datasetOpened, &window, [&] {
        QString wanted = image;
        if (wanted.isEmpty() && screenshot)
            wanted = screenshotImage(*window.recordModel());
        if (!wanted.isEmpty() && !window.selectImage(wanted)) {
            printError(QStringLiteral("%1 has no image %2").arg(window.document()->rootDir(), wanted));
            if (screenshot)
                QApplication::exit(1);
        }
    });

    if (screenshot) {
        const QString out = parser.value(screenshotOption);
        QObject::connect(&window, &fmw::ui::MainWindow::errorReported, &app, [](const QString &message) {
            printError(message);
        });
        QObject::connect(&window, &fmw::ui::MainWindow::datasetOpenFailed, &app, [] { QApplication::exit(1); });
        // One shot: the first time everything on screen has loaded.
        auto *connection = new QMetaObject::Connection;
        *connection = QObject::connect(&window, &fmw::ui::MainWindow::settled, &app, [&, connection] {
            QObject::disconnect(*connection);
            delete connection;
            const fmw::Status saved = window.saveScreenshot(out);
            if (!saved) {
                printError(QString::fromStdString(saved.error().toString()));
                QApplication::exit(1);
                return;
            }
            std::printf("%s\n", qPrintable(QDir::toNativeSeparators(out)));
            QApplication::exit(0);
        });
        QTimer::singleShot(kScreenshotTimeoutMs, &app, [] {
            printError(QStringLiteral("timed out waiting for the dataset and image to load"));
            QApplication::exit(1);
        });
        window.resize(1400, 900);
    } else {
        window.restoreLayout();
    }

    window.show();
    if (!dir.isEmpty())
        window.openFolder(dir);
    return app.exec();
}

// screenshot-tour: regenerates the README's screenshots (resources/screenshots/) by driving
// the real workbench offscreen: the browser, box editing, a demo training with live plots,
// a preview with predicted boxes and the compare view. Not a test; run it by hand:
//   build/tests/ui/screenshot-tour --dataset DIR --model CHECKPOINT --config YAML --out DIR
// DIR: a writable copy of resources/demo-dataset; CHECKPOINT: a demo model trained on
// <CAPTION> and <OD> (README, Training); YAML: a short demo training config.

#include "ui/box_edit_controller.h"
#include "ui/compare_view.h"
#include "ui/loss_chart.h"
#include "ui/main_window.h"
#include "ui/model_runner.h"
#include "ui/preview_panel.h"
#include "ui/record_list_panel.h"
#include "ui/training_panel.h"
#include "ui/workbench_style.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTableView>
#include <QTabWidget>
#include <QTest>

#include <cstdio>

namespace {

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "screenshot-tour: %s\n", qPrintable(message));
    std::exit(1);
}

// Spins the event loop until `done` holds (or fails after `ms`).
template <typename F>
void waitFor(F done, int ms, const char *what)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > ms)
            fail(QStringLiteral("timed out waiting for %1").arg(QLatin1String(what)));
        QTest::qWait(50);
    }
}

void shoot(fmw::ui::MainWindow &window, const QString &dir, const QString &name)
{
    QTest::qWait(300); // let throttled charts and thumbnails repaint
    const QString path = dir + QLatin1Char('/') + name;
    const fmw::Status saved = window.saveScreenshot(path);
    if (!saved)
        fail(QString::fromStdString(saved.error().toString()));
    std::printf("wrote %s\n", qPrintable(path));
}

void raiseDock(fmw::ui::MainWindow &window, const char *name)
{
    auto *dock = window.findChild<QDockWidget *>(QLatin1String(name));
    if (!dock)
        fail(QStringLiteral("no dock %1").arg(QLatin1String(name)));
    dock->show();
    dock->raise();
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Florence Medical Workbench screenshots"));
    QApplication::setApplicationName(QStringLiteral("screenshot-tour"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption datasetOpt(QStringLiteral("dataset"), QStringLiteral("Dataset folder (a copy)."), QStringLiteral("DIR"));
    const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("Trained demo checkpoint."), QStringLiteral("DIR"));
    const QCommandLineOption configOpt(QStringLiteral("config"), QStringLiteral("Demo training config."), QStringLiteral("YAML"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Image to show."), QStringLiteral("NAME"),
                                      QStringLiteral("demo-0021.png"));
    const QCommandLineOption outOpt(QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR"));
    parser.addOptions({datasetOpt, modelOpt, configOpt, imageOpt, outOpt});
    parser.process(app);
    for (const auto &opt : {datasetOpt, modelOpt, configOpt, outOpt})
        if (!parser.isSet(opt))
            fail(QStringLiteral("--%1 is required").arg(opt.names().first()));
    const QString out = parser.value(outOpt);
    const QString image = parser.value(imageOpt);

    fmw::ui::applyWorkbenchStyle(app);
    fmw::ui::MainWindow window;
    window.setInteractive(false);
    window.resize(1400, 900);
    window.show();
    QSignalSpy opened(&window, &fmw::ui::MainWindow::datasetOpened);
    window.openFolder(parser.value(datasetOpt));
    if (!opened.wait(30000))
        fail(QStringLiteral("the dataset did not open"));
    if (!window.selectImage(image))
        fail(QStringLiteral("no image %1").arg(image));
    waitFor([&] { return window.isSettled() && window.currentImage() == image; }, 30000, "the image");

    // 1. The browser: grid of thumbnails, filters, problems.
    window.recordList()->setGridMode(true);
    waitFor([&] { return window.isSettled(); }, 30000, "thumbnails");
    shoot(window, out, QStringLiteral("main-window.png"));
    window.recordList()->setGridMode(false);

    // 2. Box editing: the first box selected, its handles and the <loc_N> preview.
    raiseDock(window, "boxDock");
    window.boxEditor()->selectBox(0);
    shoot(window, out, QStringLiteral("box-editing.png"));

    // 3. Preview: the model's boxes over the image, next to the reference boxes.
    fmw::ui::PreviewPanel *preview = window.previewPanel();
    fmw::ui::ModelSpec spec = preview->modelSpec();
    spec.model = parser.value(modelOpt);
    preview->setModelSpec(spec);
    preview->setDecoding({1, 64});
    preview->setTask(QStringLiteral("<OD>"));
    raiseDock(window, "previewDock");
    window.boxEditor()->selectBox(-1);
    preview->run();
    waitFor([&] { return !preview->isRunning() && !preview->resultText().isEmpty(); }, 120000, "the preview");
    shoot(window, out, QStringLiteral("preview.png"));

    // 4. Compare: captions over the test split, worst first, the worst one side by side.
    window.showComparePanel();
    fmw::ui::CompareView *compare = window.compareView();
    compare->setModelSpec(spec);
    compare->setDecoding({1, 64});
    compare->setSplit(fmw::Split::Test);
    compare->setTask(QStringLiteral("<CAPTION>"));
    QSignalSpy ready(compare, &fmw::ui::CompareView::reportReady);
    compare->run();
    if (!ready.wait(300000))
        fail(QStringLiteral("compare did not finish: %1").arg(compare->statusText()));
    compare->table()->setCurrentIndex(compare->table()->model()->index(0, 0));
    shoot(window, out, QStringLiteral("compare.png"));

    // 5. Training: the demo run from the panel, a few epochs into it.
    window.showTrainingPanel();
    fmw::ui::TrainingPanel *training = window.trainingPanel();
    if (!training->loadConfig(parser.value(configOpt)))
        fail(QStringLiteral("cannot load %1").arg(parser.value(configOpt)));
    training->start();
    auto *valChart = training->findChild<fmw::ui::LossChart *>(QStringLiteral("valLossPlot"));
    if (!valChart)
        fail(QStringLiteral("no validation chart"));
    waitFor([&] { return valChart->pointCount(1) >= 4; }, 900000, "four epochs"); // series 1: validation
    shoot(window, out, QStringLiteral("training.png"));
    training->stopAndWait();
    return 0;
}

// The training panel driven like a user: load a demo config through the path field, start a
// short run, watch the loss plot fill, stop it (a checkpoint is written), find the run in the
// history and resume it to the end. Also: the form's round trip (keys it does not show are
// kept) and its error messages, the model folder check, the chart's throttled replot, and the
// runs model under QAbstractItemModelTester while it changes.

#include "dialog_answerer.h"
#include "engine/training/checkpoint_dir.h"
#include "engine/training/demo_model.h"
#include "training/training_config.h"
#include "ui/loss_chart.h"
#include "ui/model_folder_check.h"
#include "ui/runs_model.h"
#include "ui/training_config_form.h"
#include "ui/training_panel.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtEndian>
#include <QtTest/QtTest>

using namespace fmw;
using fmw::ui::TrainingPanel;

using fmwtest::DialogAnswerer;

class TestTrainingPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void startPlotStopResume();
    void closingWhileTrainingStopsGracefully();
    void twoProcessesStopResumePlotRankZero();
    void formRoundTripKeepsOtherKeys();
    void formErrorsNameKeyAndLine();
    void modelFolderCheck();
    void chartReplotsAreThrottled();
    void runsModelUnderTester();

private:
    QString writeConfig(const QString &name, int epochs, const QString &extra = {});
    static void writeFile(const QString &path, const QByteArray &bytes);
    static void typeInto(QWidget *panel, const QString &objectName, const QString &text);
    template <typename T> static T *child(QWidget *panel, const QString &name)
    {
        auto *w = panel->findChild<T *>(name);
        if (!w)
            qFatal("no child %s", qPrintable(name));
        return w;
    }

    QTemporaryDir m_tmp;
    QString m_model;
};

void TestTrainingPanel::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = m_tmp.filePath(QStringLiteral("model"));
    training::DemoModelOptions o;
    o.imageSize = 64;
    const std::vector<std::string> corpus {"Cardiomegaly.", "No acute cardiopulmonary abnormality.",
        "Right pneumothorax.", "Small right pleural effusion.", "Endotracheal tube in place."};
    const auto written = training::writeDemoModel(m_model.toStdString(), corpus, o);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());
    QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("configs"))));
}

void TestTrainingPanel::writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(bytes);
}

// A tiny, fast run on the bundled demo dataset (as tests/core/training does).
QString TestTrainingPanel::writeConfig(const QString &name, int epochs, const QString &extra)
{
    const QString demo = QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset");
    const QString path = m_tmp.filePath(QStringLiteral("configs/") + name + QStringLiteral(".yaml"));
    writeFile(path,
        QStringLiteral(
            "train_json: %1/train.jsonl\nval_json: %1/val.jsonl\nimage_dir: %1/images\n"
            "model_name: %2\noutput_dir: %3\nfinetune: full\nrandom_init: true\nprecision: fp32\n"
            "batch_size: 16\nepochs: %4\nlr: 1.0e-3\nthreads: 1\nnum_workers: 1\npreview_samples: 1\n"
            "prefixes: [<CAPTION>]\n%5")
            .arg(
                demo, m_model, m_tmp.filePath(QStringLiteral("runs/") + name), QString::number(epochs), extra)
            .toUtf8());
    return path;
}

void TestTrainingPanel::typeInto(QWidget *panel, const QString &objectName, const QString &text)
{
    auto *edit = child<QLineEdit>(panel, objectName);
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

void TestTrainingPanel::startPlotStopResume()
{
    TrainingPanel panel;
    QAbstractItemModelTester tester(panel.runsModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    panel.resize(1280, 860);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    auto *start = child<QPushButton>(&panel, QStringLiteral("startButton"));
    auto *stop = child<QPushButton>(&panel, QStringLiteral("stopButton"));
    auto *resume = child<QPushButton>(&panel, QStringLiteral("resumeButton"));
    auto *lossPlot = child<QCustomPlot>(&panel, QStringLiteral("lossPlot"));
    auto *valLossPlot = child<QCustomPlot>(&panel, QStringLiteral("valLossPlot"));
    auto *lrPlot = child<QCustomPlot>(&panel, QStringLiteral("lrPlot"));
    auto *runsTable = child<QTableView>(&panel, QStringLiteral("runsTable"));
    QVERIFY(!start->isEnabled()); // no config yet
    QVERIFY(!stop->isEnabled());

    // load the config through the path field
    const QString config = writeConfig(QStringLiteral("run"), 3);
    typeInto(&panel, QStringLiteral("configPathEdit"), config);
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("loadConfigButton")), Qt::LeftButton);
    QCOMPARE(panel.configForm()->configPath(), config);
    QCOMPARE(child<QLineEdit>(&panel, QStringLiteral("modelFolderEdit"))->text(), m_model);
    QVERIFY(start->isEnabled());
    QVERIFY(!resume->isEnabled()); // nothing trained yet
    // the model check runs off the GUI thread and reports the demo model's size
    auto *modelInfo = child<QLabel>(&panel, QStringLiteral("modelInfoLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(modelInfo->text().contains(QLatin1String("parameters")), 60000);

    QSignalSpy finished(&panel, &TrainingPanel::trainingFinished);
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY(panel.isTraining());
    QVERIFY(!start->isEnabled());
    QVERIFY(stop->isEnabled());
    QVERIFY(!child<QWidget>(&panel, QStringLiteral("trainingConfigForm"))->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(lossPlot->graph(0)->dataCount() >= 2, 300000);
    QVERIFY(lrPlot->graph(0)->dataCount() >= 1);
    QVERIFY(child<QProgressBar>(&panel, QStringLiteral("trainingProgress"))->value() >= 1);
    QVERIFY(!child<QLabel>(&panel, QStringLiteral("etaLabel"))->text().isEmpty());
    QVERIFY(child<QLabel>(&panel, QStringLiteral("samplesPerSecondLabel"))
                ->text()
                .contains(QLatin1String("samples/s")));

    // graceful stop (unless the short run has already ended)
    if (stop->isEnabled())
        QTest::mouseClick(stop, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 300000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY(!panel.isTraining());
    QVERIFY(start->isEnabled());
    QVERIFY(!stop->isEnabled());
    qInfo("first run: %s", qPrintable(finished.first().at(1).toString()));

    const QString runDir = m_tmp.filePath(QStringLiteral("runs/run"));
    const auto checkpoints
        = training::listCheckpointDirs((runDir + QStringLiteral("/checkpoints")).toStdString());
    QVERIFY(!checkpoints.empty());
    QVERIFY(checkpoints.back().complete);
    QVERIFY(QFileInfo(runDir + QStringLiteral("/checkpoints/last")).isDir());
    QVERIFY(child<QPlainTextEdit>(&panel, QStringLiteral("trainingLog"))
                ->toPlainText()
                .contains(QLatin1String("checkpoint")));

    // the history lists the run with its checkpoint
    QTRY_COMPARE_WITH_TIMEOUT(runsTable->model()->rowCount(), 1, 30000);
    const QModelIndex runIndex = runsTable->model()->index(0, ui::RunsModel::NameColumn);
    QCOMPARE(runIndex.data().toString(), QStringLiteral("run"));
    QVERIFY(runIndex.data(ui::RunsModel::HasCheckpointRole).toBool());
    QVERIFY(runIndex.data(ui::RunsModel::ConfigYamlRole).toString().contains(QLatin1String("epochs: 3")));

    // resume it to the end
    QTest::mouseClick(runsTable->viewport(), Qt::LeftButton, {}, runsTable->visualRect(runIndex).center());
    QVERIFY(child<QPlainTextEdit>(&panel, QStringLiteral("runDetails"))->toPlainText().contains(runDir));
    QVERIFY(resume->isEnabled());
    finished.clear();
    QTest::mouseClick(resume, Qt::LeftButton);
    QVERIFY(panel.isTraining());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 300000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY2(finished.first().at(1).toString().contains(QLatin1String("finished after 3 epochs")),
        qPrintable(finished.first().at(1).toString()));
    QVERIFY(QFile::exists(runDir + QStringLiteral("/checkpoints/epoch_3/checkpoint.json")));
    QVERIFY(lossPlot->graph(0)->dataCount() >= 3);
    QVERIFY(valLossPlot->graph(0)->dataCount() >= 1); // train loss per epoch
    QVERIFY(valLossPlot->graph(1)->dataCount() >= 1); // validation loss per epoch
    QVERIFY(child<QTreeWidget>(&panel, QStringLiteral("previewList"))->topLevelItemCount() >= 1);
    QTRY_COMPARE_WITH_TIMEOUT(runsTable->model()->index(0, ui::RunsModel::StateColumn).data().toString(),
        QStringLiteral("finished"), 30000);
}

// Data parallel from the panel: 2 local processes (florence-cli train --nproc 2) started,
// plotted (rank 0's steps), stopped (all ranks at one step, a checkpoint), resumed to the end.
void TestTrainingPanel::twoProcessesStopResumePlotRankZero()
{
    TrainingPanel panel;
    panel.setLauncherProgram(QStringLiteral(FMW_CLI_PATH));
    panel.resize(1280, 860);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *processes = child<QSpinBox>(&panel, QStringLiteral("processesSpin"));
    processes->setFocus();
    processes->selectAll();
    QTest::keyClicks(processes, QStringLiteral("2"));
    QCOMPARE(panel.processes(), 2);
    const QString config = writeConfig(QStringLiteral("parallel"), 10);
    {
        QFile f(config);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll().replace("batch_size: 16", "batch_size: 4"); // per process
        f.close();
        writeFile(config, text);
    }
    QVERIFY(panel.loadConfig(config));
    auto *lossPlot = child<QCustomPlot>(&panel, QStringLiteral("lossPlot"));
    auto *log = child<QPlainTextEdit>(&panel, QStringLiteral("trainingLog"));

    QSignalSpy finished(&panel, &TrainingPanel::trainingFinished);
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("startButton")), Qt::LeftButton);
    QVERIFY(panel.isTraining());
    QVERIFY(!processes->isEnabled());
    QTRY_VERIFY2_WITH_TIMEOUT(lossPlot->graph(0)->dataCount() >= 2 || !panel.isTraining(),
        qPrintable(log->toPlainText()), 300000);
    QVERIFY2(panel.isTraining(), qPrintable(log->toPlainText()));
    QVERIFY(log->toPlainText().contains(QLatin1String("starting 2 ranks on this machine")));
    QVERIFY(log->toPlainText().contains(QLatin1String("data parallel: rank 0 of 2 (gloo")));
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("stopButton")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 300000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY2(finished.first().at(1).toString().contains(QLatin1String("stopped")),
        qPrintable(finished.first().at(1).toString()));
    const QString runDir = m_tmp.filePath(QStringLiteral("runs/parallel"));
    QVERIFY(QFileInfo(runDir + QStringLiteral("/checkpoints/last")).isDir());
    QVERIFY(processes->isEnabled());

    finished.clear();
    panel.refreshRuns();
    auto *resume = child<QPushButton>(&panel, QStringLiteral("resumeButton"));
    QTRY_VERIFY_WITH_TIMEOUT(resume->isEnabled(), 30000);
    QTest::mouseClick(resume, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 300000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY2(finished.first().at(1).toString().contains(QLatin1String("finished after 10 epochs")),
        qPrintable(finished.first().at(1).toString()));
    // one point per optimizer step of rank 0: 38 <CAPTION> records, 8 per step, 10 epochs
    QFile metrics(runDir + QStringLiteral("/metrics.jsonl"));
    QVERIFY(metrics.open(QIODevice::ReadOnly));
    const int steps = static_cast<int>(metrics.readAll().count("\"type\":\"step\""));
    QCOMPARE(steps, 50);
    QCOMPARE(lossPlot->graph(0)->dataCount(), steps);
}

void TestTrainingPanel::closingWhileTrainingStopsGracefully()
{
    auto *panel = new TrainingPanel;
    panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel));
    QVERIFY(panel->loadConfig(writeConfig(QStringLiteral("close"), 3)));
    auto *lossPlot = child<QCustomPlot>(panel, QStringLiteral("lossPlot"));
    const QString checkpoints = m_tmp.filePath(QStringLiteral("runs/close/checkpoints"));

    QTest::mouseClick(child<QPushButton>(panel, QStringLiteral("startButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(lossPlot->graph(0)->dataCount() >= 1, 300000);
    {
        // "No" keeps the run going (unless it ended meanwhile: then nothing is asked)
        DialogAnswerer no(QStringLiteral("stopTrainingQuestion"), QMessageBox::No);
        const bool wasTraining = panel->isTraining();
        const bool close = panel->confirmClose();
        QCOMPARE(close, !wasTraining);
        QCOMPARE(no.shown, wasTraining ? 1 : 0);
    }
    {
        DialogAnswerer yes(QStringLiteral("stopTrainingQuestion"), QMessageBox::Yes);
        QVERIFY(panel->confirmClose());
        QVERIFY(!panel->isTraining());
    }
    QVERIFY(QFileInfo(checkpoints + QStringLiteral("/last")).isDir());
    QVERIFY(child<QPushButton>(panel, QStringLiteral("startButton"))->isEnabled());

    // a new run in the same folder asks first; Cancel keeps the old run
    {
        DialogAnswerer cancel(QStringLiteral("replaceRunQuestion"), QMessageBox::Cancel);
        QTest::mouseClick(child<QPushButton>(panel, QStringLiteral("startButton")), Qt::LeftButton);
        QCOMPARE(cancel.shown, 1);
        QVERIFY(!panel->isTraining());
    }
    // destroying the panel mid-run stops the run and waits for its checkpoint
    {
        DialogAnswerer replace(QStringLiteral("replaceRunQuestion"), QMessageBox::Yes);
        QTest::mouseClick(child<QPushButton>(panel, QStringLiteral("startButton")), Qt::LeftButton);
        QCOMPARE(replace.shown, 1);
    }
    QVERIFY(panel->isTraining());
    QTRY_VERIFY_WITH_TIMEOUT(lossPlot->graph(0)->dataCount() >= 1, 300000);
    delete panel;
    const auto written = training::listCheckpointDirs(checkpoints.toStdString());
    QVERIFY(!written.empty());
    for (const auto &c : written)
        QVERIFY2(c.complete, c.problem.c_str());
}

void TestTrainingPanel::formRoundTripKeepsOtherKeys()
{
    TrainingPanel panel;
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    // keep_last_checkpoints and max_bad_steps have no field in the form
    const QString config = writeConfig(
        QStringLiteral("roundtrip"), 2, QStringLiteral("keep_last_checkpoints: 7\nmax_bad_steps: 9\n"));
    typeInto(&panel, QStringLiteral("configPathEdit"), config);
    QTest::keyClick(child<QLineEdit>(&panel, QStringLiteral("configPathEdit")), Qt::Key_Return);
    QCOMPARE(panel.configForm()->configPath(), config);

    auto *batch = child<QSpinBox>(&panel, QStringLiteral("batchSizeSpin"));
    QCOMPARE(batch->value(), 16);
    batch->setFocus();
    batch->selectAll();
    QTest::keyClicks(batch, QStringLiteral("4"));
    QCOMPARE(batch->value(), 4);
    QVERIFY(panel.configForm()->isModified());
    typeInto(&panel, QStringLiteral("lrEdit"), QStringLiteral("3e-4"));

    const QString saved = m_tmp.filePath(QStringLiteral("configs/saved.yaml"));
    typeInto(&panel, QStringLiteral("configPathEdit"), saved);
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("saveConfigButton")), Qt::LeftButton);
    QVERIFY2(
        QFile::exists(saved), qPrintable(child<QLabel>(&panel, QStringLiteral("configStatusLabel"))->text()));
    QVERIFY(!panel.configForm()->isModified());
    const auto options = training::loadTrainingConfig(saved);
    QVERIFY2(options.ok(), options.ok() ? "" : options.error().toString().c_str());
    QCOMPARE(options->batchSize, int64_t(4));
    QCOMPARE(options->lr, 3e-4);
    QCOMPARE(options->keepLastCheckpoints, int64_t(7));
    QCOMPARE(options->maxBadSteps, int64_t(9));
    QCOMPARE(QString::fromStdString(options->modelName), m_model);
    QCOMPARE(options->prefixes, std::vector<std::string> {"<CAPTION>"});

    // loading it back shows the saved values
    const auto original = training::loadTrainingConfig(config);
    QVERIFY(original.ok());
    QVERIFY(panel.loadConfig(config));
    QCOMPARE(batch->value(), 16);
    QVERIFY(panel.loadConfig(saved));
    QCOMPARE(batch->value(), 4);
    QCOMPARE(training::differingKeys(*original, *options),
        (QStringList {QStringLiteral("batch_size"), QStringLiteral("lr")}));
}

void TestTrainingPanel::formErrorsNameKeyAndLine()
{
    TrainingPanel panel;
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *status = child<QLabel>(&panel, QStringLiteral("configStatusLabel"));

    // a bad value in the file: the message names the file, the line and the key
    const QString bad = m_tmp.filePath(QStringLiteral("configs/bad.yaml"));
    writeFile(bad, "train_json: a.jsonl\nimage_dir: images\nbatch_size: many\nmodel_name: m\n");
    typeInto(&panel, QStringLiteral("configPathEdit"), bad);
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("loadConfigButton")), Qt::LeftButton);
    QVERIFY2(status->text().contains(QLatin1String("bad.yaml:3:")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("batch_size")), qPrintable(status->text()));
    QVERIFY(panel.configForm()->configPath().isEmpty());

    // a bad value in a field: Validate names the key
    QVERIFY(panel.loadConfig(writeConfig(QStringLiteral("validate"), 1)));
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("validateButton")), Qt::LeftButton);
    QVERIFY2(status->text().startsWith(QLatin1String("Valid")), qPrintable(status->text()));
    typeInto(&panel, QStringLiteral("lrEdit"), QStringLiteral("fast"));
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("validateButton")), Qt::LeftButton);
    QVERIFY2(status->text().contains(QLatin1String("lr: ")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("fast")), qPrintable(status->text()));
    // Start refuses an invalid form and says why
    QTest::mouseClick(child<QPushButton>(&panel, QStringLiteral("startButton")), Qt::LeftButton);
    QVERIFY(!panel.isTraining());
    QVERIFY(
        child<QLabel>(&panel, QStringLiteral("trainingStatusLabel"))->text().contains(QLatin1String("lr: ")));
}

void TestTrainingPanel::modelFolderCheck()
{
    // the demo folder: no weights by design, size counted from the config
    const auto demo = ui::checkModelFolder(m_model);
    QVERIFY2(demo.usable(), qPrintable(demo.summary()));
    QVERIFY(demo.demo);
    QVERIFY(demo.parameters > 0);

    // an empty folder: every missing file named
    QTemporaryDir empty;
    const auto none = ui::checkModelFolder(empty.path());
    QVERIFY(!none.usable());
    const QString problems = none.problems.join(QLatin1Char('\n'));
    for (const char *file : {"config.json", "weights", "tokenizer", "preprocessor_config.json"})
        QVERIFY2(problems.contains(QLatin1String(file)), qPrintable(problems));

    // a folder with a safetensors file: parameters from its header, bytes from its size
    QTemporaryDir folder;
    for (const char *file : {"config.json", "tokenizer.json", "preprocessor_config.json"})
        writeFile(folder.filePath(QLatin1String(file)), "{}");
    const QByteArray header = R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                              R"("b":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}})";
    QByteArray bytes(8, '\0');
    qToLittleEndian<quint64>(header.size(), bytes.data());
    bytes += header + QByteArray(40, '\0');
    writeFile(folder.filePath(QStringLiteral("model.safetensors")), bytes);
    const auto real = ui::checkModelFolder(folder.path());
    QVERIFY2(real.usable(), qPrintable(real.summary()));
    QCOMPARE(real.parameters, qint64(10));
    QCOMPARE(real.weightsBytes, qint64(bytes.size()));
    QVERIFY(real.summary().contains(QLatin1String("model.safetensors")));

    // not a folder and not a hub id
    QVERIFY(!ui::checkModelFolder(m_tmp.filePath(QStringLiteral("no/such/thing"))).usable());
}

void TestTrainingPanel::chartReplotsAreThrottled()
{
    ui::LossChart chart;
    const int series = chart.addSeries(QStringLiteral("loss"), Qt::blue, 0.9);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QSignalSpy replots(&chart, &QCustomPlot::afterReplot);
    replots.clear();
    // 200 batches with no event loop in between: data grows, nothing is redrawn yet
    for (int i = 0; i < 200; ++i)
        chart.append(
            series, QVector<double> {2.0 * i, 2.0 * i + 1}, QVector<double> {1.0 / (i + 1), 0.5 / (i + 1)});
    QCOMPARE(chart.pointCount(series), 400);
    QCOMPARE(chart.smoothedGraph(series)->dataCount(), 400);
    QCOMPARE(replots.size(), 0);
    QTRY_VERIFY(replots.size() >= 1);
    // the EMA starts at the first value and stays within the data's range
    const double first = chart.smoothedGraph(series)->data()->at(0)->value;
    QCOMPARE(first, 1.0);
    const double lastSmoothed = chart.smoothedGraph(series)->data()->at(399)->value;
    QVERIFY(lastSmoothed > 0 && lastSmoothed < 1.0);
    chart.clearPoints();
    QCOMPARE(chart.pointCount(series), 0);
}

void TestTrainingPanel::runsModelUnderTester()
{
    ui::RunsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ui::RunInfo a;
    a.name = QStringLiteral("a");
    a.path = QStringLiteral("/runs/a");
    a.state = QStringLiteral("stopped");
    a.lastCheckpoint = QStringLiteral("step_3");
    ui::RunInfo b = a;
    b.name = QStringLiteral("b");
    b.path = QStringLiteral("/runs/b");
    b.epochs = 4;
    b.epochsDone = 2;
    b.bestValLoss = 1.25;
    model.setRuns({a, b});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(1, ui::RunsModel::EpochsColumn).data().toString(), QStringLiteral("2/4"));
    QCOMPARE(model.index(1, ui::RunsModel::ValLossColumn).data().toString(), QStringLiteral("1.2500"));

    // changed in place: the row stays (and so would a selection)
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    b.epochsDone = 3;
    ui::RunInfo c = a;
    c.name = QStringLiteral("c");
    c.path = QStringLiteral("/runs/c");
    c.lastCheckpoint.clear();
    model.setRuns({b, c}); // a removed, b changed, c added
    QCOMPARE(reset.size(), 0);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowOf(QStringLiteral("/runs/a")), -1);
    QCOMPARE(
        model.index(model.rowOf(QStringLiteral("/runs/b")), ui::RunsModel::EpochsColumn).data().toString(),
        QStringLiteral("3/4"));
    QVERIFY(!model.index(model.rowOf(QStringLiteral("/runs/c")), 0)
                 .data(ui::RunsModel::HasCheckpointRole)
                 .toBool());
    QVERIFY(changed.size() >= 1);

    model.setActiveRun(QStringLiteral("/runs/c"));
    QCOMPARE(
        model.index(model.rowOf(QStringLiteral("/runs/c")), ui::RunsModel::StateColumn).data().toString(),
        QStringLiteral("running"));
    model.setActiveRun(QString());
    QCOMPARE(
        model.index(model.rowOf(QStringLiteral("/runs/c")), ui::RunsModel::StateColumn).data().toString(),
        QStringLiteral("stopped"));
    model.setRuns({});
    QCOMPARE(model.rowCount(), 0);
}

QTEST_MAIN(TestTrainingPanel)
#include "tst_training_panel.moc"

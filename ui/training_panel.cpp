#include "ui/training_panel.h"

#include "training/training_session.h"
#include "ui/loss_chart.h"
#include "ui/training_config_form.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace fmw::ui {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}


// the YAML double-quoted form of a path, for a --set override
QString quotedPath(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

enum EpochSeries { TrainSeries, ValSeries };

} // namespace

TrainingPanel::TrainingPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("trainingPanel"));
    m_session = new training::TrainingSession(this);
    m_session->setStepInterval(100); // steps arrive in batches, ten a second at most
    m_runs = new RunsModel(this);
    buildUi();

    connect(m_session, &training::TrainingSession::logLine, this, &TrainingPanel::appendLog);
    connect(m_session, &training::TrainingSession::stepProgress, this, &TrainingPanel::onSteps);
    connect(m_session, &training::TrainingSession::epochFinished, this, &TrainingPanel::onEpoch);
    connect(m_session, &training::TrainingSession::finished, this, &TrainingPanel::onFinished);

    connect(m_form, &TrainingConfigForm::loaded, this, &TrainingPanel::refreshRuns);
    connect(m_form, &TrainingConfigForm::saved, this, &TrainingPanel::refreshRuns);
    connect(m_form, &TrainingConfigForm::loaded, this, &TrainingPanel::updateButtons);
    connect(m_form, &TrainingConfigForm::saved, this, &TrainingPanel::updateButtons);
    connect(&m_scanWatcher, &QFutureWatcher<QVector<RunInfo>>::finished, this, [this] {
        if (m_scanAgain) {
            m_scanAgain = false;
            refreshRuns();
            return;
        }
        m_runs->setRuns(m_scanWatcher.result());
        showRunDetails();
        updateButtons();
    });
    setState(State::Idle);
}

TrainingPanel::~TrainingPanel()
{
    if (isTraining())
        stopAndWait();
    m_scanWatcher.waitForFinished();
}

void TrainingPanel::buildUi()
{
    // Left: the config form, scrollable
    m_form = new TrainingConfigForm;
    auto *formScroll = new QScrollArea(this);
    formScroll->setObjectName(QStringLiteral("trainingConfigScroll"));
    formScroll->setWidget(m_form);
    formScroll->setWidgetResizable(true);
    formScroll->setFrameShape(QFrame::NoFrame);
    formScroll->setMinimumWidth(360);

    // Right, top: the controls
    m_start = new QPushButton(tr("&Start"), this);
    m_start->setObjectName(QStringLiteral("startButton"));
    m_start->setToolTip(tr("Start a new run with the form's settings"));
    m_stop = new QPushButton(tr("St&op"), this);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setToolTip(tr("Stop after the current step; a checkpoint is written to resume from"));
    m_resume = new QPushButton(tr("&Resume"), this);
    m_resume->setObjectName(QStringLiteral("resumeButton"));
    m_resume->setToolTip(tr("Continue the selected run (or the output folder's) from its last checkpoint"));
    m_processes = new QSpinBox(this);
    m_processes->setObjectName(QStringLiteral("processesSpin"));
    m_processes->setRange(1, 64);
    m_processes->setPrefix(tr("processes: "));
    m_processes->setToolTip(tr("Data parallel: train in this many processes on this machine (CPU: Gloo, "
                               "sharing the cores; CUDA: one per GPU with NCCL). batch_size is per process; "
                               "the charts follow rank 0."));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("trainingProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("step %v of %m"));
    m_speed = new QLabel(this);
    m_speed->setObjectName(QStringLiteral("samplesPerSecondLabel"));
    m_speed->setToolTip(tr("Training samples per second"));
    m_eta = new QLabel(this);
    m_eta->setObjectName(QStringLiteral("etaLabel"));
    m_eta->setToolTip(tr("Estimated time to the end of the run"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("trainingStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_start);
    controls->addWidget(m_stop);
    controls->addWidget(m_resume);
    controls->addWidget(m_processes);
    controls->addWidget(m_progress, 1);
    controls->addWidget(m_speed);
    controls->addWidget(m_eta);

    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::start);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    connect(m_resume, &QPushButton::clicked, this, &TrainingPanel::resume);

    // Charts
    m_lossPlot = new LossChart(this);
    m_lossPlot->setObjectName(QStringLiteral("lossPlot"));
    m_lossPlot->setAxisLabels(tr("optimizer step"), tr("train loss"));
    m_lossPlot->addSeries(tr("loss"), QColor(0x1f, 0x77, 0xb4), 0.8);
    m_epochPlot = new LossChart(this);
    m_epochPlot->setObjectName(QStringLiteral("valLossPlot"));
    m_epochPlot->setAxisLabels(tr("epoch"), tr("loss"));
    m_epochPlot->setIntegerKeys(true);
    m_epochPlot->addSeries(tr("train"), QColor(0x1f, 0x77, 0xb4), 0, true);
    m_epochPlot->addSeries(tr("validation"), QColor(0xd6, 0x27, 0x28), 0, true);
    m_lrPlot = new LossChart(this);
    m_lrPlot->setObjectName(QStringLiteral("lrPlot"));
    m_lrPlot->setAxisLabels(tr("optimizer step"), tr("learning rate"));
    m_lrPlot->addSeries(tr("lr"), QColor(0x2c, 0xa0, 0x2c));
    auto *smallCharts = new QSplitter(Qt::Horizontal, this);
    smallCharts->addWidget(m_epochPlot);
    smallCharts->addWidget(m_lrPlot);
    auto *charts = new QSplitter(Qt::Vertical, this);
    charts->addWidget(m_lossPlot);
    charts->addWidget(smallCharts);
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 2);

    // Bottom tabs: log, previews, runs
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("trainingLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(20000);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_previews = new QTreeWidget(this);
    m_previews->setObjectName(QStringLiteral("previewList"));
    m_previews->setHeaderLabels({tr("Epoch"), tr("Image"), tr("Task"), tr("Generated"), tr("Reference")});
    m_previews->setRootIsDecorated(false);
    m_previews->setAlternatingRowColors(true);
    m_previews->setWordWrap(true);
    for (int column : {0, 1, 2})
        m_previews->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_previews->header()->resizeSection(3, 320);

    m_runsProxy = new QSortFilterProxyModel(this);
    m_runsProxy->setSourceModel(m_runs);
    m_runsProxy->setSortRole(RunsModel::SortRole);
    m_runsView = new QTableView(this);
    m_runsView->setObjectName(QStringLiteral("runsTable"));
    m_runsView->setModel(m_runsProxy);
    m_runsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_runsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_runsView->setSortingEnabled(true);
    m_runsView->sortByColumn(RunsModel::ModifiedColumn, Qt::DescendingOrder);
    m_runsView->verticalHeader()->hide();
    m_runsView->horizontalHeader()->setStretchLastSection(true);
    m_runsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_runDetails = new QPlainTextEdit(this);
    m_runDetails->setObjectName(QStringLiteral("runDetails"));
    m_runDetails->setReadOnly(true);
    m_runDetails->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_runDetails->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto *refresh = new QPushButton(tr("Refresh"), this);
    refresh->setObjectName(QStringLiteral("refreshRunsButton"));
    refresh->setToolTip(tr("Read the run folders again"));
    connect(refresh, &QPushButton::clicked, this, &TrainingPanel::refreshRuns);
    connect(m_runsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showRunDetails();
        updateButtons();
    });
    auto *runsSplit = new QSplitter(Qt::Horizontal, this);
    runsSplit->addWidget(m_runsView);
    runsSplit->addWidget(m_runDetails);
    runsSplit->setStretchFactor(0, 3);
    runsSplit->setStretchFactor(1, 2);
    auto *runsPage = new QWidget(this);
    auto *runsLayout = new QVBoxLayout(runsPage);
    runsLayout->setContentsMargins(0, 4, 0, 0);
    auto *runsBar = new QHBoxLayout;
    runsBar->addStretch(1);
    runsBar->addWidget(refresh);
    runsLayout->addLayout(runsBar);
    runsLayout->addWidget(runsSplit, 1);

    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("trainingTabs"));
    tabs->addTab(m_log, tr("Log"));
    tabs->addTab(m_previews, tr("Previews"));
    tabs->addTab(runsPage, tr("Runs"));

    auto *rightSplit = new QSplitter(Qt::Vertical, this);
    rightSplit->addWidget(charts);
    rightSplit->addWidget(tabs);
    rightSplit->setStretchFactor(0, 3);
    rightSplit->setStretchFactor(1, 2);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(controls);
    rightLayout->addWidget(m_status);
    rightLayout->addWidget(rightSplit, 1);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(formScroll);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(split);
}

void TrainingPanel::setDatasetRoot(const QString &root)
{
    m_form->setDatasetRoot(root);
    refreshRuns();
}

bool TrainingPanel::loadConfig(const QString &path)
{
    return m_form->load(path);
}

void TrainingPanel::setRunsRoot(const QString &root)
{
    m_runsRoot = root;
    refreshRuns();
}

QString TrainingPanel::runsRoot() const
{
    if (!m_runsRoot.isEmpty())
        return m_runsRoot;
    const QString output = outputDir();
    return output.isEmpty() ? QString() : QFileInfo(output).absolutePath();
}

QString TrainingPanel::outputDir() const
{
    // with a file loaded the reader resolves the folder as the run will; else only an absolute one
    if (!m_form->configPath().isEmpty()) {
        if (const auto options = m_form->validate())
            return QDir::cleanPath(fromStd(options->outputDir));
    }
    const QString typed = m_form->outputDirText();
    return QDir::isAbsolutePath(typed) ? QDir::cleanPath(typed) : QString();
}

void TrainingPanel::setProcesses(int processes)
{
    m_processes->setValue(processes);
}

int TrainingPanel::processes() const
{
    return m_processes->value();
}

bool TrainingPanel::isTraining() const
{
    return m_session->isRunning();
}

void TrainingPanel::stopAndWait()
{
    if (!m_session->isRunning())
        return;
    appendLog(tr("stopping after the current step and waiting for the checkpoint…"));
    m_session->requestStop();
    m_session->wait();
    // the worker's last signals are queued to this object: apply them now
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

bool TrainingPanel::confirmClose()
{
    if (!isTraining())
        return true;
    QMessageBox box(QMessageBox::Question, tr("Training is running"),
        tr("A training run is in progress. Stop it and close?"), QMessageBox::Yes | QMessageBox::No, this);
    box.setObjectName(QStringLiteral("stopTrainingQuestion"));
    box.setInformativeText(
        tr("The current step finishes and a checkpoint is written; Resume continues from it."));
    box.setDefaultButton(QMessageBox::No);
    if (box.exec() != QMessageBox::Yes)
        return false;
    stopAndWait();
    return true;
}

void TrainingPanel::start()
{
    if (m_state != State::Idle)
        return;
    const auto options = m_form->validate();
    if (!options) {
        m_form->validateAndShow();
        m_status->setText(tr("The config is not valid: %1").arg(fromStd(options.error().toString())));
        return;
    }
    // a fresh run in a folder that holds one replaces its metrics and, step by step, its checkpoints
    const QString outputDir = QDir::cleanPath(fromStd(options->outputDir));
    // (the `last` link alone: no metrics file is read on the GUI thread)
    if (const QFileInfo last(outputDir + QStringLiteral("/checkpoints/last"));
        last.isSymLink() && last.isDir()) {
        QMessageBox box(QMessageBox::Warning, tr("Output folder in use"),
            tr("%1 already holds a run (last checkpoint %2).")
                .arg(QDir::toNativeSeparators(outputDir), QFileInfo(last.symLinkTarget()).fileName()),
            QMessageBox::Yes | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("replaceRunQuestion"));
        box.setInformativeText(
            tr("Starting anew there replaces its metrics, and its checkpoints as the new run "
               "writes its own. To keep it, Resume it or choose another output folder."));
        box.button(QMessageBox::Yes)->setText(tr("Start anew"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Yes)
            return;
    }
    clearCharts();
    m_previews->clear();
    launch(QString(), outputDir);
}

void TrainingPanel::resume()
{
    if (m_state != State::Idle)
        return;
    const QString run = resumableRun();
    if (run.isEmpty()) {
        m_status->setText(tr("No run with a checkpoint to resume: select one in Runs."));
        return;
    }
    clearCharts();
    m_previews->clear();
    plotHistory(run);
    launch(run, run);
}

void TrainingPanel::launch(const QString &resumeFrom, const QString &runDir)
{
    if (m_form->configPath().isEmpty()) {
        m_status->setText(
            tr("Save the config to a file first (Save): a run records the file it started from."));
        return;
    }
    training::TrainingRequest request;
    request.configPath = m_form->configPath();
    request.overrides = m_form->overrides();
    request.processes = m_processes->value();
    request.program = m_launcherProgram;
    if (!resumeFrom.isEmpty()) {
        // the run continues in its own folder, whatever the form's output folder says
        request.overrides << QStringLiteral("output_dir=") + quotedPath(runDir);
        request.resumeFrom = resumeFrom;
    }
    QString error;
    if (!m_session->start(request, &error)) {
        m_status->setText(error);
        return;
    }
    m_runDir = QDir::cleanPath(runDir);
    m_runs->setActiveRun(m_runDir);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_speed->clear();
    m_eta->clear();
    appendLog(resumeFrom.isEmpty() ? tr("— starting a run in %1").arg(m_runDir)
                                   : tr("— resuming %1").arg(m_runDir));
    m_status->setText(resumeFrom.isEmpty() ? tr("Starting…") : tr("Resuming…"));
    setState(State::Running);
    emit trainingStarted(m_runDir);
}

void TrainingPanel::stop()
{
    if (m_state != State::Running)
        return;
    m_session->requestStop();
    appendLog(tr("stopping after the current step…"));
    m_status->setText(tr("Stopping after the current step (a checkpoint is written)…"));
    setState(State::Stopping);
}

void TrainingPanel::setState(State state)
{
    const bool wasRunning = m_state != State::Idle;
    m_state = state;
    updateButtons();
    if (wasRunning != (state != State::Idle))
        emit runningChanged(state != State::Idle);
}

void TrainingPanel::updateButtons()
{
    const bool idle = m_state == State::Idle;
    m_start->setEnabled(idle && !m_form->configPath().isEmpty());
    m_stop->setEnabled(m_state == State::Running);
    m_resume->setEnabled(idle && !resumableRun().isEmpty());
    m_processes->setEnabled(idle);
    m_form->setEnabled(idle);
}

void TrainingPanel::appendLog(const QString &line)
{
    m_log->appendPlainText(line);
}

void TrainingPanel::onSteps(const QVector<training::StepReport> &steps)
{
    QVector<double> x, loss, lr;
    x.reserve(steps.size());
    loss.reserve(steps.size());
    lr.reserve(steps.size());
    double speed = 0;
    int speedSteps = 0;
    for (const training::StepReport &s : steps) {
        x << static_cast<double>(s.optimizerStep);
        loss << (s.skipped ? std::nan("") : s.loss);
        lr << s.lr;
        if (s.samplesPerSecond > 0) {
            speed += s.samplesPerSecond;
            ++speedSteps;
        }
    }
    m_lossPlot->append(0, x, loss);
    m_lrPlot->append(0, x, lr);
    const training::StepReport &last = steps.back();
    m_progress->setRange(0, static_cast<int>(std::max<int64_t>(1, last.totalOptimizerSteps)));
    m_progress->setValue(static_cast<int>(last.optimizerStep));
    if (speedSteps > 0)
        m_speed->setText(tr("%1 samples/s").arg(speed / speedSteps, 0, 'f', 1));
    m_eta->setText(tr("ETA %1").arg(training::formatDuration(last.etaSeconds)));
    if (m_state == State::Running)
        m_status->setText(tr("Epoch %1/%2, batch %3/%4, loss %5")
                              .arg(last.epoch)
                              .arg(last.epochs)
                              .arg(last.batch)
                              .arg(last.batchesInEpoch)
                              .arg(last.loss, 0, 'f', 4));
}

void TrainingPanel::onEpoch(const training::EpochReport &e)
{
    const double x = static_cast<double>(e.epoch);
    m_epochPlot->append(TrainSeries, x, e.trainLoss);
    if (e.valLoss)
        m_epochPlot->append(ValSeries, x, *e.valLoss);
    appendLog(training::epochSummary(e));
    for (const training::PreviewSample &p : e.previews) {
        // origin: "val.jsonl:3 (images/demo-0001.png)": the image's name is what a person looks for
        const QString origin = fromStd(p.origin);
        static const QRegularExpression imageInOrigin(QStringLiteral("\\(([^()]*)\\)$"));
        const auto m = imageInOrigin.match(origin);
        const QString image
            = m.hasMatch() ? QFileInfo(m.captured(1)).fileName() : QFileInfo(origin).fileName();
        auto *item = new QTreeWidgetItem(m_previews,
            {QString::number(e.epoch), image, fromStd(p.prefix), fromStd(p.generated), fromStd(p.reference)});
        item->setToolTip(1, origin);
        item->setToolTip(3, fromStd(p.generated));
        item->setToolTip(4, fromStd(p.reference));
        if (p.generated == p.reference) {
            QFont bold = item->font(3);
            bold.setBold(true);
            item->setFont(3, bold);
        }
    }
    m_previews->scrollToBottom();
    emit checkpointWritten(fromStd(e.checkpoint));
    refreshRuns();
}

void TrainingPanel::onFinished(const training::TrainingOutcome &o)
{
    QString message;
    if (!o.ok) {
        message = tr("Training failed: %1").arg(o.error);
    } else {
        const auto &r = o.result;
        const QString how = r.end == training::RunEnd::Finished ? tr("finished")
            : r.end == training::RunEnd::EarlyStopped           ? tr("stopped early (no improvement)")
                                                                : tr("stopped on request");
        message = tr("Training %1 after %2 epochs, %3 optimizer steps")
                      .arg(how)
                      .arg(r.epochsDone)
                      .arg(r.optimizerSteps);
        if (r.bestValLoss)
            message += tr("; best val loss %1").arg(*r.bestValLoss, 0, 'f', 4);
        if (!r.lastCheckpoint.empty())
            message += tr("; last checkpoint %1").arg(fromStd(r.lastCheckpoint));
        m_eta->clear();
    }
    appendLog(message);
    m_status->setText(message);
    m_runs->setActiveRun(QString());
    setState(State::Idle);
    refreshRuns();
    emit trainingFinished(o.ok, message);
}

void TrainingPanel::clearCharts()
{
    m_lossPlot->clearPoints();
    m_epochPlot->clearPoints();
    m_lrPlot->clearPoints();
}

void TrainingPanel::plotHistory(const QString &runDir)
{
    QFile f(QDir(runDir).filePath(QStringLiteral("metrics.jsonl")));
    if (!f.open(QIODevice::ReadOnly))
        return;
    QVector<double> x, loss, lr;
    while (!f.atEnd()) {
        const QJsonObject o = QJsonDocument::fromJson(f.readLine()).object();
        const QString type = o.value(QLatin1String("type")).toString();
        if (type == QLatin1String("step")) {
            x << o.value(QLatin1String("step")).toDouble();
            loss << (o.value(QLatin1String("skipped")).toBool() ? std::nan("")
                                                                : o.value(QLatin1String("loss")).toDouble());
            lr << o.value(QLatin1String("lr")).toDouble();
        } else if (type == QLatin1String("epoch")) {
            const double epoch = o.value(QLatin1String("epoch")).toDouble();
            m_epochPlot->append(TrainSeries, epoch, o.value(QLatin1String("train_loss")).toDouble());
            if (o.value(QLatin1String("val_loss")).isDouble())
                m_epochPlot->append(ValSeries, epoch, o.value(QLatin1String("val_loss")).toDouble());
        }
    }
    m_lossPlot->append(0, x, loss);
    m_lrPlot->append(0, x, lr);
}

void TrainingPanel::refreshRuns()
{
    if (m_scanWatcher.isRunning()) {
        m_scanAgain = true;
        return;
    }
    const QString root = runsRoot();
    m_scanWatcher.setFuture(QtConcurrent::run(scanRuns, root));
}

QString TrainingPanel::selectedRunPath() const
{
    const QModelIndexList rows = m_runsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(RunsModel::PathRole).toString();
}

QString TrainingPanel::resumableRun() const
{
    QString path = selectedRunPath();
    if (path.isEmpty())
        path = outputDir(); // the form's output folder, when the history knows it
    const int row = m_runs->rowOf(path);
    if (row < 0 || !m_runs->index(row, 0).data(RunsModel::HasCheckpointRole).toBool())
        return QString();
    return path;
}

void TrainingPanel::showRunDetails()
{
    const QString path = selectedRunPath();
    const int row = m_runs->rowOf(path);
    m_runDetails->setPlainText(
        row < 0 ? QString() : m_runs->index(row, 0).data(RunsModel::DetailsRole).toString());
}

} // namespace fmw::ui

#pragma once
// TrainingPanel: fine-tuning from the workbench — the config form and model check, Start,
// Stop (graceful: the current step finishes and a checkpoint is written) and Resume, live
// charts of train loss per step (raw and smoothed), loss per epoch and learning rate, speed,
// ETA, progress, the trainer's log, preview captions per epoch, and the runs history. The run
// itself is core's TrainingSession on its worker thread; this panel only listens.

#include "ui/runs_model.h"

#include <QFutureWatcher>
#include <QPointer>
#include <QString>
#include <QVector>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTreeWidget;

namespace fmw::training {
class TrainingSession;
struct StepReport;
struct EpochReport;
struct TrainingOutcome;
} // namespace fmw::training

namespace fmw::ui {

class LossChart;
class TrainingConfigForm;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget *parent = nullptr);
    ~TrainingPanel() override; // stops a running training gracefully and waits

    TrainingConfigForm *configForm() const { return m_form; }
    RunsModel *runsModel() const { return m_runs; }

    // Defaults for a new config (train/val JSONL, images, output folder) from the open dataset.
    void setDatasetRoot(const QString &root);
    // Loads a config file into the form (as the Load button does).
    bool loadConfig(const QString &path);
    // The folder whose runs the history lists; empty (default): the output folder's parent.
    void setRunsRoot(const QString &root);
    QString runsRoot() const;

    // Data parallel: runs start as this many local processes (florence-cli train --nproc N),
    // whose rank 0 the charts follow; 1 (default) trains on a thread of this process.
    void setProcesses(int processes);
    int processes() const;
    // The florence-cli that runs several processes (default: the one beside this program).
    void setLauncherProgram(const QString &program) { m_launcherProgram = program; }

    bool isTraining() const;
    // Asks the run to stop after its current step and blocks until it has (checkpoint written).
    void stopAndWait();
    // For the main window's closeEvent: true when nothing runs, or the user agreed to stop the
    // run (then it is stopped and waited for); false keeps the window open.
    bool confirmClose();

public slots:
    void start();
    void stop();
    // Continues the run selected in the history (else the config's output folder) from its
    // last checkpoint, with the form's settings.
    void resume();
    void refreshRuns();

signals:
    void trainingStarted(const QString &runDir);
    void trainingFinished(bool ok, const QString &message);
    void runningChanged(bool running);
    // After each epoch: the checkpoint folder written (e.g. to offer it to the preview panel).
    void checkpointWritten(const QString &checkpointDir);

private:
    enum class State { Idle, Running, Stopping };

    void buildUi();
    void launch(const QString &resumeFrom, const QString &runDir);
    void setState(State state);
    void updateButtons();
    void appendLog(const QString &line);
    void onSteps(const QVector<training::StepReport> &steps);
    void onEpoch(const training::EpochReport &epoch);
    void onFinished(const training::TrainingOutcome &outcome);
    void clearCharts();
    // Plots a run's metrics.jsonl so that a resumed run's curves continue from its history.
    void plotHistory(const QString &runDir);
    // The config's output folder, resolved; empty when unknown.
    QString outputDir() const;
    QString selectedRunPath() const;
    QString resumableRun() const;
    void showRunDetails();

    training::TrainingSession *m_session = nullptr;
    State m_state = State::Idle;
    QString m_runDir; // the run in progress
    QString m_launcherProgram;
    QSpinBox *m_processes = nullptr;
    QString m_runsRoot;

    TrainingConfigForm *m_form = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_resume = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_speed = nullptr;
    QLabel *m_eta = nullptr;
    QLabel *m_status = nullptr;
    LossChart *m_lossPlot = nullptr;
    LossChart *m_epochPlot = nullptr;
    LossChart *m_lrPlot = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QTreeWidget *m_previews = nullptr;
    QTableView *m_runsView = nullptr;
    QPlainTextEdit *m_runDetails = nullptr;
    RunsModel *m_runs = nullptr;
    QSortFilterProxyModel *m_runsProxy = nullptr;
    QFutureWatcher<QVector<RunInfo>> m_scanWatcher;
    bool m_scanAgain = false;
};

} // namespace fmw::ui

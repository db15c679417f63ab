#pragma once
// TrainingSession: one training run on a worker QThread, for the CLI and the workbench. It
// reads the YAML config, builds the JSONL sample sources and runs the engine's Trainer;
// progress arrives as small value structs through queued signals; steps come in batches at
// most every `stepInterval` ms (none lost: a chart plots every one), so a fast run cannot
// flood the GUI's event loop.
// requestStop() is cooperative: the trainer finishes its optimizer step, writes a checkpoint
// and returns (processes: SIGINT, which the launcher passes to every rank). No torch type
// appears here.

#include "engine/training/trainer.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QVector>

#include <atomic>
#include <climits>
#include <memory>
#include <optional>

class QProcess;

namespace fmw::training {

struct TrainingRequest {
    QString configPath;
    QStringList overrides; // "key=value", applied over the file
    QString resumeFrom; // checkpoint, checkpoints or run folder; empty: fresh start
    DistributedSettings distributed; // one rank of a data-parallel run (default: a single process)
    // Data parallel on this machine: more than 1 runs `program train --nproc N --progress-jsonl`
    // (florence-cli; empty: the one beside this executable) instead of a trainer thread, and
    // reports rank 0's progress through the same signals.
    int processes = 1;
    QString program;
};

struct TrainingOutcome {
    bool ok = false;
    QString error; // when !ok
    TrainingResult result; // when ok
    QString runDir;
};

// "45s", "3m07s", "1h05m": durations and ETAs on progress lines (CLI and training panel).
QString formatDuration(double seconds);
// "epoch 2/10 done in 3m07s: train loss 0.4512, val loss 0.3901 (best) -> <checkpoint>": the
// line an epoch ends with (CLI and training panel).
QString epochSummary(const EpochReport &epoch);

class TrainingSession : public QObject {
    Q_OBJECT
public:
    explicit TrainingSession(QObject *parent = nullptr);
    ~TrainingSession() override; // asks a running worker to stop and waits for it

    // Starts a run; false with `error` set when one is already running.
    bool start(const TrainingRequest &request, QString *error = nullptr);
    // Finish the current step, write a checkpoint, end the run. Thread-safe for a trainer
    // thread; a run of processes (SIGINT to the launcher) is stopped from the session's thread.
    void requestStop();
    bool isRunning() const;
    bool wait(unsigned long ms = ULONG_MAX);

    void setStepInterval(int ms) { m_stepIntervalMs = ms; }

signals:
    void logLine(const QString &line);
    // The steps since the previous signal, oldest first (never empty).
    void stepProgress(const QVector<fmw::training::StepReport> &steps);
    void epochFinished(const fmw::training::EpochReport &epoch);
    void finished(const fmw::training::TrainingOutcome &outcome);

private:
    void runWorker(const TrainingRequest &request);
    bool startProcesses(const TrainingRequest &request, QString *error);
    void readProcessOutput();
    void readProcessErrors();
    void processEnded(const QString &failure);

    QThread *m_thread = nullptr;
    QProcess *m_process = nullptr;
    QByteArray m_stdout, m_stderr; // partial lines
    QStringList m_errorLines; // the last few stderr lines, for a failure's message
    std::optional<TrainingOutcome> m_processOutcome; // rank 0's "finished" line
    std::atomic<bool> m_stop {false};
    std::atomic<bool> m_running {false};
    int m_stepIntervalMs = 100;
};

} // namespace fmw::training

Q_DECLARE_METATYPE(fmw::training::StepReport)
Q_DECLARE_METATYPE(QVector<fmw::training::StepReport>)
Q_DECLARE_METATYPE(fmw::training::EpochReport)
Q_DECLARE_METATYPE(fmw::training::TrainingOutcome)

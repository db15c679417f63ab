#pragma once
// RunsModel: the training runs history as a table — one row per run folder (metrics.jsonl and
// checkpoints/ under a runs root, e.g. runs/), with its state, progress, losses, last
// checkpoint and saved config. scanRuns() reads the folders (blocking: call it off the GUI
// thread); setRuns() merges a scan into the rows so that selections survive a refresh.

#include <QAbstractTableModel>
#include <QDateTime>
#include <QString>
#include <QVector>

#include <optional>

namespace fmw::ui {

struct RunInfo {
    QString name; // the folder's name
    QString path; // absolute
    QString state; // "finished", "stopped", "incomplete", "running"
    qint64 epochsDone = 0;
    qint64 epochs = 0; // from the saved config; 0 when unknown
    qint64 steps = 0; // optimizer steps done
    std::optional<double> lastStepLoss;
    std::optional<double> lastTrainLoss; // last epoch's mean
    std::optional<double> bestValLoss;
    QString lastCheckpoint; // folder name ("epoch_3", "step_120"); empty: none complete
    int checkpoints = 0; // complete ones
    QString configYaml; // the last checkpoint's config.yaml
    QString epochTable; // "epoch  train  val" lines from metrics.jsonl
    QDateTime modified;

    bool operator==(const RunInfo &o) const;
    bool operator!=(const RunInfo &o) const { return !(*this == o); }
};

// Every run under `root`: its subfolders that hold metrics.jsonl or checkpoints/ (and `root`
// itself when it is a run). Sorted by name.
QVector<RunInfo> scanRuns(const QString &root);
// One run folder; std::nullopt when it holds neither metrics.jsonl nor checkpoints/.
std::optional<RunInfo> readRun(const QString &path);

class RunsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        StateColumn,
        EpochsColumn,
        StepsColumn,
        TrainLossColumn,
        ValLossColumn,
        CheckpointColumn,
        ModifiedColumn,
        ColumnCount
    };
    enum Role {
        PathRole = Qt::UserRole + 1, // QString
        ConfigYamlRole, // QString
        DetailsRole, // QString: config + per-epoch metrics, for a details pane
        HasCheckpointRole, // bool
        SortRole, // numbers as numbers, times as times
    };

    explicit RunsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Rows for runs gone are removed, changed ones updated, new ones appended.
    void setRuns(const QVector<RunInfo> &runs);
    const QVector<RunInfo> &runs() const { return m_runs; }
    // The run at `path` shows as running (empty: none); survives setRuns.
    void setActiveRun(const QString &path);
    int rowOf(const QString &path) const;

private:
    RunInfo shown(const RunInfo &run) const;

    QVector<RunInfo> m_runs;
    QString m_active;
};

} // namespace fmw::ui

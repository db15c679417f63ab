#include "ui/runs_model.h"

#include "engine/training/checkpoint_dir.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>

namespace fmw::ui {

namespace {

QString readText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QString lossText(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'f', 4) : QString();
}

} // namespace

bool RunInfo::operator==(const RunInfo &o) const
{
    return name == o.name && path == o.path && state == o.state && epochsDone == o.epochsDone
        && epochs == o.epochs && steps == o.steps && lastStepLoss == o.lastStepLoss
        && lastTrainLoss == o.lastTrainLoss && bestValLoss == o.bestValLoss
        && lastCheckpoint == o.lastCheckpoint && checkpoints == o.checkpoints && configYaml == o.configYaml
        && epochTable == o.epochTable && modified == o.modified;
}

std::optional<RunInfo> readRun(const QString &path)
{
    const QDir dir(path);
    const QString metricsPath = dir.filePath(QStringLiteral("metrics.jsonl"));
    const QString checkpointsPath = dir.filePath(QStringLiteral("checkpoints"));
    const bool hasMetrics = QFileInfo(metricsPath).isFile();
    if (!hasMetrics && !QFileInfo(checkpointsPath).isDir())
        return std::nullopt;
    RunInfo run;
    run.path = dir.absolutePath();
    run.name = dir.dirName();
    run.modified = QFileInfo(hasMetrics ? metricsPath : checkpointsPath).lastModified();

    // metrics.jsonl: one JSON object per line, "type" step or epoch (see trainer.cpp)
    QStringList table;
    if (QFile f(metricsPath); f.open(QIODevice::ReadOnly)) {
        while (!f.atEnd()) {
            const QJsonObject o = QJsonDocument::fromJson(f.readLine()).object();
            const QString type = o.value(QLatin1String("type")).toString();
            if (type == QLatin1String("step")) {
                run.steps = std::max<qint64>(run.steps, o.value(QLatin1String("step")).toInteger());
                if (o.value(QLatin1String("loss")).isDouble())
                    run.lastStepLoss = o.value(QLatin1String("loss")).toDouble();
            } else if (type == QLatin1String("epoch")) {
                run.epochsDone
                    = std::max<qint64>(run.epochsDone, o.value(QLatin1String("epoch")).toInteger());
                run.steps = std::max<qint64>(run.steps, o.value(QLatin1String("step")).toInteger());
                run.lastTrainLoss = o.value(QLatin1String("train_loss")).toDouble();
                std::optional<double> val;
                if (o.value(QLatin1String("val_loss")).isDouble()) {
                    val = o.value(QLatin1String("val_loss")).toDouble();
                    if (!run.bestValLoss || *val < *run.bestValLoss)
                        run.bestValLoss = val;
                }
                table << QStringLiteral("%1\t%2\t%3\t%4")
                             .arg(o.value(QLatin1String("epoch")).toInteger(), 5)
                             .arg(*run.lastTrainLoss, 0, 'f', 4)
                             .arg(val ? QString::number(*val, 'f', 4) : QStringLiteral("-"))
                             .arg(o.value(QLatin1String("best")).toBool() ? QStringLiteral("best")
                                                                          : QString());
            }
        }
    }
    if (!table.isEmpty())
        run.epochTable = QStringLiteral("epoch\ttrain\tval\n") + table.join(QLatin1Char('\n'));

    // checkpoints: complete ones only; `last` names the newest
    const auto entries = training::listCheckpointDirs(checkpointsPath.toStdString());
    QString newestComplete;
    for (const auto &e : entries) {
        if (e.complete) {
            ++run.checkpoints;
            newestComplete = QString::fromStdString(e.name);
        }
    }
    const QFileInfo last(QDir(checkpointsPath).filePath(QStringLiteral("last")));
    run.lastCheckpoint = last.isSymLink() && QFileInfo(last.symLinkTarget()).isDir()
        ? QFileInfo(last.symLinkTarget()).fileName()
        : newestComplete;
    if (!run.lastCheckpoint.isEmpty()) {
        run.configYaml
            = readText(QDir(checkpointsPath).filePath(run.lastCheckpoint + QStringLiteral("/config.yaml")));
        static const QRegularExpression epochsLine(
            QStringLiteral("^epochs:\\s*(\\d+)\\s*$"), QRegularExpression::MultilineOption);
        if (const auto m = epochsLine.match(run.configYaml); m.hasMatch())
            run.epochs = m.captured(1).toLongLong();
    }
    if (run.lastCheckpoint.isEmpty())
        run.state = QStringLiteral("incomplete");
    else if (run.epochs > 0 && run.epochsDone >= run.epochs
        && run.lastCheckpoint.startsWith(QLatin1String("epoch_")))
        run.state = QStringLiteral("finished");
    else
        run.state = QStringLiteral("stopped");
    return run;
}

QVector<RunInfo> scanRuns(const QString &root)
{
    QVector<RunInfo> runs;
    if (root.isEmpty())
        return runs;
    const QDir dir(root);
    if (auto self = readRun(dir.absolutePath()))
        runs << *self;
    for (const QString &name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        if (name == QLatin1String("checkpoints"))
            continue;
        if (auto run = readRun(dir.filePath(name)))
            runs << *run;
    }
    return runs;
}

RunsModel::RunsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int RunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_runs.size();
}

int RunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

RunInfo RunsModel::shown(const RunInfo &run) const
{
    RunInfo r = run;
    if (!m_active.isEmpty() && r.path == m_active)
        r.state = QStringLiteral("running");
    return r;
}

QVariant RunsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunInfo r = shown(m_runs[index.row()]);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return r.name;
        case StateColumn:
            return r.state;
        case EpochsColumn:
            return r.epochs > 0 ? QStringLiteral("%1/%2").arg(r.epochsDone).arg(r.epochs)
                                : QString::number(r.epochsDone);
        case StepsColumn:
            return r.steps;
        case TrainLossColumn:
            return lossText(r.lastTrainLoss ? r.lastTrainLoss : r.lastStepLoss);
        case ValLossColumn:
            return lossText(r.bestValLoss);
        case CheckpointColumn:
            return r.lastCheckpoint;
        case ModifiedColumn:
            return QLocale().toString(r.modified, QLocale::ShortFormat);
        }
        return {};
    case SortRole:
        switch (index.column()) {
        case EpochsColumn:
            return r.epochsDone;
        case StepsColumn:
            return r.steps;
        case TrainLossColumn:
            return r.lastTrainLoss ? *r.lastTrainLoss : r.lastStepLoss ? *r.lastStepLoss : 0.0;
        case ValLossColumn:
            return r.bestValLoss ? *r.bestValLoss : 0.0;
        case ModifiedColumn:
            return r.modified;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::ToolTipRole:
        return r.path;
    case Qt::TextAlignmentRole:
        return index.column() >= EpochsColumn && index.column() <= ValLossColumn
            ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
            : QVariant();
    case PathRole:
        return r.path;
    case ConfigYamlRole:
        return r.configYaml;
    case HasCheckpointRole:
        return !r.lastCheckpoint.isEmpty();
    case DetailsRole: {
        QString text = tr("%1\nstate: %2, %3 optimizer steps, last checkpoint: %4\n")
                           .arg(r.path, r.state)
                           .arg(r.steps)
                           .arg(r.lastCheckpoint.isEmpty() ? tr("none") : r.lastCheckpoint);
        if (!r.epochTable.isEmpty())
            text += QLatin1Char('\n') + r.epochTable + QLatin1Char('\n');
        if (!r.configYaml.isEmpty())
            text += QLatin1Char('\n') + r.configYaml;
        return text;
    }
    default:
        return {};
    }
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Run");
    case StateColumn:
        return tr("State");
    case EpochsColumn:
        return tr("Epochs");
    case StepsColumn:
        return tr("Steps");
    case TrainLossColumn:
        return tr("Train loss");
    case ValLossColumn:
        return tr("Best val loss");
    case CheckpointColumn:
        return tr("Last checkpoint");
    case ModifiedColumn:
        return tr("Modified");
    }
    return {};
}

int RunsModel::rowOf(const QString &path) const
{
    for (int i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].path == path)
            return i;
    return -1;
}

void RunsModel::setRuns(const QVector<RunInfo> &runs)
{
    // removed runs, from the back so that rows stay valid
    for (int i = m_runs.size() - 1; i >= 0; --i) {
        const bool kept = std::any_of(
            runs.begin(), runs.end(), [&](const RunInfo &r) { return r.path == m_runs[i].path; });
        if (!kept) {
            beginRemoveRows({}, i, i);
            m_runs.removeAt(i);
            endRemoveRows();
        }
    }
    for (const RunInfo &run : runs) {
        const int row = rowOf(run.path);
        if (row < 0) {
            beginInsertRows({}, m_runs.size(), m_runs.size());
            m_runs.push_back(run);
            endInsertRows();
        } else if (m_runs[row] != run) {
            m_runs[row] = run;
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }
}

void RunsModel::setActiveRun(const QString &path)
{
    const QString before = m_active;
    m_active = path;
    for (const QString &p : {before, path}) {
        const int row = p.isEmpty() ? -1 : rowOf(p);
        if (row >= 0)
            emit dataChanged(index(row, StateColumn), index(row, StateColumn));
    }
}

} // namespace fmw::ui

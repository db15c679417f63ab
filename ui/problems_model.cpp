#include "ui/problems_model.h"

#include "dataset/dataset_document.h"

namespace fmw::ui {

namespace {

const QString kImagesDir = QStringLiteral("images/");

} // namespace

ProblemsModel::ProblemsModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(0);
    connect(&m_refreshTimer, &QTimer::timeout, this, &ProblemsModel::refresh);
}

void ProblemsModel::setDocument(DatasetDocument *document)
{
    if (m_document == document)
        return;
    if (m_document)
        m_document->disconnect(this);
    m_document = document;
    if (document) {
        // A bulk edit (a macro of many records) is one recomputation, not one per record.
        const auto schedule = [this] {
            if (m_paused)
                m_stale = true;
            else
                m_refreshTimer.start();
        };
        connect(document, &DatasetDocument::recordChanged, this, schedule);
        connect(document, &DatasetDocument::recordAdded, this, schedule);
        connect(document, &DatasetDocument::recordRemoved, this, schedule);
        connect(document, &DatasetDocument::saved, this, schedule);
        connect(document, &QObject::destroyed, this, [this] {
            m_refreshTimer.stop();
            beginResetModel();
            m_problems.clear();
            m_images.clear();
            endResetModel();
        });
    }
    refresh();
}

void ProblemsModel::setPaused(bool paused)
{
    m_paused = paused;
    if (paused && m_refreshTimer.isActive()) {
        m_refreshTimer.stop();
        m_stale = true;
    }
    if (!paused && m_stale)
        refresh();
}

void ProblemsModel::refresh()
{
    m_refreshTimer.stop();
    m_stale = false;
    beginResetModel();
    m_problems = m_document ? m_document->problems() : QVector<DatasetProblem>();
    m_images.clear();
    m_images.reserve(m_problems.size());
    for (const DatasetProblem &p : std::as_const(m_problems)) {
        QString image;
        if (p.record != 0 && m_document->contains(p.record))
            image = m_document->record(p.record).image;
        else if (p.kind == DatasetProblem::Kind::ImageWithoutRecord && p.file.startsWith(kImagesDir))
            image = p.file.mid(kImagesDir.size());
        m_images << image;
    }
    endResetModel();
    emit refreshed(int(m_problems.size()));
}

QString ProblemsModel::imageOf(int row) const
{
    return m_images.value(row);
}

int ProblemsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_problems.size());
}

int ProblemsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProblemsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const DatasetProblem &p = m_problems[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KindColumn:
            return problemKindName(p.kind);
        case LocationColumn:
            return p.line > 0 ? QStringLiteral("%1:%2").arg(p.file).arg(p.line) : p.file;
        case ImageColumn:
            return m_images[index.row()];
        case MessageColumn:
            return p.message;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        return QStringLiteral("%1\n%2").arg(p.line > 0 ? QStringLiteral("%1:%2").arg(p.file).arg(p.line) : p.file,
                                            p.message);
    case ImageRole:
        return m_images[index.row()];
    case RecordRole:
        return QVariant::fromValue<quint64>(p.record);
    case FileRole:
        return p.file;
    case LineRole:
        return p.line;
    case KindRole:
        return int(p.kind);
    default:
        return {};
    }
}

QVariant ProblemsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case KindColumn:
        return tr("Kind");
    case LocationColumn:
        return tr("File:Line");
    case ImageColumn:
        return tr("Image");
    case MessageColumn:
        return tr("Message");
    default:
        return {};
    }
}

} // namespace fmw::ui

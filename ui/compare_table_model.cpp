#include "ui/compare_table_model.h"

#include "evaluation/report_export.h"

#include <QBrush>
#include <QColor>

#include <algorithm>

namespace fmw::ui {

CompareTableModel::CompareTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

CompareTableModel::~CompareTableModel() = default;

void CompareTableModel::setReport(std::shared_ptr<const eval::TaskReport> report)
{
    beginResetModel();
    m_report = std::move(report);
    m_rows.clear();
    m_rank.clear();
    m_metrics.clear();
    if (m_report) {
        const int n = int(m_report->samples.size());
        m_rank.assign(size_t(n), n);
        for (size_t k = 0; k < m_report->worstFirst.size(); ++k)
            m_rank[size_t(m_report->worstFirst[k])] = int(k);
        for (int i = 0; i < n; ++i)
            m_metrics.push_back(eval::sampleMetrics(*m_report, i));
        m_rows.resize(size_t(n));
        for (int i = 0; i < n; ++i)
            m_rows[size_t(i)] = i;
        std::stable_sort(m_rows.begin(), m_rows.end(),
            [this](int a, int b) { return m_rank[size_t(a)] < m_rank[size_t(b)]; });
    }
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void CompareTableModel::clear()
{
    setReport(nullptr);
}

int CompareTableModel::sampleAt(int row) const
{
    return row >= 0 && size_t(row) < m_rows.size() ? m_rows[size_t(row)] : -1;
}

int CompareTableModel::rowOf(int sampleIndex) const
{
    const auto it = std::find(m_rows.begin(), m_rows.end(), sampleIndex);
    return it == m_rows.end() ? -1 : int(it - m_rows.begin());
}

int CompareTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CompareTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareTableModel::sortValue(int sample, int column) const
{
    const eval::EvaluationSample &s = m_report->samples[size_t(sample)];
    switch (column) {
    case ImageColumn:
        return QString::fromStdString(s.image);
    case PrefixColumn:
        return QString::fromStdString(s.prefix);
    case ReferenceColumn:
        return QString::fromStdString(s.references.empty() ? std::string() : s.references.front());
    case GeneratedColumn:
        return QString::fromStdString(s.prediction);
    case ExactColumn:
        return m_report->exact[size_t(sample)] ? 1.0 : 0.0;
    default:
        return m_metrics[size_t(sample)][size_t(column - Metric0Column)];
    }
}

QVariant CompareTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_report)
        return {};
    const int sample = m_rows[size_t(index.row())];
    const int column = index.column();
    const eval::EvaluationSample &s = m_report->samples[size_t(sample)];
    switch (role) {
    case Qt::DisplayRole:
        if (column == ExactColumn)
            return m_report->exact[size_t(sample)] ? tr("yes") : tr("no");
        if (column >= Metric0Column)
            return QString::number(m_metrics[size_t(sample)][size_t(column - Metric0Column)], 'f', 3);
        if (column == ReferenceColumn && s.references.size() > 1)
            return tr("%1 (+%2 more)").arg(sortValue(sample, column).toString()).arg(s.references.size() - 1);
        return sortValue(sample, column);
    case Qt::ToolTipRole:
        if (column == ReferenceColumn)
            return QString::fromStdString(eval::joinedReferences(s));
        if (column == GeneratedColumn || column == ImageColumn)
            return sortValue(sample, column);
        return {};
    case Qt::TextAlignmentRole:
        if (column >= ExactColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (column == ExactColumn && m_report->exact[size_t(sample)])
            return QBrush(QColor(0x2e, 0x7d, 0x32));
        return {};
    case SortRole:
        return sortValue(sample, column);
    case SampleRole:
        return sample;
    default:
        return {};
    }
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (section) {
    case ImageColumn:
        return tr("Image");
    case PrefixColumn:
        return tr("Prefix");
    case ReferenceColumn:
        return tr("Reference");
    case GeneratedColumn:
        return tr("Generated");
    case ExactColumn:
        return tr("Exact");
    default:
        break;
    }
    const std::vector<std::string> names = m_report
        ? eval::sampleMetricNames(*m_report)
        : std::vector<std::string> {"BLEU-4", "ROUGE-L", "CIDEr-D", "Finding F1"};
    return QString::fromStdString(names[size_t(section - Metric0Column)]);
}

void CompareTableModel::sort(int column, Qt::SortOrder order)
{
    if (!m_report || column >= ColumnCount)
        return;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    std::vector<int> samplesBefore;
    for (const QModelIndex &i : before)
        samplesBefore.push_back(m_rows[size_t(i.row())]);

    // Ties keep the worst-first order, so equal scores still show the worst case first.
    auto byRank = [this](int a, int b) { return m_rank[size_t(a)] < m_rank[size_t(b)]; };
    std::sort(m_rows.begin(), m_rows.end(), byRank);
    if (column < 0) {
        if (order == Qt::DescendingOrder)
            std::reverse(m_rows.begin(), m_rows.end());
    } else {
        std::stable_sort(m_rows.begin(), m_rows.end(), [&](int a, int b) {
            const QVariant va = sortValue(a, column), vb = sortValue(b, column);
            const bool numeric = column >= ExactColumn;
            const int cmp = numeric ? (va.toDouble() < vb.toDouble() ? -1
                                    : va.toDouble() > vb.toDouble()  ? 1
                                                                     : 0)
                                    : QString::localeAwareCompare(va.toString(), vb.toString());
            return order == Qt::AscendingOrder ? cmp < 0 : cmp > 0;
        });
    }

    QModelIndexList after;
    for (int k = 0; k < before.size(); ++k)
        after << index(rowOf(samplesBefore[size_t(k)]), before[k].column());
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

} // namespace fmw::ui

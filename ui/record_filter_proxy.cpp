#include "ui/record_filter_proxy.h"

#include "ui/record_list_model.h"

#include <algorithm>

namespace fmw::ui {

const QString RecordFilterProxy::kNoRecord = QStringLiteral("none");

RecordFilterProxy::RecordFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setObjectName(QStringLiteral("recordFilterProxy"));
}

void RecordFilterProxy::setSplitFilter(const QString &split)
{
    if (split == m_split)
        return;
    m_split = split;
    invalidateFilter();
}

void RecordFilterProxy::setPrefixFilter(const QString &prefix)
{
    if (prefix == m_prefix)
        return;
    m_prefix = prefix;
    invalidateFilter();
}

void RecordFilterProxy::setBoxesOnly(bool on)
{
    if (on == m_boxesOnly)
        return;
    m_boxesOnly = on;
    invalidateFilter();
}

void RecordFilterProxy::setProblemsOnly(bool on)
{
    if (on == m_problemsOnly)
        return;
    m_problemsOnly = on;
    invalidateFilter();
}

void RecordFilterProxy::setTextFilter(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateFilter();
}

bool RecordFilterProxy::isFiltering() const
{
    return !m_split.isEmpty() || !m_prefix.isEmpty() || m_boxesOnly || m_problemsOnly || !m_text.isEmpty();
}

void RecordFilterProxy::clearFilters()
{
    if (!isFiltering())
        return;
    m_split.clear();
    m_prefix.clear();
    m_boxesOnly = false;
    m_problemsOnly = false;
    m_text.clear();
    invalidateFilter();
}

void RecordFilterProxy::setSortKey(SortKey key)
{
    if (key == m_sortKey && (key == SortKey::Name) == (sortColumn() < 0))
        return;
    m_sortKey = key;
    if (key == SortKey::Name) {
        sort(-1);  // the source order: images sorted by path
        return;
    }
    if (sortColumn() == 0)
        invalidate();  // same column, new comparison: sort() alone would keep the old order
    else
        sort(0, Qt::AscendingOrder);
}

bool RecordFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!isFiltering())
        return true;
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    // Cheapest tests first: the summary roles are cached per image, the text is built.
    if (!m_split.isEmpty()) {
        if (m_split == kNoRecord) {
            if (i.data(RecordListModel::RecordCountRole).toInt() != 0)
                return false;
        } else if (!i.data(RecordListModel::SplitsRole).toStringList().contains(m_split)) {
            return false;
        }
    }
    if (!m_prefix.isEmpty() && !i.data(RecordListModel::PrefixesRole).toStringList().contains(m_prefix))
        return false;
    if (m_boxesOnly && i.data(RecordListModel::BoxCountRole).toInt() <= 0)
        return false;
    if (m_problemsOnly && i.data(RecordListModel::ProblemCountRole).toInt() <= 0)
        return false;
    if (!m_text.isEmpty()
        && !i.data(RecordListModel::SearchTextRole).toString().contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

bool RecordFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const auto name = [](const QModelIndex &i) { return i.data(RecordListModel::ImageRole).toString(); };
    switch (m_sortKey) {
    case SortKey::Name:
        break;
    case SortKey::Split: {
        // Train, val, test, other, then images without a record; an image in several
        // splits sorts by its first.
        const auto key = [](const QModelIndex &i) {
            static const QStringList order = {QStringLiteral("train"), QStringLiteral("val"),
                                              QStringLiteral("test"), QStringLiteral("other")};
            const QStringList splits = i.data(RecordListModel::SplitsRole).toStringList();
            int best = int(order.size());
            for (const QString &s : splits) {
                const int rank = int(order.indexOf(s));
                best = std::min(best, rank < 0 ? int(order.size()) - 1 : rank);
            }
            return best;
        };
        const int a = key(left);
        const int b = key(right);
        if (a != b)
            return a < b;
        break;
    }
    case SortKey::Boxes:
    case SortKey::Problems: {
        const int role = m_sortKey == SortKey::Boxes ? RecordListModel::BoxCountRole : RecordListModel::ProblemCountRole;
        const int a = left.data(role).toInt();
        const int b = right.data(role).toInt();
        if (a != b)
            return a > b;
        break;
    }
    }
    return name(left) < name(right);
}

} // namespace fmw::ui

#pragma once
// RecordFilterProxy: the record list's filters (split, task prefix, has boxes, has problems,
// text in file name and captions) and sort keys (name, split, boxes, problems) over a
// RecordListModel. Filters combine with AND; an empty value means "any".

#include <QSortFilterProxyModel>

namespace fmw::ui {

class RecordFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class SortKey { Name, Split, Boxes, Problems };
    Q_ENUM(SortKey)

    // Split filter value for images that no record names.
    static const QString kNoRecord;  // "none"

    explicit RecordFilterProxy(QObject *parent = nullptr);

    // "train", "val", "test", "other", kNoRecord, or empty for any split.
    void setSplitFilter(const QString &split);
    QString splitFilter() const { return m_split; }
    // A task prefix such as "<OD>", or empty for any.
    void setPrefixFilter(const QString &prefix);
    QString prefixFilter() const { return m_prefix; }
    void setBoxesOnly(bool on);
    bool boxesOnly() const { return m_boxesOnly; }
    void setProblemsOnly(bool on);
    bool problemsOnly() const { return m_problemsOnly; }
    // Case-insensitive substring of the file name or any caption.
    void setTextFilter(const QString &text);
    QString textFilter() const { return m_text; }
    bool isFiltering() const;
    void clearFilters();

    // Name keeps the source order (already sorted by path); boxes and problems put the
    // most first; ties by name.
    void setSortKey(SortKey key);
    SortKey sortKey() const { return m_sortKey; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_split;
    QString m_prefix;
    bool m_boxesOnly = false;
    bool m_problemsOnly = false;
    QString m_text;
    SortKey m_sortKey = SortKey::Name;
};

} // namespace fmw::ui

#pragma once
// RecordItemDelegate: paints one record-list row: thumbnail, file name, and badges for the
// splits, task prefixes and problems of the image; in a grid (QListView::IconMode) a
// thumbnail cell with the name below and a split stripe. Fixed sizes, so the list can use
// uniform item sizes and never asks the model about rows it does not show.

#include <QStyledItemDelegate>

namespace fmw::ui {

class RecordItemDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit RecordItemDelegate(int thumbnailSide, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // Badge text for a prefix: "<DETAILED_CAPTION>" -> "DETAILED", "<OD>" -> "OD".
    static QString prefixBadge(const QString &prefix);

private:
    void paintGridCell(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const;
    static bool isGrid(const QStyleOptionViewItem &option);

    int m_side;
};

} // namespace fmw::ui

#include "ui/record_item_delegate.h"

#include "ui/record_list_model.h"

#include <QApplication>
#include <QPainter>

#include <algorithm>

namespace fmw::ui {

namespace {

constexpr int kPadding = 6;
constexpr int kBadgeHeight = 16;

QColor splitColor(const QString &split)
{
    if (split == QLatin1String("train"))
        return QColor(46, 125, 90);
    if (split == QLatin1String("val"))
        return QColor(160, 110, 30);
    if (split == QLatin1String("test"))
        return QColor(120, 70, 150);
    return QColor(90, 94, 100);
}

// Draws a rounded badge at `x` on the row's badge line; returns the x after it.
int drawBadge(QPainter *p, int x, int y, const QString &text, const QColor &fill, int maxRight)
{
    const QFontMetrics fm(p->font());
    const int w = fm.horizontalAdvance(text) + 10;
    if (x + w > maxRight)
        return x;
    const QRect r(x, y, w, kBadgeHeight);
    p->setPen(Qt::NoPen);
    p->setBrush(fill);
    p->drawRoundedRect(r, 4, 4);
    p->setPen(QColor(235, 236, 238));
    p->drawText(r, Qt::AlignCenter, text);
    return x + w + 4;
}

// The row's or cell's background: highlight when selected, a tint under the mouse.
void paintBackground(QPainter *p, const QStyleOptionViewItem &option)
{
    if (option.state & QStyle::State_Selected)
        p->fillRect(option.rect, option.palette.color(QPalette::Highlight));
    else if (option.state & QStyle::State_MouseOver)
        p->fillRect(option.rect, option.palette.color(QPalette::AlternateBase));
}

// The thumbnail (or the pending placeholder) centred in the dark square `cell`.
void paintThumbnail(QPainter *p, const QModelIndex &index, const QRect &cell)
{
    p->fillRect(cell, QColor(12, 13, 15));
    const QImage thumb = index.data(Qt::DecorationRole).value<QImage>();
    if (thumb.isNull())
        return;
    QSize size = thumb.size() / thumb.devicePixelRatio();
    size.scale(cell.size(), Qt::KeepAspectRatio);
    QRect target(QPoint(0, 0), size);
    target.moveCenter(cell.center());
    p->setRenderHint(QPainter::SmoothPixmapTransform);
    p->drawImage(target, thumb);
}

} // namespace

RecordItemDelegate::RecordItemDelegate(int thumbnailSide, QObject *parent)
    : QStyledItemDelegate(parent), m_side(thumbnailSide)
{
}

QString RecordItemDelegate::prefixBadge(const QString &prefix)
{
    QString text = prefix;
    if (text.startsWith(QLatin1Char('<')) && text.endsWith(QLatin1Char('>')))
        text = text.mid(1, text.size() - 2);
    if (text == QLatin1String("DETAILED_CAPTION"))
        return QStringLiteral("DETAILED");
    if (text == QLatin1String("MORE_DETAILED_CAPTION"))
        return QStringLiteral("MORE DETAILED");
    return text.replace(QLatin1Char('_'), QLatin1Char(' '));
}

bool RecordItemDelegate::isGrid(const QStyleOptionViewItem &option)
{
    // QListView's IconMode puts the decoration on top; ListMode on the left.
    return option.decorationPosition == QStyleOptionViewItem::Top;
}

QSize RecordItemDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    if (isGrid(option)) {
        // Wide enough for a short file name under a small thumbnail.
        const int width = std::max(m_side, fm.averageCharWidth() * 12);
        return QSize(width + 2 * kPadding, m_side + 2 * kPadding + fm.height() + 2);
    }
    // Tall enough for the name and two badge lines whatever the thumbnail size.
    const int text = 2 + fm.height() + 5 + kBadgeHeight + 4 + kBadgeHeight;
    return QSize(option.rect.width() > 0 ? option.rect.width() : 240, std::max(m_side, text) + 2 * kPadding);
}

void RecordItemDelegate::paintGridCell(QPainter *p, const QStyleOptionViewItem &option,
                                       const QModelIndex &index) const
{
    const QRect cellRect = option.rect;
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;
    paintBackground(p, option);
    const QRect cell(cellRect.left() + (cellRect.width() - m_side) / 2, cellRect.top() + kPadding, m_side, m_side);
    paintThumbnail(p, index, cell);
    // One stripe per split along the thumbnail's bottom edge.
    const QStringList splits = index.data(RecordListModel::SplitsRole).toStringList();
    for (int i = 0; i < splits.size(); ++i) {
        const int w = cell.width() / int(splits.size());
        p->fillRect(QRect(cell.left() + i * w, cell.bottom() - 3, w, 4), splitColor(splits[i]));
    }
    QFont small = option.font;
    small.setPointSizeF(std::max(6.5, option.font.pointSizeF() * 0.78));
    small.setWeight(QFont::DemiBold);
    p->setFont(small);
    const int boxes = index.data(RecordListModel::BoxCountRole).toInt();
    if (boxes > 0)
        drawBadge(p, cell.left() + 2, cell.top() + 2, QString::number(boxes), QColor(58, 78, 108), cell.right());
    const int problems = index.data(RecordListModel::ProblemCountRole).toInt();
    if (problems > 0) {
        const QString text = QStringLiteral("!%1").arg(problems);
        const int w = QFontMetrics(small).horizontalAdvance(text) + 10;
        drawBadge(p, cell.right() - w, cell.top() + 2, text, QColor(170, 60, 50), cell.right() + 1);
    }
    p->setFont(option.font);
    p->setPen(selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::Text));
    const QFontMetrics fm(option.font);
    const QString name = fm.elidedText(index.data(RecordListModel::ImageRole).toString(), Qt::ElideMiddle,
                                       cellRect.width() - 4);
    p->drawText(QRect(cellRect.left() + 2, cell.bottom() + 3, cellRect.width() - 4, fm.height()),
                Qt::AlignHCenter | Qt::AlignVCenter, name);
}

void RecordItemDelegate::paint(QPainter *p, const QStyleOptionViewItem &option,
                               const QModelIndex &index) const
{
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    if (isGrid(option)) {
        paintGridCell(p, option, index);
        p->restore();
        return;
    }
    const QRect row = option.rect;
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;
    paintBackground(p, option);
    // Thumbnail, centred in a square cell.
    const QRect cell(row.left() + kPadding, row.top() + kPadding, m_side, m_side);
    paintThumbnail(p, index, cell);

    // File name and badges.
    const int textLeft = cell.right() + 1 + kPadding + 2;
    const int textRight = row.right() - kPadding;
    QFont nameFont = option.font;
    nameFont.setWeight(QFont::DemiBold);
    p->setFont(nameFont);
    p->setPen(selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::Text));
    const QFontMetrics nfm(nameFont);
    const QString name = nfm.elidedText(index.data(RecordListModel::ImageRole).toString(),
                                        Qt::ElideMiddle, textRight - textLeft);
    const int nameTop = row.top() + kPadding + 2;
    p->drawText(QRect(textLeft, nameTop, textRight - textLeft, nfm.height()),
                Qt::AlignLeft | Qt::AlignVCenter, name);

    QFont badgeFont = option.font;
    badgeFont.setPointSizeF(std::max(6.5, option.font.pointSizeF() * 0.78));
    badgeFont.setWeight(QFont::DemiBold);
    p->setFont(badgeFont);
    int x = textLeft;
    const int badgeTop = nameTop + nfm.height() + 5;
    for (const QString &split : index.data(RecordListModel::SplitsRole).toStringList())
        x = drawBadge(p, x, badgeTop, split, splitColor(split), textRight);
    const int boxes = index.data(RecordListModel::BoxCountRole).toInt();
    int secondX = textLeft;
    const int secondTop = badgeTop + kBadgeHeight + 4;
    for (const QString &prefix : index.data(RecordListModel::PrefixesRole).toStringList()) {
        QString text = prefixBadge(prefix);
        if (prefix == QLatin1String("<OD>"))
            text += QStringLiteral(" %1").arg(boxes);
        secondX = drawBadge(p, secondX, secondTop, text, QColor(58, 78, 108), textRight);
    }
    if (index.data(RecordListModel::RecordCountRole).toInt() == 0)
        x = drawBadge(p, x, badgeTop, tr("no record"), QColor(150, 60, 60), textRight);
    const int problems = index.data(RecordListModel::ProblemCountRole).toInt();
    if (problems > 0)
        drawBadge(p, x, badgeTop, problems == 1 ? tr("1 problem") : tr("%1 problems").arg(problems),
                  QColor(170, 60, 50), textRight);
    p->restore();
}

} // namespace fmw::ui

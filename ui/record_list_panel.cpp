#include "ui/record_list_panel.h"

#include "ui/record_item_delegate.h"
#include "ui/record_list_model.h"
#include "ui/thumbnail_loader.h"

#include <QEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QVBoxLayout>

namespace fmw::ui {

RecordListPanel::RecordListPanel(RecordListModel *model, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_model(model), m_loader(loader)
{
    setObjectName(QStringLiteral("recordListPanel"));
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(model);
    m_proxy->setFilterRole(RecordListModel::SearchTextRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("recordFilter"));
    m_filter->setPlaceholderText(tr("Filter by file name or caption"));
    m_filter->setClearButtonEnabled(true);

    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("recordCount"));
    m_count->setForegroundRole(QPalette::PlaceholderText);

    m_view = new QListView(this);
    m_view->setObjectName(QStringLiteral("recordList"));
    m_view->setModel(m_proxy);
    m_view->setItemDelegate(new RecordItemDelegate(loader->maxSide(), m_view));
    // Uniform sizes: layout never queries the model per row (100,000-row datasets).
    m_view->setUniformItemSizes(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_view->setMouseTracking(true);
    m_view->setFrameShape(QFrame::NoFrame);
    m_view->verticalScrollBar()->setSingleStep(24);
    m_view->viewport()->installEventFilter(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addWidget(m_filter);
    layout->addWidget(m_count);
    layout->addWidget(m_view, 1);

    // Filtering 100,000 rows takes a moment: apply it once typing pauses, not per key.
    m_filterTimer.setSingleShot(true);
    m_filterTimer.setInterval(kFilterDelayMs);
    connect(m_filter, &QLineEdit::textChanged, &m_filterTimer, qOverload<>(&QTimer::start));
    connect(&m_filterTimer, &QTimer::timeout, this, [this] { m_proxy->setFilterFixedString(m_filter->text()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                emit currentImageChanged(current.data(RecordListModel::ImageRole).toString());
            });

    // Coalesce scroll/resize/model bursts into one request per event-loop pass.
    m_requestTimer.setSingleShot(true);
    m_requestTimer.setInterval(0);
    connect(&m_requestTimer, &QTimer::timeout, this, &RecordListPanel::requestThumbnails);
    const auto schedule = [this] { m_requestTimer.start(); };
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, schedule);
    connect(m_view->verticalScrollBar(), &QScrollBar::rangeChanged, this, schedule);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, schedule);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, schedule);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, schedule);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, schedule);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &RecordListPanel::updateCountLabel);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &RecordListPanel::updateCountLabel);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &RecordListPanel::updateCountLabel);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &RecordListPanel::updateCountLabel);
    updateCountLabel();
}

QString RecordListPanel::currentImage() const
{
    return m_view->currentIndex().data(RecordListModel::ImageRole).toString();
}

bool RecordListPanel::selectImage(const QString &image)
{
    const int row = m_model->rowOf(image);
    if (row < 0)
        return false;
    QModelIndex index = m_proxy->mapFromSource(m_model->index(row));
    if (!index.isValid()) {
        m_filter->clear();
        m_filterTimer.stop();
        m_proxy->setFilterFixedString(QString());
        index = m_proxy->mapFromSource(m_model->index(row));
    }
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
    return true;
}

void RecordListPanel::selectFirst()
{
    if (m_proxy->rowCount() > 0)
        m_view->setCurrentIndex(m_proxy->index(0, 0));
}

std::pair<int, int> RecordListPanel::visibleRows() const
{
    const QRect area = m_view->viewport()->rect();
    if (m_proxy->rowCount() == 0 || area.isEmpty())
        return {0, 0};
    const QModelIndex top = m_view->indexAt(QPoint(area.left() + 2, area.top() + 1));
    const int first = top.isValid() ? top.row() : 0;
    int end = first;
    while (end < m_proxy->rowCount()
           && m_view->visualRect(m_proxy->index(end, 0)).top() <= area.bottom())
        ++end;
    return {first, end};
}

QString RecordListPanel::pathAt(int proxyRow) const
{
    return m_proxy->index(proxyRow, 0).data(RecordListModel::AbsolutePathRole).toString();
}

QStringList RecordListPanel::visiblePaths() const
{
    const auto [first, end] = visibleRows();
    QStringList paths;
    for (int row = first; row < end; ++row)
        paths << pathAt(row);
    return paths;
}

bool RecordListPanel::visibleThumbnailsDone() const
{
    const QStringList paths = visiblePaths();
    return std::all_of(paths.begin(), paths.end(),
                       [this](const QString &p) { return m_loader->isDone(p); });
}

bool RecordListPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && (event->type() == QEvent::Resize || event->type() == QEvent::Show))
        m_requestTimer.start();
    return QWidget::eventFilter(watched, event);
}

void RecordListPanel::requestThumbnails()
{
    // On screen first, then the next page, then the previous one (scrolling continues).
    const auto [first, end] = visibleRows();
    const int page = end - first;
    if (page == 0)
        return;
    QStringList wanted;
    for (int row = first; row < end; ++row)
        wanted << pathAt(row);
    for (int row = end; row < std::min(m_proxy->rowCount(), end + page); ++row)
        wanted << pathAt(row);
    for (int row = first - 1; row >= std::max(0, first - page); --row)
        wanted << pathAt(row);
    m_loader->request(wanted);
}

void RecordListPanel::updateCountLabel()
{
    const int shown = m_proxy->rowCount();
    const int total = m_model->rowCount();
    const QString images = total == 1 ? tr("1 image") : tr("%1 images").arg(total);
    m_count->setText(shown == total ? images : tr("%1 of %2").arg(shown).arg(images));
}

} // namespace fmw::ui

#include "ui/record_list_panel.h"

#include "dataset/dataset_document.h"
#include "ui/record_filter_proxy.h"
#include "ui/record_item_delegate.h"
#include "ui/record_list_model.h"
#include "ui/thumbnail_loader.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QScrollBar>
#include <QSet>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace fmw::ui {

namespace {

// Prefixes offered even before any record uses them.
const QStringList kStandardPrefixes = {QStringLiteral("<CAPTION>"), QStringLiteral("<DETAILED_CAPTION>"),
                                       QStringLiteral("<MORE_DETAILED_CAPTION>"), QStringLiteral("<OD>")};

// The task filter: its list of prefixes is brought up to date when it opens, since listing
// every record's prefix reads the whole dataset.
class PrefixCombo : public QComboBox {
public:
    PrefixCombo(std::function<void()> beforePopup, QWidget *parent)
        : QComboBox(parent), m_beforePopup(std::move(beforePopup))
    {
    }
    void showPopup() override
    {
        m_beforePopup();
        QComboBox::showPopup();
    }

private:
    std::function<void()> m_beforePopup;
};

// "1 image", "3 images" (no translator: tr()'s %n plural would print "image(s)").
QString counted(int n, const QString &one, const QString &many)
{
    return n == 1 ? QStringLiteral("1 %1").arg(one) : QStringLiteral("%1 %2").arg(n).arg(many);
}

} // namespace

RecordListPanel::RecordListPanel(RecordListModel *model, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_model(model), m_loader(loader)
{
    setObjectName(QStringLiteral("recordListPanel"));
    m_proxy = new RecordFilterProxy(this);
    m_proxy->setSourceModel(model);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("recordFilter"));
    m_filter->setPlaceholderText(tr("Filter by file name or caption"));
    m_filter->setToolTip(tr("Shows images whose file name or any caption contains this text (any case)"));
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
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_view->setMouseTracking(true);
    m_view->setFrameShape(QFrame::NoFrame);
    m_view->verticalScrollBar()->setSingleStep(24);
    m_view->viewport()->installEventFilter(this);

    createFilterWidgets();
    createActions();

    auto *top = new QHBoxLayout;
    top->setSpacing(4);
    top->addWidget(m_filter, 1);
    top->addWidget(m_viewModeButton);
    auto *filters = new QHBoxLayout;
    filters->setSpacing(4);
    filters->addWidget(m_splitCombo, 1);
    filters->addWidget(m_prefixCombo, 1);
    auto *checks = new QHBoxLayout;
    checks->setSpacing(8);
    checks->addWidget(m_boxesCheck);
    checks->addWidget(m_problemsCheck);
    checks->addStretch(1);
    checks->addWidget(m_sortCombo);
    auto *status = new QHBoxLayout;
    status->setSpacing(4);
    status->addWidget(m_count, 1);
    status->addWidget(m_moveButton);
    status->addWidget(m_deleteButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addLayout(checks);
    layout->addLayout(status);
    layout->addWidget(m_view, 1);

    // Filtering 100,000 rows takes a moment: apply the text once typing pauses, not per key.
    m_filterTimer.setSingleShot(true);
    m_filterTimer.setInterval(kFilterDelayMs);
    connect(m_filter, &QLineEdit::textChanged, &m_filterTimer, qOverload<>(&QTimer::start));
    connect(&m_filterTimer, &QTimer::timeout, this, [this] { m_proxy->setTextFilter(m_filter->text()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                emit currentImageChanged(current.data(RecordListModel::ImageRole).toString());
            });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        updateCountLabel();
    });

    // Coalesce scroll/resize/model bursts into one request per event-loop pass.
    m_requestTimer.setSingleShot(true);
    m_requestTimer.setInterval(0);
    connect(&m_requestTimer, &QTimer::timeout, this, &RecordListPanel::requestThumbnails);
    const auto schedule = [this] { m_requestTimer.start(); };
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, schedule);
    connect(m_view->verticalScrollBar(), &QScrollBar::rangeChanged, this, schedule);
    const auto changed = [this, schedule] {
        schedule();
        updateCountLabel();
        updateActions();
    };
    connect(m_proxy, &QAbstractItemModel::modelReset, this, changed);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, changed);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, changed);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, changed);
    // The proxy drops rows before the source has (rowsAboutToBeRemoved): recount the total
    // once the source is done too, and for source rows the filters hide.
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &RecordListPanel::updateCountLabel);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &RecordListPanel::updateCountLabel);

    refreshPrefixCombo(false);
    updateCountLabel();
    updateActions();
}

void RecordListPanel::createFilterWidgets()
{
    m_viewModeButton = new QToolButton(this);
    m_viewModeButton->setObjectName(QStringLiteral("viewModeButton"));
    m_viewModeButton->setCheckable(true);
    m_viewModeButton->setText(tr("Grid"));
    m_viewModeButton->setToolTip(tr("Thumbnail grid or list with split and task badges"));
    connect(m_viewModeButton, &QToolButton::toggled, this, &RecordListPanel::setGridMode);

    m_splitCombo = new QComboBox(this);
    m_splitCombo->setObjectName(QStringLiteral("splitFilterCombo"));
    m_splitCombo->setToolTip(tr("Show images with a record in this split"));
    m_splitCombo->addItem(tr("All splits"), QString());
    m_splitCombo->addItem(tr("Train"), QStringLiteral("train"));
    m_splitCombo->addItem(tr("Val"), QStringLiteral("val"));
    m_splitCombo->addItem(tr("Test"), QStringLiteral("test"));
    m_splitCombo->addItem(tr("Other files"), QStringLiteral("other"));
    m_splitCombo->addItem(tr("No record"), RecordFilterProxy::kNoRecord);
    connect(m_splitCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setSplitFilter(m_splitCombo->currentData().toString()); });

    m_prefixCombo = new PrefixCombo([this] { refreshPrefixCombo(); }, this);
    m_prefixCombo->setObjectName(QStringLiteral("prefixFilterCombo"));
    m_prefixCombo->setToolTip(tr("Show images with a record of this task"));
    m_prefixCombo->addItem(tr("All tasks"), QString());
    connect(m_prefixCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setPrefixFilter(m_prefixCombo->currentData().toString()); });

    m_boxesCheck = new QCheckBox(tr("Boxes"), this);
    m_boxesCheck->setObjectName(QStringLiteral("boxesFilterCheck"));
    m_boxesCheck->setToolTip(tr("Only images with at least one <OD> box"));
    connect(m_boxesCheck, &QCheckBox::toggled, m_proxy, &RecordFilterProxy::setBoxesOnly);

    m_problemsCheck = new QCheckBox(tr("Problems"), this);
    m_problemsCheck->setObjectName(QStringLiteral("problemsFilterCheck"));
    m_problemsCheck->setToolTip(tr("Only images the dataset check reports a problem for"));
    connect(m_problemsCheck, &QCheckBox::toggled, m_proxy, &RecordFilterProxy::setProblemsOnly);

    m_sortCombo = new QComboBox(this);
    m_sortCombo->setObjectName(QStringLiteral("sortCombo"));
    m_sortCombo->setToolTip(tr("Order of the images"));
    m_sortCombo->addItem(tr("By name"), int(RecordFilterProxy::SortKey::Name));
    m_sortCombo->addItem(tr("By split"), int(RecordFilterProxy::SortKey::Split));
    m_sortCombo->addItem(tr("Most boxes"), int(RecordFilterProxy::SortKey::Boxes));
    m_sortCombo->addItem(tr("Most problems"), int(RecordFilterProxy::SortKey::Problems));
    connect(m_sortCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_proxy->setSortKey(RecordFilterProxy::SortKey(m_sortCombo->currentData().toInt()));
    });
}

void RecordListPanel::createActions()
{
    const auto make = [this](const QString &name, const QString &text, const QString &tip) {
        auto *action = new QAction(text, this);
        action->setObjectName(name);
        action->setToolTip(tip);
        return action;
    };
    m_moveTrain = make(QStringLiteral("actionMoveToTrain"), tr("Move to &Train"),
                       tr("Move every record of the selected images to the train split"));
    m_moveVal = make(QStringLiteral("actionMoveToVal"), tr("Move to &Val"),
                     tr("Move every record of the selected images to the val split"));
    m_moveTest = make(QStringLiteral("actionMoveToTest"), tr("Move to T&est"),
                      tr("Move every record of the selected images to the test split"));
    connect(m_moveTrain, &QAction::triggered, this, [this] { moveSelectionToSplit(Split::Train); });
    connect(m_moveVal, &QAction::triggered, this, [this] { moveSelectionToSplit(Split::Val); });
    connect(m_moveTest, &QAction::triggered, this, [this] { moveSelectionToSplit(Split::Test); });

    m_delete = make(QStringLiteral("actionDeleteRecords"), tr("&Delete Records…"),
                    tr("Delete every record of the selected images (Del); image files stay on disk"));
    m_delete->setShortcut(QKeySequence::Delete);
    // Only while the list has focus: Del in a caption editor deletes text.
    m_delete->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_delete, &QAction::triggered, this, &RecordListPanel::deleteSelectedRecords);

    auto *separator = new QAction(this);
    separator->setSeparator(true);
    m_view->addActions({m_moveTrain, m_moveVal, m_moveTest, separator, m_delete});
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);

    m_moveButton = new QToolButton(this);
    m_moveButton->setObjectName(QStringLiteral("moveSplitButton"));
    m_moveButton->setText(tr("Move to"));
    m_moveButton->setToolTip(tr("Move the selected images' records to another split"));
    m_moveButton->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_moveButton);
    menu->setObjectName(QStringLiteral("moveSplitMenu"));
    menu->addActions({m_moveTrain, m_moveVal, m_moveTest});
    m_moveButton->setMenu(menu);

    m_deleteButton = new QToolButton(this);
    m_deleteButton->setObjectName(QStringLiteral("deleteRecordsButton"));
    m_delete->setIconText(tr("Delete"));
    m_deleteButton->setDefaultAction(m_delete);
}

QList<QAction *> RecordListPanel::selectionActions() const
{
    return {m_moveTrain, m_moveVal, m_moveTest, m_delete};
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
        clearFilterWidgets();
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

QStringList RecordListPanel::selectedImages() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList images;
    for (const QModelIndex &i : rows)
        images << i.data(RecordListModel::ImageRole).toString();
    return images;
}

void RecordListPanel::setGridMode(bool grid)
{
    if (m_viewModeButton->isChecked() != grid)
        m_viewModeButton->setChecked(grid);  // re-enters through toggled
    if (grid == isGridMode())
        return;
    const QModelIndex current = m_view->currentIndex();
    m_view->setViewMode(grid ? QListView::IconMode : QListView::ListMode);
    // IconMode defaults to free movement (drag to rearrange): the order is the sort's.
    m_view->setMovement(QListView::Static);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setSpacing(grid ? 4 : 0);
    m_view->setDragEnabled(false);
    m_viewModeButton->setText(grid ? tr("List") : tr("Grid"));
    if (current.isValid())
        m_view->scrollTo(current);
    m_requestTimer.start();
}

bool RecordListPanel::isGridMode() const
{
    return m_view->viewMode() == QListView::IconMode;
}

QVector<RecordId> RecordListPanel::selectedRecordIds() const
{
    QVector<RecordId> ids;
    DatasetDocument *doc = m_model->document();
    if (!doc)
        return ids;
    for (const QString &image : selectedImages())
        ids += doc->recordsForImage(image);
    return ids;
}

void RecordListPanel::moveSelectionToSplit(Split split)
{
    DatasetDocument *doc = m_model->document();
    if (!doc)
        return;
    QVector<RecordId> ids;
    for (RecordId id : selectedRecordIds())
        if (splitOfFile(doc->record(id).file) != split)
            ids << id;
    if (!ids.isEmpty())
        doc->setSplit(ids, split);
}

bool RecordListPanel::deleteSelectedRecords()
{
    DatasetDocument *doc = m_model->document();
    const QStringList images = selectedImages();
    const QVector<RecordId> ids = selectedRecordIds();
    if (!doc || ids.isEmpty())
        return false;
    if (m_confirmDeletes) {
        QMessageBox box(QMessageBox::Question, tr("Delete Records"),
                        tr("Delete %1 of %2?")
                            .arg(counted(int(ids.size()), tr("record"), tr("records")),
                                 counted(int(images.size()), tr("image"), tr("images"))),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("deleteRecordsConfirm"));
        box.setInformativeText(tr("The image files stay on disk. Edit › Undo brings the records back."));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Yes)
            return false;
    }
    // The current row may vanish (an image not on disk): keep the list's place.
    const int currentRow = m_view->currentIndex().row();
    doc->undoStack()->beginMacro(tr("Delete %1").arg(counted(int(ids.size()), tr("record"), tr("records"))));
    for (RecordId id : ids)
        doc->removeRecord(id);
    doc->undoStack()->endMacro();
    if (!m_view->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_view->setCurrentIndex(m_proxy->index(std::min(currentRow, m_proxy->rowCount() - 1), 0));
    return true;
}

std::pair<int, int> RecordListPanel::visibleRows() const
{
    const QRect area = m_view->viewport()->rect();
    const int rows = m_proxy->rowCount();
    if (rows == 0 || area.isEmpty())
        return {0, 0};
    // Rows are laid out in order, top to bottom (left to right within a grid line): the
    // first visible one is found by bisection, which also works between grid cells.
    int lo = 0;
    int hi = rows;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (m_view->visualRect(m_proxy->index(mid, 0)).bottom() < area.top())
            lo = mid + 1;
        else
            hi = mid;
    }
    const int first = lo;
    int end = first;
    while (end < rows && m_view->visualRect(m_proxy->index(end, 0)).top() <= area.bottom())
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
    const QString images = counted(total, tr("image"), tr("images"));
    QString text = m_proxy->isFiltering() ? tr("%1 of %2").arg(shown).arg(images) : images;
    const int selected = int(m_view->selectionModel()->selectedRows().size());
    if (selected > 1)
        text += tr(", %1 selected").arg(selected);
    m_count->setText(text);
}

void RecordListPanel::updateActions()
{
    const bool any = m_model->document() && m_view->selectionModel()->hasSelection();
    for (QAction *action : selectionActions())
        action->setEnabled(any);
    m_moveButton->setEnabled(any);
}

void RecordListPanel::refreshPrefixCombo(bool scanRecords)
{
    QStringList prefixes = kStandardPrefixes;
    const QStringList used = scanRecords ? m_model->prefixes() : QStringList();
    for (const QString &p : used)
        if (!prefixes.contains(p))
            prefixes << p;
    const QString current = m_prefixCombo->currentData().toString();
    if (!current.isEmpty() && !prefixes.contains(current))
        prefixes << current;
    QStringList existing;
    for (int i = 1; i < m_prefixCombo->count(); ++i)
        existing << m_prefixCombo->itemData(i).toString();
    if (existing == prefixes)
        return;
    const QSignalBlocker block(m_prefixCombo);
    while (m_prefixCombo->count() > 1)
        m_prefixCombo->removeItem(1);
    for (const QString &p : prefixes)
        m_prefixCombo->addItem(p, p);
    m_prefixCombo->setCurrentIndex(std::max(0, m_prefixCombo->findData(current)));
}

void RecordListPanel::clearFilterWidgets()
{
    {
        const QSignalBlocker a(m_filter), b(m_splitCombo), c(m_prefixCombo), d(m_boxesCheck), e(m_problemsCheck);
        m_filter->clear();
        m_splitCombo->setCurrentIndex(0);
        m_prefixCombo->setCurrentIndex(0);
        m_boxesCheck->setChecked(false);
        m_problemsCheck->setChecked(false);
    }
    m_filterTimer.stop();
    m_proxy->clearFilters();
    updateCountLabel();
}

} // namespace fmw::ui

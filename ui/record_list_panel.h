#pragma once
// RecordListPanel: the left dock, the dataset browser: filters (split, task, has boxes, has
// problems, text), sort, a thumbnail grid or list, a count, and bulk edits of the selected
// images (move to a split, delete their records; one undo step each). It decides which
// thumbnails to load: the rows on screen first, then a page either side, re-evaluated on
// every scroll, resize and filter change.

#include "dataset/dataset_record.h"
#include "ui/record_filter_proxy.h"

#include <QStringList>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <utility>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QToolButton;

namespace fmw::ui {

class RecordListModel;
class ThumbnailLoader;

class RecordListPanel : public QWidget {
    Q_OBJECT
public:
    RecordListPanel(RecordListModel *model, ThumbnailLoader *loader, QWidget *parent = nullptr);

    QListView *listView() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    RecordFilterProxy *proxyModel() const { return m_proxy; }

    static constexpr int kFilterDelayMs = 200;

    QString currentImage() const;
    // Selects the row of `image` (clearing the filters if they hide it). False if absent.
    bool selectImage(const QString &image);
    // Selects the first visible row, if any.
    void selectFirst();
    // Images of the selected rows, in view order.
    QStringList selectedImages() const;

    // Thumbnail grid (true) or list with badges (false).
    void setGridMode(bool grid);
    bool isGridMode() const;

    // Asks before deleting records (default). Tests turn it off.
    void setConfirmDeletes(bool confirm) { m_confirmDeletes = confirm; }

    // Bulk edits of the selected images, also in the list's context menu. Objectnames:
    // actionMoveToTrain, actionMoveToVal, actionMoveToTest, actionDeleteRecords (Del).
    QList<QAction *> selectionActions() const;

    // Moves every record of the selected images to `split` (one undo step).
    void moveSelectionToSplit(Split split);
    // Removes every record of the selected images (one undo step) after confirming. Image
    // files stay on disk. Returns false if cancelled or nothing was selected.
    bool deleteSelectedRecords();

    // Absolute paths of the rows inside the viewport, top to bottom.
    QStringList visiblePaths() const;
    // Every visible row's thumbnail is loaded (or failed).
    bool visibleThumbnailsDone() const;

signals:
    void currentImageChanged(const QString &image);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createFilterWidgets();
    void createActions();
    std::pair<int, int> visibleRows() const;  // proxy rows [first, end) inside the viewport
    QString pathAt(int proxyRow) const;
    QVector<RecordId> selectedRecordIds() const;
    void requestThumbnails();
    void updateCountLabel();
    void updateActions();
    // Standard prefixes plus, with `scanRecords`, every prefix a record uses.
    void refreshPrefixCombo(bool scanRecords = true);
    void clearFilterWidgets();

    RecordListModel *m_model;
    ThumbnailLoader *m_loader;
    RecordFilterProxy *m_proxy;
    QLineEdit *m_filter;
    QComboBox *m_splitCombo;
    QComboBox *m_prefixCombo;
    QCheckBox *m_boxesCheck;
    QCheckBox *m_problemsCheck;
    QComboBox *m_sortCombo;
    QToolButton *m_viewModeButton;
    QToolButton *m_moveButton;
    QToolButton *m_deleteButton;
    QListView *m_view;
    QLabel *m_count;
    QAction *m_moveTrain;
    QAction *m_moveVal;
    QAction *m_moveTest;
    QAction *m_delete;
    bool m_confirmDeletes = true;
    QTimer m_requestTimer;
    QTimer m_filterTimer;
};

} // namespace fmw::ui

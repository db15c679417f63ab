#pragma once
// RecordListPanel: the left dock: a filter field over the record list. It decides which
// thumbnails to load: the rows on screen first, then a page either side, re-evaluated on
// every scroll, resize and filter change.

#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <utility>

class QLineEdit;
class QListView;
class QLabel;
class QSortFilterProxyModel;

namespace fmw::ui {

class RecordListModel;
class ThumbnailLoader;

class RecordListPanel : public QWidget {
    Q_OBJECT
public:
    RecordListPanel(RecordListModel *model, ThumbnailLoader *loader, QWidget *parent = nullptr);

    QListView *listView() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    QSortFilterProxyModel *proxyModel() const { return m_proxy; }

    static constexpr int kFilterDelayMs = 200;

    QString currentImage() const;
    // Selects the row of `image` (clearing the filter if it hides it). False if absent.
    bool selectImage(const QString &image);
    // Selects the first visible row, if any.
    void selectFirst();

    // Absolute paths of the rows inside the viewport, top to bottom.
    QStringList visiblePaths() const;
    // Every visible row's thumbnail is loaded (or failed).
    bool visibleThumbnailsDone() const;

signals:
    void currentImageChanged(const QString &image);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    std::pair<int, int> visibleRows() const;  // proxy rows [first, end) inside the viewport
    QString pathAt(int proxyRow) const;
    void requestThumbnails();
    void updateCountLabel();

    RecordListModel *m_model;
    ThumbnailLoader *m_loader;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QListView *m_view;
    QLabel *m_count;
    QTimer m_requestTimer;
    QTimer m_filterTimer;
};

} // namespace fmw::ui

#pragma once
// ProblemsPanel: the dataset check as a dock: one row per problem (kind, file:line, image,
// message), sortable; double-click or Enter on a row asks to show its image.

#include "dataset/dataset_record.h"

#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace fmw {
class DatasetDocument;
}

namespace fmw::ui {

class ProblemsModel;

class ProblemsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ProblemsPanel(QWidget *parent = nullptr);

    // The document stays owned by the caller; nullptr empties the panel.
    void setDocument(DatasetDocument *document);

    ProblemsModel *model() const { return m_model; }
    QTableView *tableView() const { return m_table; }  // objectName "problemsTable"
    int problemCount() const;

signals:
    // A row was activated: the image it concerns (never empty) ...
    void jumpToImage(const QString &image);
    // ... its record, when the problem names one ...
    void jumpToRecord(fmw::RecordId id);
    // ... and always its place in a file (line 0 when not line-bound).
    void jumpToLocation(const QString &file, int line);

protected:
    // Hidden (closed, or a tab behind another dock): the check waits until it is seen.
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void activate(const QModelIndex &proxyIndex);
    void updateSummary(int count);

    ProblemsModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    QLabel *m_summary;
};

} // namespace fmw::ui

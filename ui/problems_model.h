#pragma once
// ProblemsModel: a table adapter over DatasetDocument::problems() (kind, file:line, image,
// message). The check is recomputed after edits (coalesced, once per event-loop pass) and
// after saves, since a save renumbers lines; while paused (nobody looks) only marked stale.

#include "dataset/dataset_document.h"

#include <QAbstractTableModel>
#include <QPointer>
#include <QTimer>
#include <QVector>

namespace fmw::ui {

class ProblemsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KindColumn, LocationColumn, ImageColumn, MessageColumn, ColumnCount };
    enum Role {
        ImageRole = Qt::UserRole + 1,  // image the problem belongs to, "" if none (QString)
        RecordRole,                    // RecordId (quint64), 0 if none
        FileRole,                      // file relative to the dataset root (QString)
        LineRole,                      // 1-based line, 0 if none (int)
        KindRole,                      // DatasetProblem::Kind (int)
    };

    explicit ProblemsModel(QObject *parent = nullptr);

    // The document stays owned by the caller; nullptr empties the model.
    void setDocument(DatasetDocument *document);
    DatasetDocument *document() const { return m_document; }

    // Recomputes now (otherwise done on the next event-loop pass after a change).
    void refresh();
    // Paused, changes only mark the list stale: the check is a pass over the whole dataset
    // on the GUI thread, not worth doing per keystroke for a hidden dock. Resuming refreshes
    // a stale list.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    bool isStale() const { return m_stale; }

    const DatasetProblem &problem(int row) const { return m_problems[row]; }
    // The image a problem concerns: its record's image, or the orphan file's; "" if none.
    QString imageOf(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // After each recomputation, with the number of problems.
    void refreshed(int count);

private:
    QPointer<DatasetDocument> m_document;
    QVector<DatasetProblem> m_problems;
    QVector<QString> m_images;  // per row, resolved when computed (records may go away)
    QTimer m_refreshTimer;
    bool m_paused = false;
    bool m_stale = false;
};

} // namespace fmw::ui

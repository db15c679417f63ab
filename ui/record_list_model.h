#pragma once
// RecordListModel: a read-only list adapter over DatasetDocument, one row per image
// (DatasetDocument::images()), with its prefixes, splits and thumbnail. Rows follow the
// document's signals (records added, removed, changed; on do, undo and redo alike).
// Thumbnails come from a ThumbnailLoader's cache; the view decides what to request.
// Per-image problem counts follow the dataset check's rules (DatasetDocument::problems())
// for the image's own records, so an edit recomputes one row, not the whole dataset.

#include "dataset/dataset_document.h"

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QStringList>

namespace fmw::ui {

class ThumbnailLoader;

class RecordListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        ImageRole = Qt::UserRole + 1, // image path relative to images/ (QString)
        AbsolutePathRole,             // absolute image file path (QString)
        PrefixesRole,                 // task prefixes of its records, sorted (QStringList)
        SplitsRole,                   // split names of its records, sorted (QStringList)
        BoxCountRole,                 // boxes in its <OD> records (int)
        RecordCountRole,              // records naming this image (int)
        SearchTextRole,               // file name and captions, for the filter (QString)
        ThumbnailStateRole,           // ThumbnailState (int)
        ProblemCountRole,             // dataset-check problems of its records and file (int)
    };
    enum ThumbnailState { ThumbnailPending = 0, ThumbnailLoaded = 1, ThumbnailFailed = 2 };
    Q_ENUM(ThumbnailState)

    explicit RecordListModel(QObject *parent = nullptr);
    ~RecordListModel() override;

    // The document stays owned by the caller; nullptr empties the model.
    void setDocument(DatasetDocument *document);
    DatasetDocument *document() const { return m_document; }
    void setThumbnailLoader(ThumbnailLoader *loader);

    int rowOf(const QString &image) const;  // -1 if absent
    QString imageAt(int row) const;
    QString absolutePathAt(int row) const;
    // Task prefixes used by any record, sorted ("<CAPTION>", "<OD>", ...). A pass over every
    // record (decoding their suffixes): call on demand, not per change.
    QStringList prefixes() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Shown until the thumbnail is loaded (a dim lung outline; a cross if decoding failed).
    static QImage pendingThumbnail(int side, bool failed);

    // Finished thumbnails are announced (dataChanged) in batches at most this often.
    static constexpr int kThumbnailFrameMs = 30;

private:
    // What the delegate shows for an image, computed once per change of its records.
    struct Summary {
        QStringList prefixes;
        QStringList splits;
        int boxes = 0;
        int records = 0;
        int problems = 0;
    };
    const Summary &summary(const QString &image) const;
    void flushReadyImages();
    void syncImages();
    void rebuildIndex();  // after m_images changed
    void onRecordChanged(RecordId id);
    void onRecordAboutToBeRemoved(RecordId id);
    void onThumbnailReady(const QString &path);
    void emitRowChanged(int row, const QVector<int> &roles = {});
    bool isOnDisk(const QString &image) const;

    QPointer<DatasetDocument> m_document;
    QPointer<ThumbnailLoader> m_loader;
    QStringList m_images;
    bool m_sorted = true;
    QString m_imagesPrefix;  // absolute path of images/ with a trailing separator
    QString m_removingImage;
    mutable QHash<QString, Summary> m_summaries;
    QSet<QString> m_readyImages;  // thumbnails loaded since the last batch
    QTimer m_readyTimer;
    mutable QHash<QString, bool> m_onDisk;  // image file exists; the disk is not re-read per edit
};

} // namespace fmw::ui

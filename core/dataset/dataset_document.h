#pragma once
// DatasetDocument: the one owner of a dataset folder's records, its undo stack, and its
// on-disk state. Every edit goes through an intention-revealing method that pushes exactly
// one QUndoCommand; views hear about changes through signals, on do, undo and redo alike.
//
// Layout: <root>/images/... and <root>/*.jsonl (train.jsonl, val.jsonl, test.jsonl and
// variants such as train_detailed_caption.jsonl). One image may have records in several
// files and with several prefixes.
//
// Lossless: untouched lines are written back byte-identical (unknown fields, key order,
// number format, escapes, CRLF, missing final newline); malformed lines are kept verbatim.
// Saves are atomic per file, and a file changed on disk since loading is never overwritten.
// Not thread-safe: use it from the thread that owns it (record() decodes suffixes lazily).

#include "annotation/loc_codec.h"
#include "common/result.h"
#include "dataset/dataset_record.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>
#include <vector>

class QUndoStack;

namespace fmw {

class DatasetDocument : public QObject {
    Q_OBJECT
public:
    ~DatasetDocument() override;

    // Reads every *.jsonl in `rootDir` and lists images/. Fails only if the folder itself
    // cannot be read; bad lines and missing images become problems().
    static Result<std::unique_ptr<DatasetDocument>> open(const QString &rootDir);

    QString rootDir() const;
    QString imagesDir() const;                   // <root>/images
    QString absoluteImagePath(const QString &image) const;
    QStringList files() const;                   // split files, relative to root, sorted

    // --- reading -------------------------------------------------------------------
    int recordCount() const;
    QVector<RecordId> recordIds() const;         // in file order (files sorted, then line)
    bool contains(RecordId id) const;
    const DatasetRecord &record(RecordId id) const;  // precondition: contains(id)
    // Unique images: every image named by a record plus every file under images/,
    // sorted by path.
    QStringList images() const;
    QVector<RecordId> recordsForImage(const QString &image) const;
    // Records of `image` with that prefix (usually 0 or 1).
    QVector<RecordId> recordsFor(const QString &image, const QString &prefix) const;
    // Boxes of an "<OD>" record; an error if its suffix does not parse strictly.
    Result<std::vector<loc::OdBox>> boxes(RecordId id) const;
    QVector<DatasetProblem> problems() const;    // recomputed on demand

    // --- editing (each call = one undo step; invalid ids/indices are programmer errors) --
    QUndoStack *undoStack() const;
    void setCaption(RecordId id, const QString &suffix);
    void addBox(RecordId id, const loc::OdBox &box);
    // Move and resize both set a box's bins; consecutive calls for the same box with the
    // same `mergeKey` (e.g. one mouse drag) merge into a single undo step.
    void moveBox(RecordId id, int index, const loc::Bins &bins, int mergeKey = -1);
    void resizeBox(RecordId id, int index, const loc::Bins &bins, int mergeKey = -1);
    void deleteBox(RecordId id, int index);
    void relabelBox(RecordId id, int index, const QString &label);
    // Adds to `file` (created on save if absent). Returns the new id.
    RecordId addRecord(const QString &file, const QString &image, const QString &prefix,
                       const QString &suffix);
    void removeRecord(RecordId id);
    // Moves a record to the file of `split` with the same variant
    // (train_detailed_caption.jsonl -> val_detailed_caption.jsonl).
    void setSplit(RecordId id, Split split);
    void setSplit(const QVector<RecordId> &ids, Split split);  // one macro

    // --- persistence -----------------------------------------------------------------
    bool isModified() const;
    // Writes every changed file atomically. Fails with ErrorCode::Conflict, writing nothing,
    // if any file to be written changed on disk since it was loaded or last saved.
    Status save();
    // Files whose on-disk content differs from what was loaded/saved.
    QStringList externallyModifiedFiles() const;

    // --- crash recovery (see RecoveryFile) ---------------------------------------------
    // The bytes save() would write now, by file name: every file whose content differs from
    // its on-disk state as the document knows it. Empty when there is nothing to save.
    QHash<QString, QByteArray> pendingFileContents() const;
    // A file's content as last loaded or saved; nullopt if the document holds it as absent
    // (not on disk, or unreadable when opened).
    std::optional<QByteArray> savedFileContent(const QString &file) const;

signals:
    void recordChanged(fmw::RecordId id);
    void recordAdded(fmw::RecordId id);
    void recordAboutToBeRemoved(fmw::RecordId id);
    void recordRemoved(fmw::RecordId id);
    void modifiedChanged(bool modified);
    void saved();

private:
    DatasetDocument();
    struct Private;
    std::unique_ptr<Private> d;
    friend class DatasetCommand;
};

} // namespace fmw

#pragma once
// RecoveryFile: crash-recovery snapshots of a DatasetDocument's unsaved edits, one JSON file
// per dataset under <AppLocalDataLocation>/recovery/. A snapshot holds, for every file save()
// would write, the bytes it would write and a fingerprint of the on-disk content they
// replace; restoring re-applies them as one undo macro of the document's own edits, and only
// onto exactly that on-disk content, so the restored document saves byte-identical files.

#include "common/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVector>

namespace fmw {

class DatasetDocument;

class RecoveryFile {
public:
    // One split file of a snapshot.
    struct Entry {
        QString name; // relative to the dataset root, e.g. "train.jsonl"
        bool baseExists = false; // the file was on disk when the edits were made
        qint64 baseSize = 0;
        QByteArray baseSha256; // hex digest of that on-disk content
        QByteArray content; // what save() would have written
    };
    struct Snapshot {
        QString rootDir;
        QDateTime written;
        QVector<Entry> files;
        QStringList fileNames() const;
    };
    // What restore() did.
    struct RestoreReport {
        int edits = 0; // undo commands in the macro
        // Files whose restored bytes differ from the snapshot's (records and their values
        // are restored, formatting is not): the caller should keep the snapshot aside.
        QStringList inexactFiles;
    };

    static QString directory(); // <AppLocalDataLocation>/recovery
    // <directory>/<sha1 of the absolute root path>.json
    static QString pathFor(const QString &rootDir);
    static bool exists(const QString &rootDir);

    // The document's unsaved state, as save() would write it.
    static Snapshot capture(const DatasetDocument &doc);
    // Writes capture(doc) atomically (QSaveFile); removes the snapshot when nothing is
    // unsaved. Returns the path written, or an empty string when removed.
    static Result<QString> write(const DatasetDocument &doc);
    static Result<Snapshot> read(const QString &rootDir);
    static bool remove(const QString &rootDir);
    // Renames the snapshot to <hash>.kept-<UTC time>.json, out of the autosave's way, so
    // edits that cannot be restored now are never overwritten. Returns the new path.
    static Result<QString> setAside(const QString &rootDir);

    // OK if the snapshot belongs to `doc`'s folder and every file's content, as `doc` read
    // it, is the one the snapshot's edits were made on; else Conflict naming the files.
    static Status check(const Snapshot &snapshot, const DatasetDocument &doc);
    // Re-applies the snapshot to `doc`, which must be unmodified and pass check(), as one
    // undo macro ("Restore autosaved edits"): caption and box text as setCaption, added
    // records as addRecord, split moves as setSplit, removals as removeRecord. The document
    // is left modified, so nothing is saved until the user saves.
    static Result<RestoreReport> restore(const Snapshot &snapshot, DatasetDocument *doc);
};

} // namespace fmw

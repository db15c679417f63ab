#pragma once
// DatasetDocument's storage and the primitive mutations its undo commands call. Every
// primitive emits the document's signals, so views refresh on do, undo and redo alike.
//
// Memory: a record is its parsed fields plus a view of its line inside the file buffer
// read at open (kept for the document's lifetime); untouched records are written back from
// that view, byte for byte.

#include "dataset/dataset_document.h"
#include "dataset/jsonl_codec.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QSet>

#include <functional>
#include <map>
#include <memory>
#include <vector>

class QUndoCommand;

namespace fmw {

// One line of a split file: a record, or a line that is none (kept verbatim).
struct FileLine {
    RecordId id = 0; // 0: not a record
    QByteArrayView verbatim; // the line, when id == 0
    jsonl::LineEnd end = jsonl::LineEnd::Lf;
};

// One record's move to another split file, with what undo needs to put it back.
struct RecordMove {
    RecordId id = 0;
    QString from;
    int fromIndex = 0; // its line index in `from` before the move
    jsonl::LineEnd fromEnd = jsonl::LineEnd::Lf;
    QString to;
};

// Files under images/, '/'-separated relative paths: as a set and sorted.
struct ImageListing {
    QSet<QString> set;
    QStringList sorted;
};

struct DatasetDocument::Private {
    struct Slot {
        mutable DatasetRecord rec; // the suffix is decoded on first use: see record()
        mutable bool suffixLoaded = true;
        jsonl::Span suffixSpan; // in `raw`, while !suffixLoaded
        QByteArrayView raw; // the line as loaded; empty for records added since
        QString loadedFile; // shared with the File's name
        int loadedLine = 0;
        bool alive = false; // false once removed (an undo may bring it back) or not yet added
        bool edited = false; // suffix changed at some point: re-serialise from `raw`
    };

    struct File {
        QString name; // relative to the root
        std::vector<FileLine> entries; // one per line, in order
        jsonl::LineEnd newline = jsonl::LineEnd::Lf; // for lines that gain a terminator
        QString readError; // set when unreadable at open: never written
        // What is on disk, as far as the document knows (as loaded or last saved).
        bool onDisk = false;
        QByteArray diskContent;
        bool touched = false; // may differ from diskContent
    };

    explicit Private(DatasetDocument *q)
        : q(q)
    {
    }

    DatasetDocument *q;
    QString root;
    QUndoStack *undo = nullptr;
    std::vector<QByteArray> buffers; // file contents read at open; raw views point into them
    // RecordId = index + 1. Fixed-size chunks: few allocations, and references stay valid.
    static constexpr size_t kChunk = 4096;
    std::vector<std::unique_ptr<Slot[]>> chunks;
    size_t slotCount = 0;
    int aliveCount = 0;
    std::map<QString, File> files; // sorted by name
    QHash<QString, QVector<RecordId>> byImage; // alive records per image
    ImageListing imageFiles; // files under images/ at open
    jsonl::LineEnd defaultNewline = jsonl::LineEnd::Lf;
    mutable QStringList imagesCache;
    mutable bool imagesDirty = true;

    bool isAlive(RecordId id) const { return id > 0 && id <= slotCount && slot(id).alive; }
    Slot &slot(RecordId id) { return chunks[(id - 1) / kChunk][(id - 1) % kChunk]; }
    const Slot &slot(RecordId id) const { return chunks[(id - 1) / kChunk][(id - 1) % kChunk]; }
    // The record with its suffix decoded (most suffixes are never looked at, so open()
    // leaves them in the file buffer).
    const DatasetRecord &record(RecordId id) const;
    File &file(const QString &name); // created (not on disk) if unknown
    int indexIn(const File &f, RecordId id) const;
    RecordId newSlot(const QString &image, const QString &prefix, const QString &suffix);

    // --- primitives (each emits the matching signals) --------------------------------
    void applySuffix(RecordId id, const QString &suffix);
    void insertRecord(const QString &fileName, int index, const FileLine &line);
    FileLine takeRecord(RecordId id, QString *fileName, int *index);
    // Takes the records out of their files (filling in from/fromIndex/fromEnd) and appends
    // them to their `to` files; restoreMoves() reverses exactly the last applyMoves().
    void applyMoves(std::vector<RecordMove> &moves);
    void restoreMoves(const std::vector<RecordMove> &moves);

    // --- helpers for the edit API ----------------------------------------------------
    void pushSuffixEdit(
        RecordId id, const QString &suffix, const QString &text, int boxIndex = -1, int mergeKey = -1);
    void pushBoxEdit(RecordId id, const QString &text, int boxIndex, int mergeKey,
        const std::function<bool(std::vector<loc::OdBox> &)> &edit);

    // --- persistence -----------------------------------------------------------------
    QString absolutePath(const QString &fileName) const;
    QByteArray serialize(const File &f) const;
    bool changedOnDisk(const File &f) const;
    void lineProblems(const File &f, QVector<DatasetProblem> *out) const;

private:
    void recordUpdated(RecordId id);
    void indexImage(RecordId id);
    void unindexImage(RecordId id);
    void syncLine(Slot &s);
};

} // namespace fmw

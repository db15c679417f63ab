#pragma once
// The undo commands behind DatasetDocument's edits. Each one changes the document only
// through its private primitives (dataset_document_p.h), which emit the document's signals.

#include "dataset/dataset_document.h"
#include "dataset/dataset_document_p.h"

#include <QUndoCommand>

namespace fmw {

// Base of every dataset command: gives the subclasses the document's storage.
class DatasetCommand : public QUndoCommand {
protected:
    DatasetCommand(DatasetDocument *doc, const QString &text);
    DatasetDocument::Private &data() const { return *m_doc->d; }

private:
    DatasetDocument *m_doc;
};

// Replaces a record's suffix (caption edits and every box edit, which rewrites the <OD>
// text). Box geometry edits with the same merge key merge into one step.
class SetSuffixCommand : public DatasetCommand {
public:
    SetSuffixCommand(DatasetDocument *doc, RecordId id, QString before, QString after, const QString &text,
        int boxIndex, int mergeKey);
    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand *other) override;

private:
    RecordId m_record;
    QString m_before;
    QString m_after;
    int m_boxIndex;
    int m_mergeKey;
};

// Inserts a new record at the end of a file; undo takes it out again.
class AddRecordCommand : public DatasetCommand {
public:
    AddRecordCommand(DatasetDocument *doc, RecordId id, const QString &file);
    void undo() override;
    void redo() override;

private:
    RecordId m_record;
    QString m_file;
    int m_index = -1; // fixed by the first redo
    jsonl::LineEnd m_end = jsonl::LineEnd::Lf;
};

// Removes a record; undo puts it back at the same line of the same file.
class RemoveRecordCommand : public DatasetCommand {
public:
    RemoveRecordCommand(DatasetDocument *doc, RecordId id);
    void undo() override;
    void redo() override;

private:
    RecordId m_record;
    QString m_file;
    int m_index = 0;
    FileLine m_line;
};

// Moves records to other split files (one undo step however many records).
class MoveRecordsCommand : public DatasetCommand {
public:
    MoveRecordsCommand(DatasetDocument *doc, std::vector<RecordMove> moves, const QString &text);
    void undo() override;
    void redo() override;

private:
    std::vector<RecordMove> m_moves;
};

} // namespace fmw

#include "dataset/dataset_commands.h"

namespace fmw {

namespace {
constexpr int kBoxGeometryCommandId = 0x0B0C;
}

DatasetCommand::DatasetCommand(DatasetDocument *doc, const QString &text)
    : QUndoCommand(text)
    , m_doc(doc)
{
}

// --- SetSuffixCommand -------------------------------------------------------------------

SetSuffixCommand::SetSuffixCommand(DatasetDocument *doc, RecordId id, QString before, QString after,
    const QString &text, int boxIndex, int mergeKey)
    : DatasetCommand(doc, text)
    , m_record(id)
    , m_before(std::move(before))
    , m_after(std::move(after))
    , m_boxIndex(boxIndex)
    , m_mergeKey(mergeKey)
{
}

void SetSuffixCommand::undo()
{
    data().applySuffix(m_record, m_before);
}
void SetSuffixCommand::redo()
{
    data().applySuffix(m_record, m_after);
}

int SetSuffixCommand::id() const
{
    return m_mergeKey >= 0 ? kBoxGeometryCommandId : -1;
}

bool SetSuffixCommand::mergeWith(const QUndoCommand *other)
{
    const auto *next = static_cast<const SetSuffixCommand *>(other);
    if (next->m_record != m_record || next->m_boxIndex != m_boxIndex || next->m_mergeKey != m_mergeKey)
        return false;
    m_after = next->m_after;
    return true;
}

// --- AddRecordCommand -------------------------------------------------------------------

AddRecordCommand::AddRecordCommand(DatasetDocument *doc, RecordId id, const QString &file)
    : DatasetCommand(doc, QObject::tr("Add record"))
    , m_record(id)
    , m_file(file)
{
}

void AddRecordCommand::redo()
{
    auto &d = data();
    if (m_index < 0) {
        const auto &f = d.file(m_file);
        m_index = int(f.entries.size());
        m_end = f.newline;
    }
    FileLine line;
    line.id = m_record;
    line.end = m_end;
    d.insertRecord(m_file, m_index, line);
}

void AddRecordCommand::undo()
{
    QString file;
    int index = 0;
    data().takeRecord(m_record, &file, &index);
}

// --- RemoveRecordCommand ----------------------------------------------------------------

RemoveRecordCommand::RemoveRecordCommand(DatasetDocument *doc, RecordId id)
    : DatasetCommand(doc, QObject::tr("Remove record"))
    , m_record(id)
{
}

void RemoveRecordCommand::redo()
{
    m_line = data().takeRecord(m_record, &m_file, &m_index);
}
void RemoveRecordCommand::undo()
{
    data().insertRecord(m_file, m_index, m_line);
}

// --- MoveRecordsCommand -----------------------------------------------------------------

MoveRecordsCommand::MoveRecordsCommand(
    DatasetDocument *doc, std::vector<RecordMove> moves, const QString &text)
    : DatasetCommand(doc, text)
    , m_moves(std::move(moves))
{
}

void MoveRecordsCommand::redo()
{
    data().applyMoves(m_moves);
}
void MoveRecordsCommand::undo()
{
    data().restoreMoves(m_moves);
}

} // namespace fmw

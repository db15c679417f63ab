#include "dataset/dataset_document_p.h"

#include "dataset/dataset_commands.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUndoStack>

#include <algorithm>

namespace fmw {

DatasetDocument::Private::File &DatasetDocument::Private::file(const QString &name)
{
    auto it = files.find(name);
    if (it == files.end()) {
        File f;
        f.name = name;
        f.newline = defaultNewline;
        it = files.emplace(name, std::move(f)).first;
    }
    return it->second;
}

int DatasetDocument::Private::indexIn(const File &f, RecordId id) const
{
    for (size_t i = 0; i < f.entries.size(); ++i)
        if (f.entries[i].id == id)
            return int(i);
    return -1;
}

RecordId DatasetDocument::Private::newSlot(const QString &image, const QString &prefix, const QString &suffix)
{
    if (slotCount % kChunk == 0)
        chunks.push_back(std::make_unique<Slot[]>(kChunk));
    const RecordId id = ++slotCount;
    Slot &s = slot(id);
    s.rec.id = id;
    s.rec.image = image;
    s.rec.prefix = prefix;
    s.rec.suffix = suffix;
    return s.rec.id;
}

const DatasetRecord &DatasetDocument::Private::record(RecordId id) const
{
    const Slot &s = slot(id);
    if (!s.suffixLoaded) {
        s.rec.suffix = jsonl::decodeString(s.raw.sliced(s.suffixSpan.offset, s.suffixSpan.length));
        s.suffixLoaded = true;
    }
    return s.rec;
}

void DatasetDocument::Private::syncLine(Slot &s)
{
    s.rec.line = s.rec.file == s.loadedFile ? s.loadedLine : 0;
}

void DatasetDocument::Private::indexImage(RecordId id)
{
    byImage[slot(id).rec.image].append(id);
    imagesDirty = true;
}

void DatasetDocument::Private::unindexImage(RecordId id)
{
    const QString &image = slot(id).rec.image;
    auto it = byImage.find(image);
    if (it == byImage.end())
        return;
    it->removeOne(id);
    if (it->isEmpty())
        byImage.erase(it);
    imagesDirty = true;
}

void DatasetDocument::Private::recordUpdated(RecordId id)
{
    emit q->recordChanged(id);
}

// --- primitives ---------------------------------------------------------------------------

void DatasetDocument::Private::applySuffix(RecordId id, const QString &suffix)
{
    Slot &s = slot(id);
    s.rec.suffix = suffix;
    s.suffixLoaded = true;
    s.edited = true;
    file(s.rec.file).touched = true;
    recordUpdated(id);
}

void DatasetDocument::Private::insertRecord(const QString &fileName, int index, const FileLine &line)
{
    File &f = file(fileName);
    f.entries.insert(f.entries.begin() + index, line);
    f.touched = true;
    Slot &s = slot(line.id);
    s.alive = true;
    ++aliveCount;
    s.rec.file = f.name;
    syncLine(s);
    indexImage(line.id);
    emit q->recordAdded(line.id);
}

FileLine DatasetDocument::Private::takeRecord(RecordId id, QString *fileName, int *index)
{
    emit q->recordAboutToBeRemoved(id);
    Slot &s = slot(id);
    File &f = file(s.rec.file);
    *fileName = f.name;
    *index = indexIn(f, id);
    Q_ASSERT(*index >= 0);
    const FileLine line = f.entries[size_t(*index)];
    f.entries.erase(f.entries.begin() + *index);
    f.touched = true;
    unindexImage(id);
    s.alive = false;
    --aliveCount;
    emit q->recordRemoved(id);
    return line;
}

void DatasetDocument::Private::applyMoves(std::vector<RecordMove> &moves)
{
    // Take the records out of each source file in one pass (bulk moves stay linear).
    QHash<RecordId, size_t> moveOf;
    QSet<QString> sources;
    for (size_t k = 0; k < moves.size(); ++k) {
        moves[k].from = slot(moves[k].id).rec.file;
        moveOf.insert(moves[k].id, k);
        sources.insert(moves[k].from);
    }
    for (const QString &name : sources) {
        File &f = file(name);
        std::vector<FileLine> kept;
        kept.reserve(f.entries.size());
        for (size_t i = 0; i < f.entries.size(); ++i) {
            const FileLine &line = f.entries[i];
            const auto hit = line.id ? moveOf.constFind(line.id) : moveOf.constEnd();
            if (hit == moveOf.constEnd()) {
                kept.push_back(line);
                continue;
            }
            moves[*hit].fromIndex = int(i);
            moves[*hit].fromEnd = line.end;
        }
        f.entries.swap(kept);
        f.touched = true;
    }
    // Append in file order, so restoreMoves can re-insert each file's records ascending.
    std::sort(moves.begin(), moves.end(), [](const RecordMove &a, const RecordMove &b) {
        return a.from != b.from ? a.from < b.from : a.fromIndex < b.fromIndex;
    });
    for (const RecordMove &m : moves) {
        File &to = file(m.to);
        FileLine line;
        line.id = m.id;
        line.end = to.newline;
        to.entries.push_back(line);
        to.touched = true;
        Slot &s = slot(m.id);
        s.rec.file = to.name;
        syncLine(s);
    }
    for (const RecordMove &m : moves)
        recordUpdated(m.id);
}

void DatasetDocument::Private::restoreMoves(const std::vector<RecordMove> &moves)
{
    // The moved records are the tails of their target files (undo is last-in, first-out).
    QHash<QString, int> appended;
    for (const RecordMove &m : moves)
        ++appended[m.to];
    for (auto it = appended.cbegin(); it != appended.cend(); ++it) {
        File &to = file(it.key());
        Q_ASSERT(int(to.entries.size()) >= it.value());
        to.entries.resize(to.entries.size() - size_t(it.value()));
        to.touched = true;
    }
    // Re-insert into each source at the original indices, ascending (moves are sorted).
    size_t k = 0;
    while (k < moves.size()) {
        File &from = file(moves[k].from);
        std::vector<FileLine> merged;
        merged.reserve(from.entries.size() + moves.size());
        size_t old = 0;
        for (; k < moves.size() && moves[k].from == from.name; ++k) {
            while (int(merged.size()) < moves[k].fromIndex && old < from.entries.size())
                merged.push_back(from.entries[old++]);
            FileLine line;
            line.id = moves[k].id;
            line.end = moves[k].fromEnd;
            merged.push_back(line);
            Slot &s = slot(moves[k].id);
            s.rec.file = from.name;
            syncLine(s);
        }
        merged.insert(merged.end(), from.entries.begin() + qsizetype(old), from.entries.end());
        from.entries.swap(merged);
        from.touched = true;
    }
    for (const RecordMove &m : moves)
        recordUpdated(m.id);
}

// --- edit helpers -------------------------------------------------------------------------

void DatasetDocument::Private::pushSuffixEdit(
    RecordId id, const QString &suffix, const QString &text, int boxIndex, int mergeKey)
{
    const QString before = record(id).suffix;
    if (before == suffix)
        return;
    undo->push(new SetSuffixCommand(q, id, before, suffix, text, boxIndex, mergeKey));
}

void DatasetDocument::Private::pushBoxEdit(RecordId id, const QString &text, int boxIndex, int mergeKey,
    const std::function<bool(std::vector<loc::OdBox> &)> &edit)
{
    auto parsed = loc::parseOd(record(id).suffix.toStdString());
    if (!parsed.ok()) {
        qWarning("DatasetDocument: record %llu has an invalid <OD> suffix, box edit ignored: %s",
            static_cast<unsigned long long>(id), parsed.error().message.c_str());
        return;
    }
    std::vector<loc::OdBox> boxes = *parsed;
    if (!edit(boxes) || boxes == *parsed)
        return;
    pushSuffixEdit(id, QString::fromStdString(loc::formatOd(boxes)), text, boxIndex, mergeKey);
}

// --- persistence --------------------------------------------------------------------------

QString DatasetDocument::Private::absolutePath(const QString &fileName) const
{
    return QDir(root).filePath(fileName);
}

QByteArray DatasetDocument::Private::serialize(const File &f) const
{
    qsizetype estimate = 0;
    for (const FileLine &line : f.entries)
        estimate += (line.id ? slot(line.id).raw.size() : line.verbatim.size()) + 2;
    QByteArray out;
    out.reserve(estimate);
    for (size_t i = 0; i < f.entries.size(); ++i) {
        const FileLine &line = f.entries[i];
        if (line.id == 0) {
            out += line.verbatim;
        } else {
            const Slot &s = slot(line.id);
            if (!s.raw.isEmpty() && !s.edited) {
                out += s.raw;
            } else {
                const DatasetRecord &rec = record(line.id);
                out += jsonl::serializeRecord(s.raw, rec.image, rec.prefix, rec.suffix);
            }
        }
        // A line that was last (no terminator) gains one when something follows it.
        jsonl::LineEnd end = line.end;
        if (end == jsonl::LineEnd::None && i + 1 < f.entries.size())
            end = f.newline;
        out += jsonl::terminator(end);
    }
    return out;
}

bool DatasetDocument::Private::changedOnDisk(const File &f) const
{
    const QString path = absolutePath(f.name);
    const QFileInfo info(path);
    if (!info.exists())
        return f.onDisk;
    if (!f.onDisk || info.size() != f.diskContent.size())
        return true;
    QFile disk(path);
    if (!disk.open(QIODevice::ReadOnly))
        return true;
    return disk.readAll() != f.diskContent;
}

void DatasetDocument::Private::lineProblems(const File &f, QVector<DatasetProblem> *out) const
{
    using Kind = DatasetProblem::Kind;
    for (size_t i = 0; i < f.entries.size(); ++i) {
        const FileLine &line = f.entries[i];
        DatasetProblem p;
        p.file = f.name;
        p.line = int(i) + 1;
        if (line.id == 0) {
            const jsonl::ParsedLine parsed = jsonl::parseLine(line.verbatim);
            switch (parsed.status) {
            case jsonl::ParsedLine::Status::Record:
            case jsonl::ParsedLine::Status::Blank:
                continue;
            case jsonl::ParsedLine::Status::InvalidUtf8:
                p.kind = Kind::InvalidUtf8;
                break;
            case jsonl::ParsedLine::Status::Malformed:
                p.kind = Kind::MalformedLine;
                break;
            case jsonl::ParsedLine::Status::MissingField:
                p.kind = Kind::MissingField;
                break;
            }
            p.message = parsed.message;
            out->append(p);
            continue;
        }
        const DatasetRecord &rec = slot(line.id).rec;
        p.record = rec.id;
        if (rec.prefix == QLatin1String("<OD>")) {
            record(line.id); // decodes the suffix
            const auto boxes = loc::parseOd(rec.suffix.toStdString());
            if (!boxes.ok()) {
                p.kind = Kind::InvalidOd;
                p.message = QString::fromStdString(boxes.error().message);
                out->append(p);
            }
        }
        if (rec.image.isEmpty() || !imageFiles.set.contains(rec.image)) {
            p.kind = Kind::MissingImage;
            p.message = rec.image.isEmpty() ? QStringLiteral("the record's \"image\" is empty")
                                            : QStringLiteral("image '%1' is not in images/").arg(rec.image);
            out->append(p);
        }
    }
}

} // namespace fmw

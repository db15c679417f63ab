#include "dataset/recovery_file.h"

#include "dataset/dataset_document.h"
#include "dataset/jsonl_codec.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSet>
#include <QStandardPaths>
#include <QUndoStack>

#include <vector>

namespace fmw {

namespace {

const QLatin1String kFormat("florence-workbench-recovery");
constexpr int kVersion = 1;

QString absoluteRoot(const QString &rootDir)
{
    return QDir::cleanPath(QFileInfo(rootDir).absoluteFilePath());
}

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

QString tr(const char *text)
{
    return QCoreApplication::translate("RecoveryFile", text);
}

// --- restore planning ---------------------------------------------------------------------
//
// The document's edits change files in few ways: a record's suffix changes in place, a
// record disappears (removed, or moved to another split), a record is appended (added, or
// moved in). Lines that are not records never change. So a recovered file is the loaded
// file's lines, in order, minus some records, some with another suffix, followed by appended
// records; one in-order pass tells them apart.

struct Line {
    QByteArray bytes; // without the terminator
    jsonl::ParsedLine parsed;
};

std::vector<Line> linesOf(const QByteArray &content)
{
    std::vector<Line> out;
    const QByteArrayView view(content.constData(), content.size());
    for (const jsonl::LineSpan &span : jsonl::splitLines(view)) {
        Line line;
        line.bytes = view.sliced(span.offset, span.length).toByteArray();
        line.parsed = jsonl::parseLine(line.bytes, true);
        out.push_back(std::move(line));
    }
    return out;
}

// Whether `line` is the record loaded as `raw` with at most its suffix changed.
bool isSameRecord(const QByteArray &raw, const DatasetRecord &rec, const Line &line)
{
    if (line.bytes == raw)
        return true;
    const jsonl::ParsedLine &p = line.parsed;
    return p.status == jsonl::ParsedLine::Status::Record && p.image == rec.image && p.prefix == rec.prefix
        && jsonl::serializeRecord(raw, p.image, p.prefix, p.suffix) == line.bytes;
}

// A record that is in a loaded file but not in its recovered content.
struct Gone {
    RecordId id = 0;
    QString file;
    QByteArray raw;
    bool movedIn = false; // found again at the end of another file
};

// One step of the restore macro.
struct Op {
    enum class Kind { Suffix, Remove, Move, Add } kind = Kind::Suffix;
    RecordId id = 0;
    QString file; // Add: target file
    Split split = Split::Train; // Move
    QString image, prefix, suffix; // Add; Suffix and Move: the suffix to end with
    QByteArray bytes; // Suffix and Move: the line to end with
    QByteArray raw; // Suffix and Move: the line as loaded
};

void setSuffixExactly(DatasetDocument *doc, const Op &op)
{
    if (op.bytes == op.raw)
        return;
    if (doc->record(op.id).suffix == op.suffix) {
        // Edited and edited back: the line is re-serialised (escape style, ...), which a
        // no-op setCaption would not do; a step away and back does.
        doc->setCaption(op.id, op.suffix + QLatin1Char(' '));
    }
    doc->setCaption(op.id, op.suffix);
}

} // namespace

QStringList RecoveryFile::Snapshot::fileNames() const
{
    QStringList out;
    for (const Entry &e : files)
        out << e.name;
    return out;
}

QString RecoveryFile::directory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("recovery"));
}

QString RecoveryFile::pathFor(const QString &rootDir)
{
    const QByteArray hash
        = QCryptographicHash::hash(absoluteRoot(rootDir).toUtf8(), QCryptographicHash::Sha1).toHex();
    return QDir(directory()).filePath(QString::fromLatin1(hash) + QStringLiteral(".json"));
}

bool RecoveryFile::exists(const QString &rootDir)
{
    return QFileInfo::exists(pathFor(rootDir));
}

RecoveryFile::Snapshot RecoveryFile::capture(const DatasetDocument &doc)
{
    Snapshot s;
    s.rootDir = absoluteRoot(doc.rootDir());
    s.written = QDateTime::currentDateTimeUtc();
    const QHash<QString, QByteArray> pending = doc.pendingFileContents();
    QStringList names = pending.keys();
    names.sort();
    for (const QString &name : std::as_const(names)) {
        Entry e;
        e.name = name;
        const std::optional<QByteArray> base = doc.savedFileContent(name);
        e.baseExists = base.has_value();
        if (base) {
            e.baseSize = base->size();
            e.baseSha256 = sha256Hex(*base);
        }
        e.content = pending.value(name);
        s.files.append(e);
    }
    return s;
}

Result<QString> RecoveryFile::write(const DatasetDocument &doc)
{
    const Snapshot s = capture(doc);
    const QString path = pathFor(s.rootDir);
    if (s.files.isEmpty()) {
        if (!remove(s.rootDir))
            return makeError(ErrorCode::Io, "cannot remove the old recovery file", path.toStdString());
        return QString();
    }
    QJsonArray files;
    for (const Entry &e : s.files) {
        QJsonObject f;
        f.insert(QStringLiteral("name"), e.name);
        f.insert(QStringLiteral("baseExists"), e.baseExists);
        f.insert(QStringLiteral("baseSize"), double(e.baseSize));
        f.insert(QStringLiteral("baseSha256"), QString::fromLatin1(e.baseSha256));
        // Base64: lines kept verbatim need not be valid UTF-8.
        f.insert(QStringLiteral("content"), QString::fromLatin1(e.content.toBase64()));
        files.append(f);
    }
    QJsonObject root;
    root.insert(QStringLiteral("format"), kFormat);
    root.insert(QStringLiteral("version"), kVersion);
    root.insert(QStringLiteral("root"), s.rootDir);
    root.insert(QStringLiteral("written"), s.written.toString(Qt::ISODateWithMs));
    root.insert(QStringLiteral("files"), files);

    if (!QDir().mkpath(directory()))
        return makeError(ErrorCode::Io, "cannot create the recovery folder", directory().toStdString());
    QSaveFile out(path);
    const QByteArray bytes = QJsonDocument(root).toJson(QJsonDocument::Compact);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit())
        return makeError(ErrorCode::Io, "cannot write the recovery file: " + out.errorString().toStdString(),
            path.toStdString());
    return path;
}

Result<RecoveryFile::Snapshot> RecoveryFile::read(const QString &rootDir)
{
    const QString path = pathFor(rootDir);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, "cannot read the recovery file: " + file.errorString().toStdString(),
            path.toStdString());
    QJsonParseError jsonError;
    const QJsonDocument json = QJsonDocument::fromJson(file.readAll(), &jsonError);
    if (json.isNull())
        return makeError(ErrorCode::Parse, "not a recovery file: " + jsonError.errorString().toStdString(),
            path.toStdString());
    const QJsonObject root = json.object();
    if (root.value(QStringLiteral("format")).toString() != kFormat
        || root.value(QStringLiteral("version")).toInt() != kVersion)
        return makeError(ErrorCode::Unsupported, "not a recovery file of this version", path.toStdString());
    Snapshot s;
    s.rootDir = root.value(QStringLiteral("root")).toString();
    s.written = QDateTime::fromString(root.value(QStringLiteral("written")).toString(), Qt::ISODateWithMs);
    const QJsonArray files = root.value(QStringLiteral("files")).toArray();
    for (const QJsonValue &value : files) {
        const QJsonObject f = value.toObject();
        Entry e;
        e.name = f.value(QStringLiteral("name")).toString();
        e.baseExists = f.value(QStringLiteral("baseExists")).toBool();
        e.baseSize = qint64(f.value(QStringLiteral("baseSize")).toDouble());
        e.baseSha256 = f.value(QStringLiteral("baseSha256")).toString().toLatin1();
        const auto content
            = QByteArray::fromBase64Encoding(f.value(QStringLiteral("content")).toString().toLatin1(),
                QByteArray::AbortOnBase64DecodingErrors);
        if (e.name.isEmpty() || e.name.contains(QLatin1Char('/')) || e.name.contains(QLatin1Char('\\'))
            || !e.name.endsWith(QLatin1String(".jsonl")) || !content)
            return makeError(ErrorCode::Parse, "damaged recovery file entry", path.toStdString());
        e.content = *content;
        s.files.append(e);
    }
    return s;
}

bool RecoveryFile::remove(const QString &rootDir)
{
    const QString path = pathFor(rootDir);
    return !QFileInfo::exists(path) || QFile::remove(path);
}

Result<QString> RecoveryFile::setAside(const QString &rootDir)
{
    const QString path = pathFor(rootDir);
    const QString stem = path.chopped(int(QStringLiteral(".json").size()));
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString target = QStringLiteral("%1.kept-%2.json").arg(stem, stamp);
    for (int n = 2; QFileInfo::exists(target); ++n)
        target = QStringLiteral("%1.kept-%2-%3.json").arg(stem, stamp).arg(n);
    if (!QFile::rename(path, target))
        return makeError(ErrorCode::Io, "cannot rename the recovery file", path.toStdString());
    return target;
}

Status RecoveryFile::check(const Snapshot &snapshot, const DatasetDocument &doc)
{
    if (absoluteRoot(snapshot.rootDir) != absoluteRoot(doc.rootDir()))
        return makeError(ErrorCode::Conflict,
            "the recovery file belongs to another dataset folder (" + snapshot.rootDir.toStdString() + ")",
            pathFor(doc.rootDir()).toStdString());
    QStringList changed;
    for (const Entry &e : snapshot.files) {
        const std::optional<QByteArray> base = doc.savedFileContent(e.name);
        const bool same = base
            ? e.baseExists && base->size() == e.baseSize && sha256Hex(*base) == e.baseSha256
            : !e.baseExists;
        if (!same)
            changed << e.name;
    }
    if (!changed.isEmpty())
        return makeError(ErrorCode::Conflict,
            "changed on disk since the edits were autosaved ("
                + changed.join(QStringLiteral(", ")).toStdString() + "), so they are not applied to it",
            QDir(doc.rootDir()).filePath(changed.first()).toStdString());
    return {};
}

Result<RecoveryFile::RestoreReport> RecoveryFile::restore(const Snapshot &snapshot, DatasetDocument *doc)
{
    if (!doc || doc->undoStack()->count() > 0)
        return makeError(
            ErrorCode::InvalidArgument, "autosaved edits are restored only into a freshly opened dataset");
    if (Status fits = check(snapshot, *doc); !fits)
        return fits.error();

    // The loaded record at each line of the snapshot's files.
    QSet<QString> names;
    for (const Entry &e : snapshot.files)
        names.insert(e.name);
    QHash<QString, QHash<int, RecordId>> idAt;
    for (RecordId id : doc->recordIds()) {
        const DatasetRecord &rec = doc->record(id);
        if (names.contains(rec.file))
            idAt[rec.file].insert(rec.line, id);
    }

    std::vector<Op> ops;
    std::vector<Gone> gone;
    struct Tail {
        QString file;
        std::vector<Line> lines;
    };
    std::vector<Tail> tails;
    for (const Entry &e : snapshot.files) {
        const std::vector<Line> loaded = linesOf(doc->savedFileContent(e.name).value_or(QByteArray()));
        std::vector<Line> recovered = linesOf(e.content);
        const QHash<int, RecordId> ids = idAt.value(e.name);
        size_t j = 0;
        for (size_t i = 0; i < loaded.size(); ++i) {
            const RecordId id = ids.value(int(i) + 1);
            if (id == 0) {
                if (j >= recovered.size() || recovered[j].bytes != loaded[i].bytes)
                    return makeError(ErrorCode::Conflict,
                        "the autosaved edits do not fit this line, which the workbench never changes",
                        QDir(doc->rootDir()).filePath(e.name).toStdString(), int(i) + 1);
                ++j;
                continue;
            }
            if (j < recovered.size() && isSameRecord(loaded[i].bytes, doc->record(id), recovered[j])) {
                if (recovered[j].bytes != loaded[i].bytes) {
                    Op op;
                    op.kind = Op::Kind::Suffix;
                    op.id = id;
                    op.suffix = recovered[j].parsed.suffix;
                    op.bytes = recovered[j].bytes;
                    op.raw = loaded[i].bytes;
                    ops.push_back(op);
                }
                ++j;
            } else {
                gone.push_back({id, e.name, loaded[i].bytes, false});
            }
        }
        Tail tail;
        tail.file = e.name;
        tail.lines.assign(std::make_move_iterator(recovered.begin() + qsizetype(j)),
            std::make_move_iterator(recovered.end()));
        tails.push_back(std::move(tail));
    }

    // Appended records: moved in from another split when a gone record matches, else added.
    QHash<QString, std::vector<size_t>> goneByImage;
    for (size_t k = 0; k < gone.size(); ++k)
        goneByImage[doc->record(gone[k].id).image].push_back(k);
    std::vector<Op> appended;
    for (const Tail &tail : tails) {
        const Split split = splitOfFile(tail.file);
        for (const Line &line : tail.lines) {
            if (line.parsed.status != jsonl::ParsedLine::Status::Record)
                return makeError(ErrorCode::Conflict,
                    "an appended line of the autosaved edits is not a record",
                    QDir(doc->rootDir()).filePath(tail.file).toStdString());
            Op op;
            Gone *match = nullptr;
            for (size_t k : goneByImage.value(line.parsed.image)) {
                Gone &g = gone[k];
                if (!g.movedIn && split != Split::Other && g.file != tail.file
                    && splitFileName(split, variantOfFile(g.file)) == tail.file
                    && isSameRecord(g.raw, doc->record(g.id), line)) {
                    match = &g;
                    break;
                }
            }
            if (match) {
                match->movedIn = true;
                op.kind = Op::Kind::Move;
                op.id = match->id;
                op.split = split;
                op.raw = match->raw;
            } else {
                op.kind = Op::Kind::Add;
                op.file = tail.file;
                op.image = line.parsed.image;
                op.prefix = line.parsed.prefix;
            }
            op.suffix = line.parsed.suffix;
            op.bytes = line.bytes;
            appended.push_back(op);
        }
    }
    for (const Gone &g : gone) {
        if (g.movedIn)
            continue;
        Op op;
        op.kind = Op::Kind::Remove;
        op.id = g.id;
        ops.push_back(op);
    }
    ops.insert(ops.end(), appended.begin(), appended.end());

    RestoreReport report;
    QUndoStack *undo = doc->undoStack();
    if (!ops.empty())
        undo->beginMacro(tr("Restore autosaved edits"));
    for (const Op &op : ops) {
        switch (op.kind) {
        case Op::Kind::Suffix:
            setSuffixExactly(doc, op);
            break;
        case Op::Kind::Remove:
            doc->removeRecord(op.id);
            break;
        case Op::Kind::Move:
            doc->setSplit(op.id, op.split);
            setSuffixExactly(doc, op);
            break;
        case Op::Kind::Add:
            doc->addRecord(op.file, op.image, op.prefix, op.suffix);
            break;
        }
    }
    if (!ops.empty()) {
        undo->endMacro();
        report.edits = undo->command(undo->count() - 1)->childCount();
    }

    const QHash<QString, QByteArray> now = doc->pendingFileContents();
    for (const Entry &e : snapshot.files)
        if (!now.contains(e.name) || now.value(e.name) != e.content)
            report.inexactFiles << e.name;
    for (auto it = now.cbegin(); it != now.cend(); ++it)
        if (!names.contains(it.key()))
            report.inexactFiles << it.key();
    return report;
}

} // namespace fmw

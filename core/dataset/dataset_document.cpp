#include "dataset/dataset_document.h"

#include "dataset/dataset_commands.h"
#include "dataset/dataset_document_p.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace fmw {

namespace {

// First-touch page faults dominate reading a large file into fresh memory (~4 us each on
// the VMs measured); transparent huge pages, where the kernel allows them on request, take
// one fault per 2 MiB instead of per 4 KiB.
void adviseHugePages(char *data, qint64 size)
{
#ifdef __linux__
    constexpr quintptr kHuge = 2u << 20;
    const quintptr begin = (reinterpret_cast<quintptr>(data) + kHuge - 1) & ~(kHuge - 1);
    const quintptr end = (reinterpret_cast<quintptr>(data) + quintptr(size)) & ~(kHuge - 1);
    if (end > begin)
        madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
#else
    Q_UNUSED(data);
    Q_UNUSED(size);
#endif
}

// Reads a whole file; an error message if it cannot.
QString readFile(const QString &path, QByteArray *content)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return file.errorString();
    const qint64 size = file.size();
    *content = QByteArray(size, Qt::Uninitialized);
    adviseHugePages(content->data(), size);
    const qint64 got = file.read(content->data(), size);
    content->resize(got < 0 ? 0 : got);
    if (got >= 0)
        *content += file.readAll(); // in case it grew since size() was taken
    if (file.error() != QFileDevice::NoError) {
        content->clear();
        return file.errorString();
    }
    return {};
}

// Image files are the usual raster formats and DICOM, which often has no extension or a
// numeric one (files named by their SOP instance UID).
bool isImageFileName(const QString &name)
{
    const int dot = int(name.lastIndexOf(QLatin1Char('.')));
    if (dot < 0)
        return true;
    const QString ext = name.mid(dot + 1).toLower();
    static const QStringList kExtensions = {"png", "jpg", "jpeg", "tif", "tiff", "dcm", "dicom"};
    if (kExtensions.contains(ext))
        return true;
    return !ext.isEmpty() && std::all_of(ext.begin(), ext.end(), [](QChar c) { return c.isDigit(); });
}

ImageListing listImages(const QString &imagesDir)
{
    ImageListing images;
    const qsizetype prefix = imagesDir.size() + 1;
    QDirIterator it(imagesDir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (isImageFileName(it.fileName()))
            images.sorted.append(path.mid(prefix));
    }
    images.sorted.sort();
    images.set = QSet<QString>(images.sorted.cbegin(), images.sorted.cend());
    return images;
}

jsonl::LineEnd dominantNewline(const std::vector<jsonl::LineSpan> &lines, jsonl::LineEnd fallback)
{
    qsizetype lf = 0, crlf = 0;
    for (const jsonl::LineSpan &l : lines) {
        lf += l.end == jsonl::LineEnd::Lf;
        crlf += l.end == jsonl::LineEnd::CrLf;
    }
    if (lf == 0 && crlf == 0)
        return fallback;
    return crlf > lf ? jsonl::LineEnd::CrLf : jsonl::LineEnd::Lf;
}

loc::Bins normalizedBins(const loc::Bins &bins)
{
    loc::Bins b;
    for (size_t i = 0; i < 4; ++i)
        b[i] = std::clamp(bins[i], 0, loc::kMaxBin);
    if (b[2] < b[0])
        std::swap(b[0], b[2]);
    if (b[3] < b[1])
        std::swap(b[1], b[3]);
    return b;
}

// A label that keeps the <OD> text parseable: no '<', '>' or line breaks, trimmed.
std::string cleanLabel(const QString &label)
{
    QString l = label;
    for (QChar &c : l)
        if (c == QLatin1Char('<') || c == QLatin1Char('>') || c == QLatin1Char('\n')
            || c == QLatin1Char('\r'))
            c = QLatin1Char(' ');
    return l.trimmed().toStdString();
}

bool isSplitFileName(const QString &file)
{
    return file.endsWith(QLatin1String(".jsonl")) && !file.contains(QLatin1Char('/'))
        && !file.contains(QLatin1Char('\\')) && file.size() > 6;
}

} // namespace

DatasetDocument::DatasetDocument()
    : d(std::make_unique<Private>(this))
{
    d->undo = new QUndoStack(this);
    connect(d->undo, &QUndoStack::cleanChanged, this, [this](bool clean) { emit modifiedChanged(!clean); });
}

DatasetDocument::~DatasetDocument() = default;

Result<std::unique_ptr<DatasetDocument>> DatasetDocument::open(const QString &rootDir)
{
    const QFileInfo info(rootDir);
    if (!info.exists())
        return makeError(ErrorCode::Io, "dataset folder does not exist", rootDir.toStdString());
    if (!info.isDir())
        return makeError(ErrorCode::Io,
            "not a folder; open the dataset folder (the one holding images/ and the .jsonl files)",
            rootDir.toStdString());
    QDir dir(info.absoluteFilePath());
    if (!info.isReadable() || !dir.isReadable())
        return makeError(
            ErrorCode::Io, "dataset folder is not readable; check its permissions", rootDir.toStdString());

    std::unique_ptr<DatasetDocument> doc(new DatasetDocument);
    Private &d = *doc->d;
    d.root = dir.absolutePath();

    const QStringList names
        = dir.entryList({QStringLiteral("*.jsonl")}, QDir::Files | QDir::Hidden, QDir::Name);
    // The image listing runs beside the parsing. Parsing stays on this thread: glibc grows
    // per-thread arenas a page at a time, which costs more here than the parallelism saves.
    QFuture<ImageListing> images = QtConcurrent::run(listImages, doc->imagesDir());

    struct Loaded {
        QString name;
        QString readError;
        QByteArray content;
        std::vector<jsonl::LineSpan> lines;
    };
    std::vector<Loaded> loaded;
    qsizetype lf = 0, crlf = 0;
    for (const QString &name : names) {
        Loaded l;
        l.name = name;
        l.readError = readFile(dir.filePath(name), &l.content);
        l.lines = jsonl::splitLines(QByteArrayView(l.content.constData(), l.content.size()));
        for (const jsonl::LineSpan &span : l.lines) {
            lf += span.end == jsonl::LineEnd::Lf;
            crlf += span.end == jsonl::LineEnd::CrLf;
        }
        loaded.push_back(std::move(l));
    }
    d.defaultNewline = crlf > lf ? jsonl::LineEnd::CrLf : jsonl::LineEnd::Lf;

    // Prefixes are a handful of distinct strings: decode each once, by its raw bytes.
    std::vector<std::pair<QByteArray, QString>> prefixes;
    auto internPrefix = [&prefixes](QByteArrayView quoted) -> QString {
        for (const auto &[raw, text] : prefixes)
            if (raw == quoted)
                return text;
        prefixes.emplace_back(quoted.toByteArray(), jsonl::decodeString(quoted));
        return prefixes.back().second;
    };

    for (Loaded &l : loaded) {
        Private::File &f = d.file(l.name);
        if (!l.readError.isEmpty()) {
            f.readError = l.readError;
            continue;
        }
        f.onDisk = true;
        f.diskContent = l.content;
        f.newline = dominantNewline(l.lines, d.defaultNewline);
        d.buffers.push_back(l.content);
        const QByteArrayView content(d.buffers.back().constData(), d.buffers.back().size());
        f.entries.reserve(l.lines.size());
        for (size_t i = 0; i < l.lines.size(); ++i) {
            const jsonl::LineSpan &span = l.lines[i];
            const QByteArrayView bytes = content.sliced(span.offset, span.length);
            const jsonl::ParsedLine parsed = jsonl::parseLine(bytes, false);
            FileLine line;
            line.end = span.end;
            if (parsed.status != jsonl::ParsedLine::Status::Record) {
                line.verbatim = bytes;
                f.entries.push_back(line);
                continue;
            }
            QString image
                = jsonl::decodeString(bytes.sliced(parsed.imageSpan.offset, parsed.imageSpan.length));
            auto indexed = d.byImage.find(image);
            if (indexed != d.byImage.end())
                image = indexed.key(); // one shared string per image
            line.id = d.newSlot(image,
                internPrefix(bytes.sliced(parsed.prefixSpan.offset, parsed.prefixSpan.length)), QString());
            Private::Slot &s = d.slot(line.id);
            s.raw = bytes;
            s.suffixSpan = parsed.suffixSpan;
            s.suffixLoaded = false;
            s.alive = true;
            ++d.aliveCount;
            s.loadedFile = f.name;
            s.loadedLine = int(i) + 1;
            s.rec.file = f.name;
            s.rec.line = s.loadedLine;
            if (indexed != d.byImage.end())
                indexed->append(line.id);
            else
                d.byImage.insert(image, {line.id});
            f.entries.push_back(line);
        }
        l = Loaded();
    }
    d.imageFiles = images.result();
    return doc;
}

QString DatasetDocument::rootDir() const
{
    return d->root;
}
QString DatasetDocument::imagesDir() const
{
    return QDir(d->root).filePath(QStringLiteral("images"));
}

QString DatasetDocument::absoluteImagePath(const QString &image) const
{
    return QDir(imagesDir()).filePath(image);
}

QStringList DatasetDocument::files() const
{
    QStringList out;
    for (const auto &[name, f] : d->files)
        if (f.onDisk || !f.entries.empty() || !f.readError.isEmpty())
            out << name;
    return out;
}

int DatasetDocument::recordCount() const
{
    return d->aliveCount;
}

QVector<RecordId> DatasetDocument::recordIds() const
{
    QVector<RecordId> ids;
    ids.reserve(qsizetype(d->slotCount));
    for (const auto &[name, f] : d->files)
        for (const FileLine &line : f.entries)
            if (line.id)
                ids.append(line.id);
    return ids;
}

bool DatasetDocument::contains(RecordId id) const
{
    return d->isAlive(id);
}

const DatasetRecord &DatasetDocument::record(RecordId id) const
{
    Q_ASSERT_X(contains(id), "DatasetDocument::record", "unknown or removed record id");
    return d->record(id);
}

QStringList DatasetDocument::images() const
{
    if (d->imagesDirty) {
        // Sorted files under images/, merged with the images only records name.
        QStringList extra;
        for (auto it = d->byImage.cbegin(); it != d->byImage.cend(); ++it)
            if (!d->imageFiles.set.contains(it.key()))
                extra << it.key();
        extra.sort();
        const QStringList &files = d->imageFiles.sorted;
        d->imagesCache.clear();
        d->imagesCache.reserve(files.size() + extra.size());
        std::merge(
            files.cbegin(), files.cend(), extra.cbegin(), extra.cend(), std::back_inserter(d->imagesCache));
        d->imagesDirty = false;
    }
    return d->imagesCache;
}

QVector<RecordId> DatasetDocument::recordsForImage(const QString &image) const
{
    QVector<RecordId> ids = d->byImage.value(image);
    std::sort(ids.begin(), ids.end(), [this](RecordId a, RecordId b) {
        const DatasetRecord &ra = d->slot(a).rec, &rb = d->slot(b).rec;
        return ra.file != rb.file ? ra.file < rb.file : a < b;
    });
    return ids;
}

QVector<RecordId> DatasetDocument::recordsFor(const QString &image, const QString &prefix) const
{
    QVector<RecordId> ids = recordsForImage(image);
    ids.erase(
        std::remove_if(ids.begin(), ids.end(), [&](RecordId id) { return d->slot(id).rec.prefix != prefix; }),
        ids.end());
    return ids;
}

Result<std::vector<loc::OdBox>> DatasetDocument::boxes(RecordId id) const
{
    if (!contains(id))
        return makeError(ErrorCode::InvalidArgument, "no such record");
    const DatasetRecord &rec = d->record(id);
    if (rec.prefix != QLatin1String("<OD>"))
        return makeError(ErrorCode::InvalidArgument,
            "not an <OD> record (prefix " + rec.prefix.toStdString() + ")", rec.file.toStdString(), rec.line);
    auto parsed = loc::parseOd(rec.suffix.toStdString());
    if (!parsed.ok()) {
        Error e = parsed.error();
        e.path = rec.file.toStdString();
        e.line = rec.line;
        return e;
    }
    return parsed;
}

QVector<DatasetProblem> DatasetDocument::problems() const
{
    QVector<DatasetProblem> out;
    for (const auto &[name, f] : d->files) {
        if (!f.readError.isEmpty()) {
            DatasetProblem p;
            p.kind = DatasetProblem::Kind::UnreadableFile;
            p.file = name;
            p.message = QStringLiteral("cannot read the file: %1").arg(f.readError);
            out.append(p);
            continue;
        }
        d->lineProblems(f, &out);
    }
    QStringList orphans;
    for (const QString &image : d->imageFiles.sorted)
        if (!d->byImage.contains(image))
            orphans << image;
    for (const QString &image : orphans) {
        DatasetProblem p;
        p.kind = DatasetProblem::Kind::ImageWithoutRecord;
        p.file = QStringLiteral("images/") + image;
        p.message = QStringLiteral("no record in any .jsonl file names this image");
        out.append(p);
    }
    return out;
}

// --- editing ----------------------------------------------------------------------------

QUndoStack *DatasetDocument::undoStack() const
{
    return d->undo;
}

#define FMW_REQUIRE_RECORD(id)                                                                               \
    do {                                                                                                     \
        Q_ASSERT_X(contains(id), Q_FUNC_INFO, "unknown or removed record id");                               \
        if (!contains(id))                                                                                   \
            return;                                                                                          \
    } while (false)

void DatasetDocument::setCaption(RecordId id, const QString &suffix)
{
    FMW_REQUIRE_RECORD(id);
    d->pushSuffixEdit(id, suffix, tr("Edit caption"));
}

void DatasetDocument::addBox(RecordId id, const loc::OdBox &box)
{
    FMW_REQUIRE_RECORD(id);
    loc::OdBox clean {cleanLabel(QString::fromStdString(box.label)), normalizedBins(box.bins)};
    Q_ASSERT_X(!clean.label.empty(), Q_FUNC_INFO, "a box needs a label");
    if (clean.label.empty())
        return;
    d->pushBoxEdit(id, tr("Add box"), -1, -1, [&](std::vector<loc::OdBox> &boxes) {
        boxes.push_back(clean);
        return true;
    });
}

void DatasetDocument::moveBox(RecordId id, int index, const loc::Bins &bins, int mergeKey)
{
    FMW_REQUIRE_RECORD(id);
    const loc::Bins clean = normalizedBins(bins);
    d->pushBoxEdit(id, tr("Move box"), index, mergeKey, [&](std::vector<loc::OdBox> &boxes) {
        if (index < 0 || size_t(index) >= boxes.size())
            return false;
        boxes[size_t(index)].bins = clean;
        return true;
    });
}

void DatasetDocument::resizeBox(RecordId id, int index, const loc::Bins &bins, int mergeKey)
{
    FMW_REQUIRE_RECORD(id);
    const loc::Bins clean = normalizedBins(bins);
    d->pushBoxEdit(id, tr("Resize box"), index, mergeKey, [&](std::vector<loc::OdBox> &boxes) {
        if (index < 0 || size_t(index) >= boxes.size())
            return false;
        boxes[size_t(index)].bins = clean;
        return true;
    });
}

void DatasetDocument::deleteBox(RecordId id, int index)
{
    FMW_REQUIRE_RECORD(id);
    d->pushBoxEdit(id, tr("Delete box"), -1, -1, [&](std::vector<loc::OdBox> &boxes) {
        if (index < 0 || size_t(index) >= boxes.size())
            return false;
        boxes.erase(boxes.begin() + index);
        return true;
    });
}

void DatasetDocument::relabelBox(RecordId id, int index, const QString &label)
{
    FMW_REQUIRE_RECORD(id);
    const std::string clean = cleanLabel(label);
    if (clean.empty())
        return;
    d->pushBoxEdit(id, tr("Rename box"), -1, -1, [&](std::vector<loc::OdBox> &boxes) {
        if (index < 0 || size_t(index) >= boxes.size())
            return false;
        boxes[size_t(index)].label = clean;
        return true;
    });
}

RecordId DatasetDocument::addRecord(
    const QString &file, const QString &image, const QString &prefix, const QString &suffix)
{
    Q_ASSERT_X(isSplitFileName(file), Q_FUNC_INFO, "file must be a *.jsonl name at the dataset root");
    if (!isSplitFileName(file))
        return 0;
    const RecordId id = d->newSlot(image, prefix, suffix);
    d->undo->push(new AddRecordCommand(this, id, file));
    return id;
}

void DatasetDocument::removeRecord(RecordId id)
{
    FMW_REQUIRE_RECORD(id);
    d->undo->push(new RemoveRecordCommand(this, id));
}

void DatasetDocument::setSplit(RecordId id, Split split)
{
    setSplit(QVector<RecordId> {id}, split);
}

void DatasetDocument::setSplit(const QVector<RecordId> &ids, Split split)
{
    std::vector<RecordMove> moves;
    QSet<RecordId> seen;
    for (RecordId id : ids) {
        Q_ASSERT_X(contains(id), Q_FUNC_INFO, "unknown or removed record id");
        if (!contains(id) || seen.contains(id))
            continue;
        seen.insert(id);
        const QString &from = d->slot(id).rec.file;
        const QString to = splitFileName(split, variantOfFile(from));
        if (to == from)
            continue;
        RecordMove m;
        m.id = id;
        m.to = to;
        moves.push_back(m);
    }
    if (moves.empty())
        return;
    const QString text = moves.size() == 1
        ? tr("Move record to %1").arg(splitName(split))
        : tr("Move %1 records to %2").arg(moves.size()).arg(splitName(split));
    d->undo->push(new MoveRecordsCommand(this, std::move(moves), text));
}

// --- persistence ------------------------------------------------------------------------

bool DatasetDocument::isModified() const
{
    return !d->undo->isClean();
}

Status DatasetDocument::save()
{
    struct Pending {
        Private::File *file;
        QByteArray bytes;
    };
    std::vector<Pending> pending;
    for (auto &[name, f] : d->files) {
        if (!f.touched)
            continue;
        QByteArray bytes = d->serialize(f);
        if (f.onDisk ? bytes == f.diskContent : f.entries.empty()) {
            f.touched = false;
            continue;
        }
        if (!f.readError.isEmpty())
            return makeError(ErrorCode::Io,
                "could not be read when the dataset was opened, so it is not overwritten; "
                "fix its permissions and reopen the dataset",
                d->absolutePath(name).toStdString());
        pending.push_back({&f, std::move(bytes)});
    }

    QStringList conflicts;
    for (const Pending &p : pending)
        if (d->changedOnDisk(*p.file))
            conflicts << p.file->name;
    if (!conflicts.isEmpty())
        return makeError(ErrorCode::Conflict,
            "changed on disk since it was loaded (" + conflicts.join(QStringLiteral(", ")).toStdString()
                + "); nothing was saved. Reopen the dataset to see the other changes, or "
                  "move the changed file away and save again",
            d->absolutePath(conflicts.first()).toStdString());

    for (Pending &p : pending) {
        const QString path = d->absolutePath(p.file->name);
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return makeError(
                ErrorCode::Io, "cannot write: " + out.errorString().toStdString(), path.toStdString());
        if (out.write(p.bytes) != p.bytes.size() || !out.commit())
            return makeError(
                ErrorCode::Io, "cannot write: " + out.errorString().toStdString(), path.toStdString());
        p.file->onDisk = true;
        p.file->diskContent = std::move(p.bytes);
        p.file->touched = false;
    }
    d->undo->setClean();
    emit saved();
    return {};
}

QHash<QString, QByteArray> DatasetDocument::pendingFileContents() const
{
    // The same selection as save(), without clearing `touched`.
    QHash<QString, QByteArray> out;
    for (const auto &[name, f] : d->files) {
        if (!f.touched || !f.readError.isEmpty())
            continue;
        QByteArray bytes = d->serialize(f);
        if (f.onDisk ? bytes == f.diskContent : f.entries.empty())
            continue;
        out.insert(name, std::move(bytes));
    }
    return out;
}

std::optional<QByteArray> DatasetDocument::savedFileContent(const QString &file) const
{
    const auto it = d->files.find(file);
    if (it == d->files.end() || !it->second.onDisk)
        return std::nullopt;
    return it->second.diskContent;
}

QStringList DatasetDocument::externallyModifiedFiles() const
{
    QStringList out;
    for (const auto &[name, f] : d->files)
        if (f.readError.isEmpty() && d->changedOnDisk(f))
            out << name;
    return out;
}

} // namespace fmw

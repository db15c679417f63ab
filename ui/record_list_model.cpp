#include "ui/record_list_model.h"

#include "dataset/dataset_document.h"
#include "ui/thumbnail_loader.h"

#include <QFileInfo>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <utility>

namespace fmw::ui {

namespace {

const QString kOdPrefix = QStringLiteral("<OD>");

} // namespace

RecordListModel::RecordListModel(QObject *parent) : QAbstractListModel(parent)
{
    m_readyTimer.setSingleShot(true);
    m_readyTimer.setInterval(kThumbnailFrameMs);
    connect(&m_readyTimer, &QTimer::timeout, this, &RecordListModel::flushReadyImages);
}

RecordListModel::~RecordListModel() = default;

void RecordListModel::setDocument(DatasetDocument *document)
{
    if (m_document == document)
        return;
    if (m_document)
        m_document->disconnect(this);
    beginResetModel();
    m_summaries.clear();
    m_onDisk.clear();
    m_document = document;
    m_images = document ? document->images() : QStringList();
    rebuildIndex();
    endResetModel();
    if (!document)
        return;
    connect(document, &DatasetDocument::recordChanged, this, &RecordListModel::onRecordChanged);
    connect(document, &DatasetDocument::recordAdded, this, [this](RecordId id) {
        syncImages();
        if (m_document && m_document->contains(id)) {
            const QString &image = m_document->record(id).image;
            m_summaries.remove(image);
            emitRowChanged(rowOf(image));
        }
    });
    connect(document, &DatasetDocument::recordAboutToBeRemoved, this,
            &RecordListModel::onRecordAboutToBeRemoved);
    connect(document, &DatasetDocument::recordRemoved, this, [this](RecordId) {
        m_summaries.remove(m_removingImage);
        syncImages();
        emitRowChanged(rowOf(m_removingImage));
        m_removingImage.clear();
    });
    connect(document, &QObject::destroyed, this, [this] {
        beginResetModel();
        m_summaries.clear();
        m_images.clear();
        rebuildIndex();
        endResetModel();
    });
}

void RecordListModel::setThumbnailLoader(ThumbnailLoader *loader)
{
    if (m_loader)
        m_loader->disconnect(this);
    m_loader = loader;
    if (loader)
        connect(loader, &ThumbnailLoader::thumbnailReady, this, &RecordListModel::onThumbnailReady);
    if (!m_images.isEmpty())
        emit dataChanged(index(0), index(int(m_images.size()) - 1),
                         {Qt::DecorationRole, ThumbnailStateRole});
}

int RecordListModel::rowOf(const QString &image) const
{
    // Sorted (the document's order): binary search, no per-row index to build for 100,000 rows.
    if (m_sorted) {
        const auto it = std::lower_bound(m_images.cbegin(), m_images.cend(), image);
        return it != m_images.cend() && *it == image ? int(it - m_images.cbegin()) : -1;
    }
    return int(m_images.indexOf(image));
}

QString RecordListModel::imageAt(int row) const { return m_images.value(row); }

QStringList RecordListModel::prefixes() const
{
    QStringList out;
    if (!m_document)
        return out;
    for (RecordId id : m_document->recordIds()) {
        const QString &prefix = m_document->record(id).prefix;
        if (!out.contains(prefix))
            out << prefix;
    }
    out.sort();
    return out;
}

bool RecordListModel::isOnDisk(const QString &image) const
{
    const auto cached = m_onDisk.constFind(image);
    if (cached != m_onDisk.constEnd())
        return *cached;
    const bool exists = QFileInfo(m_document->absoluteImagePath(image)).isFile();
    m_onDisk.insert(image, exists);
    return exists;
}

QString RecordListModel::absolutePathAt(int row) const
{
    return m_document && row >= 0 && row < m_images.size() ? m_document->absoluteImagePath(m_images[row])
                                                           : QString();
}

int RecordListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_images.size());
}

QVariant RecordListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)
        || !m_document)
        return {};
    const QString &image = m_images[index.row()];
    const auto path = [&] { return m_document->absoluteImagePath(image); };

    switch (role) {
    case Qt::DisplayRole:
    case ImageRole:
        return image;
    case AbsolutePathRole:
        return path();
    case Qt::DecorationRole: {
        const QImage thumb = m_loader ? m_loader->thumbnail(path()) : QImage();
        if (!thumb.isNull())
            return thumb;
        const int side = m_loader ? m_loader->maxSide() : 64;
        return pendingThumbnail(side, m_loader && m_loader->hasFailed(path()));
    }
    case ThumbnailStateRole:
        if (m_loader && m_loader->hasFailed(path()))
            return int(ThumbnailFailed);
        if (m_loader && !m_loader->thumbnail(path()).isNull())
            return int(ThumbnailLoaded);
        return int(ThumbnailPending);
    default:
        break;
    }

    switch (role) {
    case RecordCountRole:
        return summary(image).records;
    case PrefixesRole:
        return summary(image).prefixes;
    case SplitsRole:
        return summary(image).splits;
    case BoxCountRole:
        return summary(image).boxes;
    case ProblemCountRole:
        return summary(image).problems;
    default:
        break;
    }

    const QVector<RecordId> ids = m_document->recordsForImage(image);
    switch (role) {
    case SearchTextRole: {
        QString text = image;
        for (RecordId id : ids) {
            const DatasetRecord &r = m_document->record(id);
            text += QLatin1Char('\n') + r.prefix;
            if (r.prefix != kOdPrefix)
                text += QLatin1Char(' ') + r.suffix;
        }
        return text;
    }
    case Qt::ToolTipRole: {
        QStringList lines{image};
        for (RecordId id : ids) {
            const DatasetRecord &r = m_document->record(id);
            lines << QStringLiteral("%1  %2:%3").arg(r.prefix, r.file).arg(r.line);
        }
        if (ids.isEmpty())
            lines << tr("no record names this image");
        if (m_loader && m_loader->hasFailed(path()))
            lines << m_loader->failure(path());
        return lines.join(QLatin1Char('\n'));
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> RecordListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(ImageRole, "image");
    names.insert(AbsolutePathRole, "absolutePath");
    names.insert(PrefixesRole, "prefixes");
    names.insert(SplitsRole, "splits");
    names.insert(BoxCountRole, "boxCount");
    names.insert(RecordCountRole, "recordCount");
    names.insert(SearchTextRole, "searchText");
    names.insert(ThumbnailStateRole, "thumbnailState");
    names.insert(ProblemCountRole, "problemCount");
    return names;
}

QImage RecordListModel::pendingThumbnail(int side, bool failed)
{
    // Cached per size: painted once, shared by every pending row.
    static QHash<quint64, QImage> cache;
    const quint64 key = (quint64(side) << 1) | (failed ? 1 : 0);
    const auto cached = cache.constFind(key);
    if (cached != cache.constEnd())
        return *cached;

    QImage image(side, side, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(38, 40, 44));
    p.drawRoundedRect(QRectF(0, 0, side, side), side * 0.08, side * 0.08);
    const qreal s = side;
    p.setBrush(QColor(70, 74, 80));
    p.drawEllipse(QRectF(s * 0.22, s * 0.22, s * 0.24, s * 0.56));
    p.drawEllipse(QRectF(s * 0.54, s * 0.22, s * 0.24, s * 0.56));
    if (failed) {
        p.setPen(QPen(QColor(200, 70, 70), std::max<qreal>(2, s / 20)));
        p.drawLine(QPointF(s * 0.3, s * 0.3), QPointF(s * 0.7, s * 0.7));
        p.drawLine(QPointF(s * 0.7, s * 0.3), QPointF(s * 0.3, s * 0.7));
    }
    p.end();
    cache.insert(key, image);
    return image;
}

const RecordListModel::Summary &RecordListModel::summary(const QString &image) const
{
    // The delegate asks for these on every repaint; parsing <OD> text each time would make
    // scrolling cost more than it needs to.
    const auto cached = m_summaries.constFind(image);
    if (cached != m_summaries.constEnd())
        return *cached;
    Summary s;
    const QVector<RecordId> ids = m_document->recordsForImage(image);
    s.records = int(ids.size());
    for (RecordId id : ids) {
        const DatasetRecord &r = m_document->record(id);
        if (!s.prefixes.contains(r.prefix))
            s.prefixes << r.prefix;
        const QString split = splitName(splitOfFile(r.file));
        if (!s.splits.contains(split))
            s.splits << split;
        if (r.prefix == kOdPrefix) {
            const auto parsed = m_document->boxes(id);
            if (parsed)
                s.boxes += int(parsed->size());
            else
                ++s.problems;  // invalid-od
        }
    }
    // The dataset check's image problems: missing-image per record naming an absent file,
    // image-without-record for a file no record names.
    const bool onDisk = isOnDisk(image);
    if (ids.isEmpty())
        s.problems += onDisk ? 1 : 0;
    else if (!onDisk)
        s.problems += int(ids.size());
    s.prefixes.sort();
    s.splits.sort();
    return *m_summaries.insert(image, s);
}

void RecordListModel::syncImages()
{
    const QStringList next = m_document ? m_document->images() : QStringList();
    if (next == m_images)
        return;
    // Both lists are sorted: merge them into row removals and insertions so selections and
    // scroll positions survive an added or removed record. Any other order: reset.
    if (!std::is_sorted(next.begin(), next.end()) || !std::is_sorted(m_images.begin(), m_images.end())) {
        beginResetModel();
        m_summaries.clear();
        m_images = next;
        rebuildIndex();
        endResetModel();
        return;
    }
    int i = 0;
    int j = 0;
    while (i < m_images.size() || j < next.size()) {
        const bool oldLeft = i < m_images.size();
        const bool newLeft = j < next.size();
        if (oldLeft && (!newLeft || m_images[i] < next[j])) {
            int end = i;
            while (end < m_images.size() && (!newLeft || m_images[end] < next[j]))
                ++end;
            beginRemoveRows({}, i, end - 1);
            m_images.erase(m_images.begin() + i, m_images.begin() + end);
            endRemoveRows();
        } else if (newLeft && (!oldLeft || next[j] < m_images[i])) {
            int end = j;
            while (end < next.size() && (!oldLeft || next[end] < m_images[i]))
                ++end;
            beginInsertRows({}, i, i + (end - j) - 1);
            for (int k = j; k < end; ++k)
                m_images.insert(i + (k - j), next[k]);
            endInsertRows();
            i += end - j;
            j = end;
        } else {
            ++i;
            ++j;
        }
    }
    rebuildIndex();
}

void RecordListModel::rebuildIndex()
{
    m_sorted = std::is_sorted(m_images.cbegin(), m_images.cend());
    // What absoluteImagePath() puts before an image name (e.g. "/data/set/images/").
    const QString probe = m_document ? m_document->absoluteImagePath(QStringLiteral("x")) : QString();
    m_imagesPrefix = probe.endsWith(QLatin1Char('x')) ? probe.chopped(1) : QString();
}

void RecordListModel::onRecordChanged(RecordId id)
{
    if (!m_document || !m_document->contains(id))
        return;
    // A split change renames the record's file; a caption edit may change nothing cached:
    // recompute either way, it is one image.
    const QString &image = m_document->record(id).image;
    m_summaries.remove(image);
    emitRowChanged(rowOf(image));
}

void RecordListModel::onRecordAboutToBeRemoved(RecordId id)
{
    if (m_document && m_document->contains(id))
        m_removingImage = m_document->record(id).image;
}

void RecordListModel::onThumbnailReady(const QString &path)
{
    // Thumbnails are keyed by absolute path: <images dir>/<image>.
    if (m_imagesPrefix.isEmpty() || !path.startsWith(m_imagesPrefix))
        return;
    const QString image = path.mid(m_imagesPrefix.size());
    if (absolutePathAt(rowOf(image)) != path)
        return;
    // Thumbnails arrive every few milliseconds: repaint their rows together, once per frame.
    m_readyImages.insert(image);
    if (!m_readyTimer.isActive())
        m_readyTimer.start();
}

void RecordListModel::flushReadyImages()
{
    const QSet<QString> images = std::exchange(m_readyImages, {});
    for (const QString &image : images)
        emitRowChanged(rowOf(image), {Qt::DecorationRole, ThumbnailStateRole, Qt::ToolTipRole});
}

void RecordListModel::emitRowChanged(int row, const QVector<int> &roles)
{
    if (row < 0 || row >= m_images.size())
        return;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, QList<int>(roles.begin(), roles.end()));
}

} // namespace fmw::ui

#include "ui/box_edit_controller.h"

#include "ui/box_labels.h"
#include "ui/image_view.h"

#include <QAction>

#include <algorithm>

namespace fmw::ui {

namespace {

const QString kOd = QStringLiteral("<OD>");
// A duplicate is offset by this many bins (2% of the image) right and down.
constexpr int kDuplicateOffsetBins = 20;

QRectF pixelRect(const loc::BoxPx &px)
{
    return QRectF(QPointF(px[0], px[1]), QPointF(px[2], px[3]));
}

loc::BoxPx boxPx(const QRectF &r)
{
    return {float(r.left()), float(r.top()), float(r.right()), float(r.bottom())};
}

// Moves [lo, hi] by `delta` bins, keeping its size and staying within 0..999.
void shiftSpan(int &lo, int &hi, int delta)
{
    const int size = hi - lo;
    lo = std::clamp(lo + delta, 0, loc::kMaxBin - size);
    hi = lo + size;
}

QAction *makeAction(QObject *parent, const QString &objectName, const QString &text,
                    const QList<QKeySequence> &keys, const QString &tip)
{
    auto *action = new QAction(text, parent);
    action->setObjectName(objectName);
    action->setShortcuts(keys);
    // Only where the action itself is placed in a focused widget: the view handles the keys.
    action->setShortcutContext(Qt::WidgetShortcut);
    action->setToolTip(QStringLiteral("%1 (%2)").arg(tip, keys.first().toString(QKeySequence::NativeText)));
    action->setStatusTip(tip);
    return action;
}

} // namespace

BoxEditController::BoxEditController(ImageView *view, QObject *parent)
    : QObject(parent)
    , m_view(view)
    , m_labels(new BoxLabels(this))
{
    setObjectName(QStringLiteral("boxEditController"));
    m_drawAction = makeAction(this, QStringLiteral("boxDrawAction"), tr("&Draw Box"),
                              {QKeySequence(Qt::Key_B)}, tr("Draw a new box by dragging on the image; Esc stops"));
    m_drawAction->setCheckable(true);
    m_deleteAction = makeAction(this, QStringLiteral("boxDeleteAction"), tr("De&lete Box"),
                                {QKeySequence(QKeySequence::Delete), QKeySequence(Qt::Key_Backspace)},
                                tr("Delete the selected box"));
    m_duplicateAction = makeAction(this, QStringLiteral("boxDuplicateAction"), tr("D&uplicate Box"),
                                   {QKeySequence(Qt::CTRL | Qt::Key_D)}, tr("Duplicate the selected box"));
    m_nextAction = makeAction(this, QStringLiteral("boxNextAction"), tr("&Next Box"),
                              {QKeySequence(Qt::Key_Tab)}, tr("Select the next box"));
    m_previousAction = makeAction(this, QStringLiteral("boxPreviousAction"), tr("&Previous Box"),
                                  {QKeySequence(Qt::SHIFT | Qt::Key_Tab)}, tr("Select the previous box"));

    connect(m_drawAction, &QAction::toggled, m_view, &ImageView::setDrawMode);
    connect(m_deleteAction, &QAction::triggered, this, &BoxEditController::deleteSelected);
    connect(m_duplicateAction, &QAction::triggered, this, &BoxEditController::duplicateSelected);
    connect(m_nextAction, &QAction::triggered, m_view, [this] { m_view->selectNextBox(false); });
    connect(m_previousAction, &QAction::triggered, m_view, [this] { m_view->selectNextBox(true); });

    connect(m_view, &ImageView::drawModeChanged, this, [this](bool on) { m_drawAction->setChecked(on); });
    connect(m_view, &ImageView::selectionChanged, this, [this](int index) {
        updateActions();
        emit selectionChanged(index);
    });
    connect(m_view, &ImageView::drawingChanged, this, [this](const QRectF &rect) {
        m_drawing = rect;
        emitPreviewIfChanged();
    });
    connect(m_view, &ImageView::boxDrawn, this, &BoxEditController::onBoxDrawn);
    connect(m_view, &ImageView::boxEdited, this, &BoxEditController::onBoxEdited);
    connect(m_view, &ImageView::nudgeRequested, this, &BoxEditController::onNudge);
    connect(m_view, &ImageView::deleteRequested, this, [this](int index) {
        selectBox(index);
        deleteSelected();
    });
    connect(m_view, &ImageView::duplicateRequested, this, [this](int index) {
        selectBox(index);
        duplicateSelected();
    });
    refresh();
}

BoxEditController::~BoxEditController() = default;

ImageView *BoxEditController::view() const
{
    return m_view.data();
}

QList<QAction *> BoxEditController::actions() const
{
    return {m_drawAction, m_deleteAction, m_duplicateAction, m_nextAction, m_previousAction};
}

void BoxEditController::setDocument(DatasetDocument *document)
{
    if (m_document == document)
        return;
    if (m_document)
        disconnect(m_document, nullptr, this, nullptr);
    m_document = document;
    m_image.clear();
    m_size = QSize();
    if (document) {
        connect(document, &DatasetDocument::recordChanged, this, &BoxEditController::onRecordEvent);
        connect(document, &DatasetDocument::recordAdded, this, &BoxEditController::onRecordEvent);
        connect(document, &DatasetDocument::recordRemoved, this, [this](RecordId id) {
            if (m_shown.contains(id))
                refresh();
        });
        // A document deleted under us: nothing to edit any more.
        connect(document, &QObject::destroyed, this, [this] { refresh(); });
    }
    selectBox(-1);
    refresh();
}

void BoxEditController::setImage(const QString &image, const QSize &imageSizePx)
{
    const bool other = image != m_image;
    m_image = image;
    m_size = imageSizePx;
    if (other)
        selectBox(-1);
    refresh();
}

void BoxEditController::onRecordEvent(RecordId id)
{
    if (m_shown.contains(id)) {
        refresh();
        return;
    }
    if (!m_document || !m_document->contains(id))
        return;
    const DatasetRecord &rec = m_document->record(id);
    if (rec.image == m_image && rec.prefix == kOd)
        refresh();
}

loc::ImageSize BoxEditController::codecSize() const
{
    return {double(m_size.width()), double(m_size.height())};
}

bool BoxEditController::canEdit() const
{
    return m_document && !m_image.isEmpty() && !m_size.isEmpty() && m_error.isEmpty();
}

void BoxEditController::refresh()
{
    m_record = 0;
    m_shown.clear();
    m_boxes.clear();
    m_error.clear();
    QVector<ImageView::Box> viewBoxes;
    if (m_document && !m_image.isEmpty() && !m_size.isEmpty()) {
        m_shown = m_document->recordsFor(m_image, kOd);
        for (int i = 0; i < m_shown.size(); ++i) {
            const auto parsed = m_document->boxes(m_shown[i]);
            if (i == 0) {
                m_record = m_shown[i];
                if (parsed)
                    m_boxes = *parsed;
                else
                    m_error = tr("The <OD> text of %1 line %2 cannot be edited: %3")
                                  .arg(m_document->record(m_record).file)
                                  .arg(m_document->record(m_record).line)
                                  .arg(QString::fromStdString(parsed.error().message));
            }
            if (!parsed)
                continue;
            for (const loc::OdBox &box : *parsed)
                viewBoxes.push_back({QString::fromStdString(box.label),
                                     pixelRect(loc::dequantizeBox(box.bins, codecSize())),
                                     i == 0});
        }
    }
    if (!m_view)
        return;
    m_view->setEditable(canEdit());
    m_view->setBoxes(viewBoxes);
    updateActions();
    emit boxesChanged();
    emitPreviewIfChanged();
}

void BoxEditController::updateActions()
{
    if (!m_view)
        return;
    const bool editable = canEdit();
    const bool selected = editable && m_view->selectedBox() >= 0;
    m_drawAction->setEnabled(editable);
    m_drawAction->setChecked(m_view->isDrawMode());
    m_deleteAction->setEnabled(selected);
    m_duplicateAction->setEnabled(selected);
    m_nextAction->setEnabled(editable && !m_boxes.empty());
    m_previousAction->setEnabled(editable && !m_boxes.empty());
}

QString BoxEditController::previewText() const
{
    std::vector<loc::OdBox> boxes = m_boxes;
    if (!m_drawing.isNull() && canEdit())
        boxes.push_back({newBoxLabel().toStdString(), loc::quantizeBox(boxPx(m_drawing), codecSize())});
    return QString::fromStdString(loc::formatOd(boxes));
}

void BoxEditController::emitPreviewIfChanged()
{
    const QString text = previewText();
    if (text == m_lastPreview)
        return;
    m_lastPreview = text;
    emit previewChanged(text);
}

QRectF BoxEditController::boxRect(int index) const
{
    if (index < 0 || size_t(index) >= m_boxes.size())
        return {};
    return pixelRect(loc::dequantizeBox(m_boxes[size_t(index)].bins, codecSize()));
}

int BoxEditController::selectedBox() const
{
    return m_view ? m_view->selectedBox() : -1;
}

void BoxEditController::selectBox(int index)
{
    if (m_view)
        m_view->setSelectedBox(index);
}

QString BoxEditController::newBoxLabel() const
{
    return m_labels->lastUsed();
}

void BoxEditController::setNewBoxLabel(const QString &label)
{
    m_labels->setLastUsed(m_labels->remember(label));
    emitPreviewIfChanged();
}

QString BoxEditController::fileForNewRecord(const DatasetDocument &document, const QString &image)
{
    const QVector<RecordId> ids = document.recordsForImage(image);
    for (RecordId id : ids) {
        const QString file = document.record(id).file;
        if (variantOfFile(file).isEmpty())
            return file;
    }
    for (RecordId id : ids) {
        const Split split = splitOfFile(document.record(id).file);
        if (split != Split::Other)
            return splitFileName(split, QString());
    }
    return splitFileName(Split::Train, QString());
}

void BoxEditController::addBox(const QRectF &rectPx)
{
    if (!canEdit())
        return;
    const QRectF r = rectPx.normalized().intersected(QRectF(QPointF(0, 0), QSizeF(m_size)));
    const loc::OdBox box{newBoxLabel().toStdString(), loc::quantizeBox(boxPx(r), codecSize())};
    if (m_record == 0) {
        // One undo step: the record arrives with its first box.
        m_document->addRecord(fileForNewRecord(*m_document, m_image), m_image, kOd,
                              QString::fromStdString(loc::formatOd({box})));
    } else {
        m_document->addBox(m_record, box);
    }
    selectBox(int(m_boxes.size()) - 1);
}

void BoxEditController::relabelSelected(const QString &label)
{
    const QString clean = m_labels->remember(label);
    if (clean.isEmpty())
        return;
    m_labels->setLastUsed(clean);
    const int index = selectedBox();
    if (canEdit() && index >= 0 && size_t(index) < m_boxes.size())
        m_document->relabelBox(m_record, index, clean);
    emitPreviewIfChanged();
}

void BoxEditController::deleteSelected()
{
    const int index = selectedBox();
    if (!canEdit() || index < 0 || size_t(index) >= m_boxes.size())
        return;
    selectBox(-1);
    m_document->deleteBox(m_record, index);
}

void BoxEditController::duplicateSelected()
{
    const int index = selectedBox();
    if (!canEdit() || index < 0 || size_t(index) >= m_boxes.size())
        return;
    loc::OdBox copy = m_boxes[size_t(index)];
    // Right and down; where the edge is too close, the other way, so the copy stays visible.
    for (int axis = 0; axis < 2; ++axis) {
        int &lo = copy.bins[size_t(axis)];
        int &hi = copy.bins[size_t(axis) + 2];
        const int delta = hi + kDuplicateOffsetBins <= loc::kMaxBin ? kDuplicateOffsetBins : -kDuplicateOffsetBins;
        shiftSpan(lo, hi, delta);
    }
    m_document->addBox(m_record, copy);
    selectBox(int(m_boxes.size()) - 1);
}

void BoxEditController::nudgeSelected(const QPointF &deltaPx, bool mergeWithPrevious)
{
    const int index = selectedBox();
    if (!canEdit() || index < 0 || size_t(index) >= m_boxes.size())
        return;
    if (!mergeWithPrevious || index != m_lastNudgeBox)
        ++m_mergeKey;
    m_lastNudgeBox = index;
    m_lastGesture = -1;
    const loc::Bins old = m_boxes[size_t(index)].bins;
    const QRectF moved = boxRect(index).translated(deltaPx);
    loc::Bins bins = movedBins(old, moved);
    // On images wider than 1000 px one pixel can stay inside the same bin: move one bin then,
    // so every key press shows.
    for (int axis = 0; axis < 2; ++axis) {
        const double d = axis == 0 ? deltaPx.x() : deltaPx.y();
        const size_t lo = size_t(axis);
        if (d != 0 && bins[lo] == old[lo]) {
            int a = old[lo], b = old[lo + 2];
            shiftSpan(a, b, d > 0 ? 1 : -1);
            bins[lo] = a;
            bins[lo + 2] = b;
        }
    }
    m_document->moveBox(m_record, index, bins, m_mergeKey);
}

loc::Bins BoxEditController::movedBins(const loc::Bins &old, const QRectF &rectPx) const
{
    // A move keeps the box's size in bins exactly; only its top-left corner is quantized.
    const loc::ImageSize size = codecSize();
    int x1 = loc::quantize(rectPx.left(), size.width), x2 = x1 + (old[2] - old[0]);
    int y1 = loc::quantize(rectPx.top(), size.height), y2 = y1 + (old[3] - old[1]);
    shiftSpan(x1, x2, 0);
    shiftSpan(y1, y2, 0);
    return {x1, y1, x2, y2};
}

void BoxEditController::onBoxDrawn(const QRectF &rect)
{
    m_drawing = QRectF();
    addBox(rect);
    emitPreviewIfChanged();
}

void BoxEditController::onBoxEdited(int index, const QRectF &rect, bool resized, int gesture)
{
    if (!canEdit() || index < 0 || size_t(index) >= m_boxes.size())
        return;
    // All the moves of one drag merge into one undo step; the next drag starts a new one.
    if (gesture != m_lastGesture) {
        m_lastGesture = gesture;
        ++m_mergeKey;
    }
    m_lastNudgeBox = -1;
    if (resized) {
        m_document->resizeBox(m_record, index, loc::quantizeBox(boxPx(rect), codecSize()), m_mergeKey);
        return;
    }
    // The box as it was when the drag began is what the view offsets; use its bins' size.
    m_document->moveBox(m_record, index, movedBins(m_boxes[size_t(index)].bins, rect), m_mergeKey);
}

void BoxEditController::onNudge(int index, const QPointF &delta, bool autoRepeat)
{
    selectBox(index);
    nudgeSelected(delta, autoRepeat);
}

} // namespace fmw::ui

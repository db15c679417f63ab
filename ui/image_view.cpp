#include "ui/image_view.h"

#include "imaging/image_renderer.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>

namespace fmw::ui {

namespace {

constexpr double kMinZoom = 0.02;
constexpr double kMaxZoom = 40.0;
constexpr double kZoomStep = 1.25;
constexpr double kFitMargin = 0.98;
// From this zoom on, pixels are drawn as crisp squares instead of interpolated.
constexpr double kPixelZoom = 4.0;
// A right drag across this many pixels changes the window by its default width.
constexpr double kWindowDragPixels = 256.0;

const QColor kBackground(20, 21, 24);
const QColor kPredictedColor(255, 70, 210);
// Screen pixels: a press that moves less than this is a click, not a drag.
constexpr double kDragThreshold = 3.0;
// Screen pixels: handle square size and how far from its centre it can be grabbed.
constexpr double kHandleSize = 7.0;
constexpr double kHandleHit = 6.0;

// Stable, distinguishable colour per label.
QColor labelColor(const QString &label)
{
    static const QColor colors[] = {
        QColor(255, 196, 0), QColor(0, 200, 255), QColor(255, 92, 120), QColor(120, 230, 120),
        QColor(200, 140, 255), QColor(255, 150, 60), QColor(80, 220, 200),
    };
    return colors[qHash(label) % (sizeof(colors) / sizeof(colors[0]))];
}

// The 8 handle points of a rectangle in ImageView::Handle order (TopLeft .. Left).
std::array<QPointF, 8> handlePoints(const QRectF &r)
{
    const QPointF c = r.center();
    return {r.topLeft(), QPointF(c.x(), r.top()), r.topRight(), QPointF(r.right(), c.y()),
            r.bottomRight(), QPointF(c.x(), r.bottom()), r.bottomLeft(), QPointF(r.left(), c.y())};
}

// Text with a dark halo so it reads on any part of an X-ray.
void drawOverlayText(QPainter &p, const QRectF &rect, int flags, const QString &text)
{
    p.setPen(QColor(0, 0, 0, 200));
    for (const QPointF d : {QPointF(1, 1), QPointF(-1, 1), QPointF(1, -1), QPointF(-1, -1)})
        p.drawText(rect.translated(d), flags, text);
    p.setPen(QColor(225, 228, 232));
    p.drawText(rect, flags, text);
}

} // namespace

ImageView::ImageView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("imageView"));
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setContextMenuPolicy(Qt::PreventContextMenu);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(200, 200);
}

ImageView::~ImageView() = default;

void ImageView::setImage(std::shared_ptr<const imaging::DecodedImage> image, const QString &title)
{
    m_image = std::move(image);
    m_title = title;
    m_message.clear();
    m_settings.window.reset();
    cancelEditDrag();
    m_drag = Drag::None;
    setSelectedBox(-1);
    rerender();
    m_fitMode = true;
    applyFit();
    update();
}

void ImageView::clearImage(const QString &message)
{
    m_image.reset();
    m_rendered = QImage();
    m_scaled = QImage();
    m_boxes.clear();
    m_predicted.clear();
    m_title.clear();
    m_message = message;
    cancelEditDrag();
    m_drag = Drag::None;
    setSelectedBox(-1);
    update();
    emit cursorLeft();
}

void ImageView::setBoxes(const QVector<Box> &boxes)
{
    m_boxes = boxes;
    // A refresh during a drag (the document echoing the edit) keeps the drag going, unless
    // the box it drags is gone (undo from a menu mid-drag).
    if (m_dragBox >= m_boxes.size() || (m_dragBox >= 0 && !m_boxes[m_dragBox].editable))
        cancelEditDrag();
    if (m_selected >= m_boxes.size() || (m_selected >= 0 && !m_boxes[m_selected].editable))
        setSelectedBox(-1);
    update();
}

void ImageView::setPredictedBoxes(const QVector<Box> &boxes)
{
    m_predicted = boxes;
    update();
}

void ImageView::setEditable(bool editable)
{
    if (m_editable == editable)
        return;
    m_editable = editable;
    if (!editable) {
        cancelEditDrag();
        setDrawMode(false);
        setSelectedBox(-1);
    }
    update();
}

void ImageView::setDrawMode(bool on)
{
    on = on && m_editable;
    if (m_drawMode == on)
        return;
    if (!on && m_drag == Drag::Draw)
        cancelEditDrag();
    m_drawMode = on;
    if (on)
        setCursor(Qt::CrossCursor);
    else
        unsetCursor();
    update();
    emit drawModeChanged(on);
}

void ImageView::setSelectedBox(int index)
{
    if (index < 0 || index >= m_boxes.size() || !m_boxes[index].editable || !m_editable)
        index = -1;
    if (index == m_selected)
        return;
    m_selected = index;
    update();
    emit selectionChanged(index);
}

void ImageView::selectNextBox(bool backwards)
{
    const int n = int(m_boxes.size());
    if (n == 0)
        return;
    int i = m_selected < 0 ? (backwards ? n : -1) : m_selected;
    for (int step = 0; step < n; ++step) {
        i = (i + (backwards ? n - 1 : 1)) % n;
        if (m_boxes[i].editable) {
            setSelectedBox(i);
            return;
        }
    }
}

QRectF ImageView::imageRect() const
{
    return m_rendered.isNull() ? QRectF() : QRectF(QPointF(0, 0), QSizeF(m_rendered.size()));
}

QPointF ImageView::clampToImage(const QPointF &p) const
{
    const QRectF r = imageRect();
    return {std::clamp(p.x(), r.left(), r.right()), std::clamp(p.y(), r.top(), r.bottom())};
}

QRectF ImageView::clampedMove(const QRectF &rect) const
{
    const QRectF img = imageRect();
    QRectF r = rect;
    if (r.right() > img.right())
        r.moveRight(img.right());
    if (r.bottom() > img.bottom())
        r.moveBottom(img.bottom());
    if (r.left() < img.left())
        r.moveLeft(img.left());
    if (r.top() < img.top())
        r.moveTop(img.top());
    return r;
}

QRectF ImageView::widgetRect(const QRectF &imageRect) const
{
    return QRectF(mapFromImage(imageRect.topLeft()), mapFromImage(imageRect.bottomRight())).normalized();
}

QPointF ImageView::handlePosition(int index, Handle handle) const
{
    if (index < 0 || index >= m_boxes.size() || handle == Handle::None)
        return {};
    return handlePoints(widgetRect(m_boxes[index].rect))[size_t(handle) - 1];
}

ImageView::Handle ImageView::handleAt(const QPointF &pos) const
{
    if (m_selected < 0)
        return Handle::None;
    // The nearest handle in reach: on a small box the edge handles crowd the corners.
    Handle best = Handle::None;
    double bestDistance = kHandleHit;
    for (Handle h : {Handle::TopLeft, Handle::TopRight, Handle::BottomRight, Handle::BottomLeft,
                     Handle::Top, Handle::Right, Handle::Bottom, Handle::Left}) {
        const QPointF d = pos - handlePosition(m_selected, h);
        const double distance = std::max(std::abs(d.x()), std::abs(d.y()));
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = h;
        }
    }
    return best;
}

int ImageView::boxAt(const QPointF &pos) const
{
    // The smallest editable box under the cursor, so a box nested in another can be picked.
    int best = -1;
    double bestArea = 0;
    for (int i = 0; i < m_boxes.size(); ++i) {
        if (!m_boxes[i].editable)
            continue;
        const QRectF r = widgetRect(m_boxes[i].rect).adjusted(-2, -2, 2, 2);
        const double area = r.width() * r.height();
        if (r.contains(pos) && (best < 0 || area <= bestArea)) {
            best = i;
            bestArea = area;
        }
    }
    return best;
}

void ImageView::cancelEditDrag()
{
    if (m_drag == Drag::Draw && !m_drawRect.isNull()) {
        m_drawRect = QRectF();
        emit drawingChanged(QRectF());
    }
    if (m_drag == Drag::Draw || m_drag == Drag::Move || m_drag == Drag::Resize)
        m_drag = Drag::None;
    m_drawRect = QRectF();
    m_dragBox = -1;
    m_dragHandle = Handle::None;
    update();
}

imaging::Window ImageView::window() const
{
    if (m_settings.window)
        return *m_settings.window;
    return m_image ? imaging::defaultWindow(*m_image) : imaging::Window{};
}

void ImageView::setWindow(const imaging::Window &window)
{
    if (!m_image)
        return;
    imaging::Window w = window;
    w.width = std::max(w.width, 1.0);
    m_settings.window = w;
    rerender();
}

void ImageView::resetWindow()
{
    if (!m_settings.window)
        return;
    m_settings.window.reset();
    rerender();
}

void ImageView::setInverted(bool inverted)
{
    if (m_settings.invert == inverted)
        return;
    m_settings.invert = inverted;
    rerender();
    emit invertedChanged(inverted);
}

void ImageView::rerender()
{
    m_scaled = QImage();
    m_scaledZoom = 0;
    if (!m_image) {
        m_rendered = QImage();
        update();
        return;
    }
    m_rendered = imaging::render(*m_image, m_settings);
    const imaging::Window w = window();
    update();
    emit windowChanged(w.center, w.width);
}

QPointF ImageView::mapToImage(const QPointF &widgetPos) const
{
    return (widgetPos - m_offset) / m_zoom;
}

QPointF ImageView::mapFromImage(const QPointF &imagePos) const
{
    return imagePos * m_zoom + m_offset;
}

void ImageView::setZoomAndOffset(double zoom, const QPointF &offset)
{
    const bool zoomChangedNow = zoom != m_zoom;
    m_zoom = zoom;
    m_offset = offset;
    update();
    if (zoomChangedNow)
        emit zoomChanged(m_zoom);
}

void ImageView::applyFit()
{
    if (m_rendered.isNull())
        return;
    const QSizeF img = m_rendered.size();
    const double zoom = std::clamp(kFitMargin * std::min(width() / img.width(), height() / img.height()),
                                   kMinZoom, kMaxZoom);
    const QPointF offset((width() - img.width() * zoom) / 2.0, (height() - img.height() * zoom) / 2.0);
    setZoomAndOffset(zoom, offset);
}

void ImageView::fitToWindow()
{
    m_fitMode = true;
    applyFit();
}

void ImageView::zoomToActualSize()
{
    m_fitMode = false;
    zoomAt(1.0 / m_zoom, QPointF(width() / 2.0, height() / 2.0));
}

void ImageView::zoomIn() { zoomAt(kZoomStep, QPointF(width() / 2.0, height() / 2.0)); }

void ImageView::zoomOut() { zoomAt(1.0 / kZoomStep, QPointF(width() / 2.0, height() / 2.0)); }

void ImageView::zoomAt(double factor, const QPointF &anchor)
{
    if (!m_image)
        return;
    m_fitMode = false;
    const QPointF imagePoint = mapToImage(anchor);
    const double zoom = std::clamp(m_zoom * factor, kMinZoom, kMaxZoom);
    setZoomAndOffset(zoom, anchor - imagePoint * zoom);
}

void ImageView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (m_fitMode)
        applyFit();
}

void ImageView::wheelEvent(QWheelEvent *event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0 || !m_image) {
        event->ignore();
        return;
    }
    // 120 units (one notch) = one zoom step; smooth for high-resolution wheels.
    zoomAt(std::pow(kZoomStep, delta / 120.0), event->position());
    event->accept();
}

void ImageView::mousePressEvent(QMouseEvent *event)
{
    if (!m_image)
        return;
    const QPointF pos = event->position();
    m_dragStart = pos;
    m_dragActive = false;
    m_deselectOnClick = false;
    ++m_gesture;
    if (event->button() == Qt::LeftButton && m_editable) {
        const Handle handle = handleAt(pos);
        const int hit = boxAt(pos);
        if (m_drawMode) {
            m_drag = Drag::Draw;
            const QPointF start = clampToImage(mapToImage(pos));
            m_dragStartRect = QRectF(start, start);
            m_drawRect = QRectF();
        } else if (handle != Handle::None) {
            m_drag = Drag::Resize;
            m_dragBox = m_selected;
            m_dragHandle = handle;
            m_dragStartRect = m_boxes[m_selected].rect;
        } else if (hit >= 0 && hit == m_selected) {
            m_drag = Drag::Move;
            m_dragBox = m_selected;
            m_dragStartRect = m_boxes[m_selected].rect;
            setCursor(Qt::SizeAllCursor);
        } else {
            // A click selects; moving needs a selected box, so a drag over a large
            // unselected box still pans instead of moving it by accident.
            if (hit >= 0)
                setSelectedBox(hit);
            else
                m_deselectOnClick = true;
            m_drag = Drag::Pan;
            m_dragStartOffset = m_offset;
            setCursor(Qt::ClosedHandCursor);
        }
    } else if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
        m_drag = Drag::Pan;
        m_dragStartOffset = m_offset;
        setCursor(Qt::ClosedHandCursor);
    } else if (event->button() == Qt::RightButton) {
        m_drag = Drag::WindowLevel;
        m_dragStartWindow = window();
        m_windowPerPixel = std::max(imaging::defaultWindow(*m_image).width, 1.0) / kWindowDragPixels;
        setCursor(Qt::SizeAllCursor);
    }
    event->accept();
}

void ImageView::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF pos = event->position();
    const QPointF delta = pos - m_dragStart;
    if (m_drag != Drag::None && !m_dragActive && delta.manhattanLength() >= kDragThreshold)
        m_dragActive = true;
    const QPointF imageDelta = delta / m_zoom;
    if (m_drag == Drag::Pan) {
        m_fitMode = false;
        setZoomAndOffset(m_zoom, m_dragStartOffset + delta);
    } else if (m_drag == Drag::WindowLevel) {
        // Horizontal: width; vertical: centre (down = higher centre = darker image).
        imaging::Window w = m_dragStartWindow;
        w.width = std::max(1.0, w.width + delta.x() * m_windowPerPixel);
        w.center = w.center + delta.y() * m_windowPerPixel;
        setWindow(w);
    } else if (m_drag == Drag::Draw && m_dragActive) {
        m_drawRect = QRectF(m_dragStartRect.topLeft(), clampToImage(mapToImage(pos))).normalized();
        update();
        emit drawingChanged(m_drawRect);
    } else if (m_drag == Drag::Move && m_dragActive) {
        emit boxEdited(m_dragBox, clampedMove(m_dragStartRect.translated(imageDelta)), false, m_gesture);
    } else if (m_drag == Drag::Resize && m_dragActive) {
        // The grabbed edges follow the mouse by the drag distance (no jump to the cursor).
        QPointF tl = m_dragStartRect.topLeft();
        QPointF br = m_dragStartRect.bottomRight();
        const Handle h = m_dragHandle;
        if (h == Handle::TopLeft || h == Handle::Left || h == Handle::BottomLeft)
            tl.rx() += imageDelta.x();
        if (h == Handle::TopRight || h == Handle::Right || h == Handle::BottomRight)
            br.rx() += imageDelta.x();
        if (h == Handle::TopLeft || h == Handle::Top || h == Handle::TopRight)
            tl.ry() += imageDelta.y();
        if (h == Handle::BottomLeft || h == Handle::Bottom || h == Handle::BottomRight)
            br.ry() += imageDelta.y();
        emit boxEdited(m_dragBox, QRectF(clampToImage(tl), clampToImage(br)).normalized(), true, m_gesture);
    } else if (m_drag == Drag::None) {
        updateHoverCursor(pos);
    }
    reportCursor(pos);
}

void ImageView::mouseReleaseEvent(QMouseEvent *event)
{
    const Drag drag = m_drag;
    if (drag == Drag::Draw) {
        const QRectF rect = m_drawRect;
        cancelEditDrag();
        // Both sides at least kDragThreshold on screen: a slip of the mouse draws nothing.
        if (!rect.isNull() && rect.width() * m_zoom >= kDragThreshold
            && rect.height() * m_zoom >= kDragThreshold)
            emit boxDrawn(rect);
    } else if (drag == Drag::Move || drag == Drag::Resize) {
        cancelEditDrag();
    } else if (drag == Drag::Pan && m_deselectOnClick && !m_dragActive) {
        setSelectedBox(-1);
    }
    m_drag = Drag::None;
    m_deselectOnClick = false;
    if (drag != Drag::None) {
        unsetCursor();
        updateHoverCursor(event->position());
    }
    event->accept();
}

void ImageView::updateHoverCursor(const QPointF &pos)
{
    if (!m_editable || !m_image)
        return;
    if (m_drawMode) {
        setCursor(Qt::CrossCursor);
        return;
    }
    static const Qt::CursorShape handleCursors[] = {
        Qt::SizeFDiagCursor, Qt::SizeVerCursor, Qt::SizeBDiagCursor, Qt::SizeHorCursor,
        Qt::SizeFDiagCursor, Qt::SizeVerCursor, Qt::SizeBDiagCursor, Qt::SizeHorCursor};
    if (const Handle h = handleAt(pos); h != Handle::None) {
        setCursor(handleCursors[size_t(h) - 1]);
        return;
    }
    const int hit = boxAt(pos);
    if (hit >= 0 && hit == m_selected)
        setCursor(Qt::SizeAllCursor);
    else if (hit >= 0)
        setCursor(Qt::PointingHandCursor);
    else
        unsetCursor();
}

bool ImageView::handleEditKey(QKeyEvent *event, bool apply)
{
    if (!m_editable || !m_image)
        return false;
    const Qt::KeyboardModifiers mods = event->modifiers() & ~Qt::KeypadModifier;
    const bool plain = mods == Qt::NoModifier;
    const bool selected = m_selected >= 0;
    switch (event->key()) {
    case Qt::Key_B:
        if (!plain)
            return false;
        if (apply)
            setDrawMode(!m_drawMode);
        return true;
    case Qt::Key_Escape:
        if (!plain || (m_drag != Drag::Draw && !m_drawMode && !selected))
            return false;
        if (apply) {
            if (m_drag == Drag::Draw)
                cancelEditDrag();
            else if (m_drawMode)
                setDrawMode(false);
            else
                setSelectedBox(-1);
        }
        return true;
    case Qt::Key_Delete:
    case Qt::Key_Backspace:
        if (!plain || !selected)
            return false;
        if (apply)
            emit deleteRequested(m_selected);
        return true;
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Up:
    case Qt::Key_Down: {
        if (!selected || (!plain && mods != Qt::ShiftModifier))
            return false;
        if (apply) {
            const double step = mods == Qt::ShiftModifier ? 10.0 : 1.0;
            const int k = event->key();
            const QPointF d(k == Qt::Key_Left ? -step : k == Qt::Key_Right ? step : 0.0,
                            k == Qt::Key_Up ? -step : k == Qt::Key_Down ? step : 0.0);
            emit nudgeRequested(m_selected, d, event->isAutoRepeat());
        }
        return true;
    }
    case Qt::Key_Tab:
    case Qt::Key_Backtab: {
        const bool back = event->key() == Qt::Key_Backtab;
        if (!(plain || (back && mods == Qt::ShiftModifier)))
            return false;
        if (std::none_of(m_boxes.cbegin(), m_boxes.cend(), [](const Box &b) { return b.editable; }))
            return false;
        if (apply)
            selectNextBox(back);
        return true;
    }
    case Qt::Key_D:
        if (mods != Qt::ControlModifier || !selected)
            return false;
        if (apply)
            emit duplicateRequested(m_selected);
        return true;
    default:
        return false;
    }
}

bool ImageView::event(QEvent *event)
{
    // Editing keys win over window shortcuts while the view has focus (as a line edit's
    // typing does), and Tab cycles boxes instead of moving the focus.
    if (event->type() == QEvent::ShortcutOverride) {
        if (handleEditKey(static_cast<QKeyEvent *>(event), false)) {
            event->accept();
            return true;
        }
    } else if (event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Tab || key->key() == Qt::Key_Backtab) && handleEditKey(key, true))
            return true;
    }
    return QWidget::event(event);
}

void ImageView::keyPressEvent(QKeyEvent *event)
{
    if (!handleEditKey(event, true))
        QWidget::keyPressEvent(event);
}

void ImageView::mouseDoubleClickEvent(QMouseEvent *event)
{
    // Qt turns a quick second press into this event: while drawing it starts the next box.
    if (m_drawMode)
        mousePressEvent(event);
    else if (event->button() == Qt::LeftButton)
        fitToWindow();
}

void ImageView::leaveEvent(QEvent *event)
{
    QWidget::leaveEvent(event);
    emit cursorLeft();
}

void ImageView::reportCursor(const QPointF &widgetPos)
{
    if (!m_image)
        return;
    const QPointF p = mapToImage(widgetPos);
    const int x = int(std::floor(p.x()));
    const int y = int(std::floor(p.y()));
    double stored = 0;
    double modality = 0;
    if (imaging::pixelValue(*m_image, x, y, &stored, &modality))
        emit cursorMoved(QPoint(x, y), stored, modality);
    else
        emit cursorLeft();
}

void ImageView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), kBackground);
    if (m_rendered.isNull()) {
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.2);
        p.setFont(f);
        p.setPen(QColor(150, 154, 160));
        p.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    paintImage(p);
    paintBoxes(p);
    paintOverlay(p);
}

void ImageView::paintImage(QPainter &p)
{
    const QRectF target(m_offset, QSizeF(m_rendered.size()) * m_zoom);
    if (m_zoom < 1.0) {
        // Zoomed out: draw a smoothly downscaled copy, made once per zoom level.
        if (m_scaled.isNull() || m_scaledZoom != m_zoom) {
            const QSize size(std::max(1, int(std::lround(m_rendered.width() * m_zoom))),
                             std::max(1, int(std::lround(m_rendered.height() * m_zoom))));
            m_scaled = m_rendered.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            m_scaledZoom = m_zoom;
        }
        p.drawImage(target.topLeft(), m_scaled);
        return;
    }
    // Zoomed in: bilinear up to kPixelZoom, then nearest neighbour so single pixels can be
    // inspected; only the visible part is drawn.
    const QRectF visible = target.intersected(QRectF(rect()));
    if (visible.isEmpty())
        return;
    const QPointF tl = mapToImage(visible.topLeft());
    const QPointF br = mapToImage(visible.bottomRight());
    const QRect source(QPoint(int(std::floor(tl.x())), int(std::floor(tl.y()))),
                       QPoint(int(std::ceil(br.x())) - 1, int(std::ceil(br.y())) - 1));
    const QRect clipped = source.intersected(m_rendered.rect());
    const QRectF dest(mapFromImage(clipped.topLeft()),
                      mapFromImage(QPointF(clipped.right() + 1, clipped.bottom() + 1)));
    p.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < kPixelZoom);
    p.drawImage(dest, m_rendered, clipped);
}

void ImageView::paintBoxes(QPainter &p)
{
    if (m_boxes.isEmpty() && m_predicted.isEmpty() && m_drawRect.isNull())
        return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    QFont f = font();
    f.setWeight(QFont::DemiBold);
    p.setFont(f);
    for (int i = 0; i < m_boxes.size(); ++i)
        if (i != m_selected)
            paintBox(p, m_boxes[i], false, false);
    for (const Box &box : std::as_const(m_predicted))
        paintBox(p, box, false, true);
    // The selected box on top, so its handles are never covered.
    if (m_selected >= 0) {
        paintBox(p, m_boxes[m_selected], true, false);
        paintHandles(p, widgetRect(m_boxes[m_selected].rect));
    }
    if (!m_drawRect.isNull()) {
        const QRectF r = widgetRect(m_drawRect);
        p.setBrush(QColor(255, 255, 255, 30));
        p.setPen(QPen(QColor(0, 0, 0, 160), 3));
        p.drawRect(r);
        p.setPen(QPen(Qt::white, 1.5, Qt::DashLine));
        p.drawRect(r);
    }
    p.restore();
}

void ImageView::paintBox(QPainter &p, const Box &box, bool selected, bool predicted)
{
    const QColor color = predicted ? kPredictedColor : labelColor(box.label);
    const QRectF r = widgetRect(box.rect);
    p.setBrush(selected ? QColor(color.red(), color.green(), color.blue(), 40) : QColor(Qt::transparent));
    p.setPen(QPen(QColor(0, 0, 0, 150), selected ? 5 : 4));
    p.drawRect(r);
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(color, selected ? 3 : 2, predicted ? Qt::DashLine : Qt::SolidLine));
    p.drawRect(r);

    const QFontMetrics fm(p.font());
    const QString text = box.label.isEmpty() ? tr("(no label)") : box.label;
    const QSizeF tag(fm.horizontalAdvance(text) + 10, fm.height() + 4);
    QRectF tagRect;
    if (predicted) {
        // Predictions label below the box, outlined, so they do not hide the reference tags.
        QPointF at(r.left() - 1, r.bottom() + 1);
        if (at.y() + tag.height() > height())
            at.setY(r.bottom() - tag.height());
        tagRect = QRectF(at, tag);
        p.setPen(QPen(color, 1));
        p.setBrush(QColor(15, 15, 18, 200));
        p.drawRoundedRect(tagRect, 3, 3);
        p.setPen(color);
    } else {
        QPointF at(r.left() - 1, r.top() - tag.height());
        if (at.y() < 0)
            at.setY(r.top());
        tagRect = QRectF(at, tag);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(tagRect, 3, 3);
        p.setPen(QColor(15, 15, 18));
    }
    p.drawText(tagRect, Qt::AlignCenter, text);
}

void ImageView::paintHandles(QPainter &p, const QRectF &r)
{
    p.setPen(QPen(QColor(0, 0, 0, 200), 1));
    p.setBrush(Qt::white);
    const QPointF half(kHandleSize / 2, kHandleSize / 2);
    for (const QPointF &pt : handlePoints(r))
        p.drawRect(QRectF(pt - half, pt + half));
}

void ImageView::paintOverlay(QPainter &p)
{
    const imaging::ImageMetadata &meta = m_image->meta;
    QFont f = font();
    f.setPointSizeF(std::max(7.5, f.pointSizeF() * 0.92));
    p.setFont(f);
    const QRectF area = QRectF(rect()).adjusted(12, 10, -12, -10);

    QStringList info;
    if (!m_title.isEmpty())
        info << m_title;
    QStringList line;
    if (!meta.modality.isEmpty())
        line << meta.modality;
    if (!meta.viewPosition.isEmpty())
        line << meta.viewPosition;
    line << QStringLiteral("%1 × %2").arg(meta.width).arg(meta.height);
    line << meta.format;
    info << line.join(QStringLiteral("  ·  "));
    drawOverlayText(p, area, Qt::AlignLeft | Qt::AlignTop, info.join(QLatin1Char('\n')));

    const imaging::Window w = window();
    QString wl = QStringLiteral("C %1   W %2").arg(w.center, 0, 'f', 0).arg(w.width, 0, 'f', 0);
    if (m_settings.invert)
        wl += tr("   inverted");
    drawOverlayText(p, area, Qt::AlignLeft | Qt::AlignBottom, wl);
    drawOverlayText(p, area, Qt::AlignRight | Qt::AlignBottom,
                    tr("Zoom %1%").arg(m_zoom * 100.0, 0, 'f', 0));
    if (!m_boxes.isEmpty())
        drawOverlayText(p, area, Qt::AlignRight | Qt::AlignTop, m_boxes.size() == 1 ? tr("1 box") : tr("%1 boxes").arg(m_boxes.size()));
    if (m_drawMode)
        drawOverlayText(p, area, Qt::AlignHCenter | Qt::AlignTop,
                        tr("Draw box: drag on the image  ·  Esc to stop"));
}

} // namespace fmw::ui

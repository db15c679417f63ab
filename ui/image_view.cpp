#include "ui/image_view.h"

#include "imaging/image_renderer.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
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

// Stable, distinguishable colour per label.
QColor labelColor(const QString &label)
{
    static const QColor colors[] = {
        QColor(255, 196, 0), QColor(0, 200, 255), QColor(255, 92, 120), QColor(120, 230, 120),
        QColor(200, 140, 255), QColor(255, 150, 60), QColor(80, 220, 200),
    };
    return colors[qHash(label) % (sizeof(colors) / sizeof(colors[0]))];
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
    m_drag = Drag::None;
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
    m_title.clear();
    m_message = message;
    m_drag = Drag::None;
    update();
    emit cursorLeft();
}

void ImageView::setBoxes(const QVector<Box> &boxes)
{
    m_boxes = boxes;
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
    m_dragStart = event->position();
    if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
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
    if (m_drag == Drag::Pan) {
        m_fitMode = false;
        setZoomAndOffset(m_zoom, m_dragStartOffset + delta);
    } else if (m_drag == Drag::WindowLevel) {
        // Horizontal: width; vertical: centre (down = higher centre = darker image).
        imaging::Window w = m_dragStartWindow;
        w.width = std::max(1.0, w.width + delta.x() * m_windowPerPixel);
        w.center = w.center + delta.y() * m_windowPerPixel;
        setWindow(w);
    }
    reportCursor(pos);
}

void ImageView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_drag != Drag::None) {
        m_drag = Drag::None;
        unsetCursor();
    }
    event->accept();
}

void ImageView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
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
    if (m_boxes.isEmpty())
        return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    QFont f = font();
    f.setWeight(QFont::DemiBold);
    p.setFont(f);
    const QFontMetrics fm(f);
    for (const Box &box : std::as_const(m_boxes)) {
        const QColor color = labelColor(box.label);
        const QRectF r(mapFromImage(box.rect.topLeft()), mapFromImage(box.rect.bottomRight()));
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 0, 0, 150), 4));
        p.drawRect(r);
        p.setPen(QPen(color, 2));
        p.drawRect(r);

        const QString text = box.label.isEmpty() ? tr("(no label)") : box.label;
        const QSizeF tag(fm.horizontalAdvance(text) + 10, fm.height() + 4);
        QPointF at(r.left() - 1, r.top() - tag.height());
        if (at.y() < 0)
            at.setY(r.top());
        const QRectF tagRect(at, tag);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(tagRect, 3, 3);
        p.setPen(QColor(15, 15, 18));
        p.drawText(tagRect, Qt::AlignCenter, text);
    }
    p.restore();
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
}

} // namespace fmw::ui

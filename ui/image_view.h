#pragma once
// ImageView: the central viewer. Shows a decoded X-ray through the display pipeline
// (imaging::render) with its <OD> boxes; wheel zoom about the cursor, pan (left or middle
// drag), fit and 1:1, window/level with the right mouse button (re-rendered from the stored
// values), invert. Reports the stored and modality value under the cursor.

#include "imaging/image_types.h"

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QVector>
#include <QWidget>

#include <memory>

namespace fmw::ui {

class ImageView : public QWidget {
    Q_OBJECT
public:
    // A box in image pixels with its label.
    struct Box {
        QString label;
        QRectF rect;
    };

    explicit ImageView(QWidget *parent = nullptr);
    ~ImageView() override;

    // Shows `image` fitted to the view with its default window. `title` is drawn in a corner.
    void setImage(std::shared_ptr<const imaging::DecodedImage> image, const QString &title = {});
    // No image: shows `message` instead (e.g. "Loading…" or a decode error).
    void clearImage(const QString &message = {});
    bool hasImage() const { return bool(m_image); }
    const std::shared_ptr<const imaging::DecodedImage> &image() const { return m_image; }
    QString message() const { return m_message; }

    void setBoxes(const QVector<Box> &boxes);
    const QVector<Box> &boxes() const { return m_boxes; }

    // The 8-bit display image currently shown (unscaled).
    const QImage &renderedImage() const { return m_rendered; }
    // Window in effect: the user's override, else the image's default.
    imaging::Window window() const;
    bool hasWindowOverride() const { return m_settings.window.has_value(); }
    void setWindow(const imaging::Window &window);
    bool isInverted() const { return m_settings.invert; }

    // Screen pixels per image pixel.
    double zoom() const { return m_zoom; }
    bool isFitMode() const { return m_fitMode; }
    QPointF mapToImage(const QPointF &widgetPos) const;
    QPointF mapFromImage(const QPointF &imagePos) const;

    QSize sizeHint() const override { return {800, 700}; }

public slots:
    void fitToWindow();
    void zoomToActualSize();
    void zoomIn();
    void zoomOut();
    // Zooms by `factor`, keeping the image point under `anchor` (widget coordinates) fixed.
    void zoomAt(double factor, const QPointF &anchor);
    void setInverted(bool inverted);
    void resetWindow();

signals:
    void windowChanged(double center, double width);
    void zoomChanged(double zoom);
    void invertedChanged(bool inverted);
    // Stored and modality value of the pixel under the cursor.
    void cursorMoved(const QPoint &imagePos, double stored, double modality);
    void cursorLeft();

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    enum class Drag { None, Pan, WindowLevel };

    void rerender();
    void setZoomAndOffset(double zoom, const QPointF &offset);
    void applyFit();
    void reportCursor(const QPointF &widgetPos);
    void paintImage(QPainter &p);
    void paintBoxes(QPainter &p);
    void paintOverlay(QPainter &p);

    std::shared_ptr<const imaging::DecodedImage> m_image;
    imaging::DisplaySettings m_settings;
    QImage m_rendered;
    QImage m_scaled;         // m_rendered smoothly scaled to m_zoom, when zoomed out
    double m_scaledZoom = 0;
    QString m_title;
    QString m_message;
    QVector<Box> m_boxes;

    double m_zoom = 1.0;
    QPointF m_offset;        // widget position of image pixel (0, 0)
    bool m_fitMode = true;

    Drag m_drag = Drag::None;
    QPointF m_dragStart;
    QPointF m_dragStartOffset;
    imaging::Window m_dragStartWindow;
    double m_windowPerPixel = 1.0;
};

} // namespace fmw::ui

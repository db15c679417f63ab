#pragma once
// ImageView: the central viewer. Shows a decoded X-ray through the display pipeline
// (imaging::render) with its <OD> boxes; wheel zoom about the cursor, pan (middle drag, or
// left drag where no box is grabbed), fit and 1:1, window/level with the right mouse button
// (re-rendered from the stored values), invert. Reports the stored and modality value under
// the cursor.
// Optional box editing (setEditable): select, move, resize by 8 handles, draw (B), keyboard
// delete/nudge/cycle/duplicate. The view never changes its boxes itself: it reports gestures
// as signals in image pixels, already clamped to the image, and shows what setBoxes() says
// (BoxEditController turns the gestures into DatasetDocument edits).

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
        bool editable = true;  // false: shown, but cannot be selected (another record's box)
    };
    // The 8 resize handles of the selected box, clockwise from the top-left corner.
    enum class Handle { None, TopLeft, Top, TopRight, Right, BottomRight, Bottom, BottomLeft, Left };

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
    // Model predictions drawn dashed in their own colour, never editable.
    void setPredictedBoxes(const QVector<Box> &boxes);
    const QVector<Box> &predictedBoxes() const { return m_predicted; }

    // --- box editing ------------------------------------------------------------------
    // Off by default: left drag pans, keys are not taken.
    void setEditable(bool editable);
    bool isEditable() const { return m_editable; }
    // Draw mode: a left drag draws a new box (B toggles, Esc leaves).
    void setDrawMode(bool on);
    bool isDrawMode() const { return m_drawMode; }
    int selectedBox() const { return m_selected; }
    // -1 or an invalid/non-editable index clears the selection.
    void setSelectedBox(int index);
    // Selects the next/previous editable box (wrapping), as Tab/Shift+Tab do.
    void selectNextBox(bool backwards = false);
    // Widget position of a handle of box `index`.
    QPointF handlePosition(int index, Handle handle) const;
    // The image in image pixels: (0, 0, width, height); empty without an image.
    QRectF imageRect() const;
    // `rect` moved (not resized) so that it lies inside the image.
    QRectF clampedMove(const QRectF &rect) const;

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

    void drawModeChanged(bool on);
    void selectionChanged(int index);
    // While drawing: the rubber band in image pixels; a null rect when it ends or is cancelled.
    void drawingChanged(const QRectF &rect);
    void boxDrawn(const QRectF &rect);
    // A move or resize drag of box `index`, on every mouse move; all signals of one drag carry
    // the same `gesture` number (use it as an undo merge key).
    void boxEdited(int index, const QRectF &rect, bool resized, int gesture);
    void deleteRequested(int index);
    void duplicateRequested(int index);
    // Arrow keys: `delta` in image pixels (1, or 10 with Shift); `autoRepeat` for a held key.
    void nudgeRequested(int index, const QPointF &delta, bool autoRepeat);

protected:
    bool event(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    enum class Drag { None, Pan, WindowLevel, Draw, Move, Resize };

    void rerender();
    void setZoomAndOffset(double zoom, const QPointF &offset);
    void applyFit();
    void reportCursor(const QPointF &widgetPos);
    void paintImage(QPainter &p);
    void paintBoxes(QPainter &p);
    void paintBox(QPainter &p, const Box &box, bool selected, bool predicted);
    void paintHandles(QPainter &p, const QRectF &widgetRect);
    void cancelEditDrag();
    bool handleEditKey(QKeyEvent *event, bool apply);
    Handle handleAt(const QPointF &widgetPos) const;
    int boxAt(const QPointF &widgetPos) const;
    QRectF widgetRect(const QRectF &imageRect) const;
    QPointF clampToImage(const QPointF &imagePos) const;
    void updateHoverCursor(const QPointF &widgetPos);
    void paintOverlay(QPainter &p);

    std::shared_ptr<const imaging::DecodedImage> m_image;
    imaging::DisplaySettings m_settings;
    QImage m_rendered;
    QImage m_scaled;         // m_rendered smoothly scaled to m_zoom, when zoomed out
    double m_scaledZoom = 0;
    QString m_title;
    QString m_message;
    QVector<Box> m_boxes;
    QVector<Box> m_predicted;
    bool m_editable = false;
    bool m_drawMode = false;
    int m_selected = -1;

    double m_zoom = 1.0;
    QPointF m_offset;        // widget position of image pixel (0, 0)
    bool m_fitMode = true;

    Drag m_drag = Drag::None;
    QPointF m_dragStart;
    QPointF m_dragStartOffset;
    imaging::Window m_dragStartWindow;
    double m_windowPerPixel = 1.0;
    bool m_dragActive = false;  // the drag has passed the accidental-drag threshold
    int m_dragBox = -1;
    Handle m_dragHandle = Handle::None;
    QRectF m_dragStartRect;     // the dragged box at the press, image pixels
    QRectF m_drawRect;          // rubber band, image pixels
    bool m_deselectOnClick = false;
    int m_gesture = 0;
};

} // namespace fmw::ui

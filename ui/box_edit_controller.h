#pragma once
// BoxEditController: binds an ImageView to the "<OD>" boxes of the current image in a
// DatasetDocument. It turns the view's gestures (draw, move, resize, nudge, delete,
// duplicate) into DatasetDocument box edits, one undo step per gesture, and shows the
// document's boxes in the view again after every change, undo and redo included.
//
// The first "<OD>" record of the image is the editable one; boxes of further "<OD>" records of
// the same image are shown read-only. Drawing on an image without one adds the record.

#include "annotation/loc_codec.h"
#include "dataset/dataset_document.h"

#include <QObject>
#include <QPointer>
#include <QRectF>
#include <QSize>
#include <QVector>

#include <vector>

class QAction;

namespace fmw::ui {

class BoxLabels;
class ImageView;

class BoxEditController : public QObject {
    Q_OBJECT
public:
    explicit BoxEditController(ImageView *view, QObject *parent = nullptr);
    ~BoxEditController() override;

    ImageView *view() const;
    BoxLabels *labels() const { return m_labels; }

    // nullptr: nothing to edit. The document must outlive the controller or be reset here.
    void setDocument(DatasetDocument *document);
    DatasetDocument *document() const { return m_document; }
    // The image shown in the view (relative to images/) and its size in pixels; call it after
    // ImageView::setImage. An empty name: no image.
    void setImage(const QString &image, const QSize &imageSizePx);
    QString image() const { return m_image; }
    QSize imageSize() const { return m_size; }

    // The edited "<OD>" record, 0 while the image has none.
    RecordId record() const { return m_record; }
    const std::vector<loc::OdBox> &boxes() const { return m_boxes; }
    // Why the boxes cannot be edited (the record's text does not parse); empty if they can.
    QString errorText() const { return m_error; }
    bool canEdit() const;
    // Box `index` in image pixels (bin centres, as the codec dequantizes).
    QRectF boxRect(int index) const;
    // The record's text as it will be saved: loc::formatOd of the boxes, plus the box being
    // drawn (with the label it will get) while a draw drag is in progress.
    QString previewText() const;

    int selectedBox() const;
    void selectBox(int index);
    // Label given to new boxes: the last one used.
    QString newBoxLabel() const;
    void setNewBoxLabel(const QString &label);

    // --- edits (each one undo step) ----------------------------------------------------
    void addBox(const QRectF &rectPx);           // labelled newBoxLabel(); selects it
    void relabelSelected(const QString &label);  // also remembers it and makes it the last used
    void deleteSelected();
    void duplicateSelected();                    // offset by 2% of the image, kept inside it
    void nudgeSelected(const QPointF &deltaPx, bool mergeWithPrevious = false);

    // For menus and toolbars. Their shortcuts are shown there and work while the view has focus
    // (the view handles the keys); do not add these actions to the main window itself.
    QAction *drawAction() const { return m_drawAction; }          // B, checkable
    QAction *deleteAction() const { return m_deleteAction; }      // Del
    QAction *duplicateAction() const { return m_duplicateAction; }// Ctrl+D
    QAction *nextBoxAction() const { return m_nextAction; }       // Tab
    QAction *previousBoxAction() const { return m_previousAction; } // Shift+Tab
    QList<QAction *> actions() const;

    // Split file a new "<OD>" record of `image` goes to: the plain file (no variant) of the
    // split of the image's existing records, else train.jsonl.
    static QString fileForNewRecord(const DatasetDocument &document, const QString &image);

signals:
    // The boxes changed (an edit, undo/redo, another image or document).
    void boxesChanged();
    void selectionChanged(int index);
    void previewChanged(const QString &text);

private:
    void refresh();
    void updateActions();
    void emitPreviewIfChanged();
    void onRecordEvent(RecordId id);
    void onBoxDrawn(const QRectF &rect);
    void onBoxEdited(int index, const QRectF &rect, bool resized, int gesture);
    void onNudge(int index, const QPointF &delta, bool autoRepeat);
    loc::ImageSize codecSize() const;
    loc::Bins movedBins(const loc::Bins &old, const QRectF &rectPx) const;

    QPointer<ImageView> m_view;  // guarded: the view may go first when a window closes
    BoxLabels *m_labels;
    QPointer<DatasetDocument> m_document;
    QString m_image;
    QSize m_size;
    RecordId m_record = 0;
    QVector<RecordId> m_shown;  // every "<OD>" record of the image, m_record first
    std::vector<loc::OdBox> m_boxes;
    QString m_error;
    QRectF m_drawing;           // rubber band in image pixels, null when not drawing
    QString m_lastPreview;

    int m_mergeKey = 0;         // undo merge key of the current drag / held arrow key
    int m_lastGesture = -1;
    int m_lastNudgeBox = -1;

    QAction *m_drawAction;
    QAction *m_deleteAction;
    QAction *m_duplicateAction;
    QAction *m_nextAction;
    QAction *m_previousAction;
};

} // namespace fmw::ui

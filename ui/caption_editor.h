#pragma once
// CaptionEditor: the right dock: one tab per record of the selected image ("<CAPTION>
// impression", "<DETAILED_CAPTION> findings", custom prefixes); `<OD>` records are shown
// read-only with their box count. Typing is coalesced into one DatasetDocument::setCaption
// per burst (committed after a short idle pause, on focus-out, or when commitPending() is
// called before save/undo/navigation), and undo/redo are reflected back into the editor
// without moving the cursor.

#include "dataset/dataset_document.h"

#include <QPointer>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QStackedWidget;
class QTabWidget;

namespace fmw::ui {

class CaptionEditor : public QWidget {
    Q_OBJECT
public:
    explicit CaptionEditor(QWidget *parent = nullptr);
    ~CaptionEditor() override;

    void setDocument(DatasetDocument *document);
    // Shows the records of `image` (relative to images/); empty: nothing selected.
    void setImage(const QString &image);
    QString image() const { return m_image; }

    // Typing not yet turned into an undo step.
    bool hasPendingEdit() const { return m_pendingId != 0; }
    // Turns pending typing into one setCaption (no-op when nothing is pending).
    void commitPending();

    // Editor of the first record with `prefix`, or nullptr.
    QPlainTextEdit *editorFor(const QString &prefix) const;
    QTabWidget *tabs() const { return m_tabs; }

    // Tab title for a prefix: "<CAPTION>" -> "<CAPTION> impression".
    static QString tabTitle(const QString &prefix);

    static constexpr int kIdleCommitMs = 800;

signals:
    void pendingEditChanged(bool pending);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Page {
        RecordId id = 0;
        QString prefix;
        QPlainTextEdit *edit = nullptr;
        QLabel *info = nullptr;
    };

    void rebuild();
    void refreshPage(Page &page);
    void onRecordChanged(RecordId id);
    void onRecordSetChanged(RecordId id);
    void onUserEdit(RecordId id);
    void setPending(RecordId id);
    Page *pageOf(RecordId id);
    static void replaceTextKeepingCursor(QPlainTextEdit *edit, const QString &text);

    QPointer<DatasetDocument> m_document;
    QString m_image;
    QVector<Page> m_pages;
    QStackedWidget *m_stack;
    QTabWidget *m_tabs;
    QLabel *m_empty;
    QTimer m_idleTimer;
    RecordId m_pendingId = 0;
    bool m_applying = false;  // true while the editor itself writes text into a QPlainTextEdit
};

} // namespace fmw::ui

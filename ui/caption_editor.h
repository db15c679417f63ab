#pragma once
// CaptionEditor: the right dock: one tab per record of the selected image ("<CAPTION>
// impression", "<DETAILED_CAPTION> findings", custom prefixes); `<OD>` records are shown
// read-only with their box count. Typing is coalesced into one DatasetDocument::setCaption
// per burst (committed after a short idle pause, on focus-out, or when commitPending() is
// called before save/undo/navigation), and undo/redo are reflected back into the editor
// without moving the cursor. A "+" menu adds a record with another prefix (the captions or a
// custom one) to the right split file, a "−" button removes the current caption record, and
// each page counts words and characters as you type.

#include "dataset/dataset_document.h"

#include <QPointer>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QLabel;
class QMenu;
class QPlainTextEdit;
class QToolButton;
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

    // --- adding and removing records ---------------------------------------------------
    // Adds an empty record with `prefix` for the current image (one undo step) in
    // fileFor()'s file, shows its tab and focuses its editor. Returns the new id, or 0 with
    // `error` set when prefixProblem() objects.
    RecordId addRecord(const QString &prefix, QString *error = nullptr);
    // Asks for a custom prefix (QInputDialog "customPrefixDialog", re-asking with the reason
    // while it is not acceptable) and adds it. Returns the new id, 0 if cancelled.
    RecordId addCustomRecord();
    // Removes the current tab's caption record (not <OD>: boxes are edited on the image),
    // after a confirmation (QMessageBox "removeRecordDialog") unless turned off. Undoable.
    bool removeCurrentRecord();
    void setConfirmRemoval(bool confirm) { m_confirmRemoval = confirm; }
    // "" if `prefix` can be added for the current image, else why not.
    QString prefixProblem(const QString &prefix) const;
    // The rules without a document: looks like <UPPER_CASE_NAME>, is not <OD>, not in `present`.
    static QString checkPrefix(const QString &prefix, const QStringList &present);
    // The file a new record goes to: the image's split (of its first record in a train/val/
    // test file; train if none) with the prefix's variant: <CAPTION> and custom prefixes
    // "<split>.jsonl", <DETAILED_CAPTION> "<split>_detailed_caption.jsonl",
    // <MORE_DETAILED_CAPTION> "<split>_more_detailed_caption.jsonl".
    static QString fileFor(const DatasetDocument &document, const QString &image, const QString &prefix);
    // "12 words · 80 characters" (characters are code points).
    static QString countText(const QString &text);
    QToolButton *addPrefixButton() const { return m_addButton; }
    QToolButton *removeRecordButton() const { return m_removeButton; }

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
        QLabel *count = nullptr;
    };

    void rebuild();
    void refreshPage(Page &page);
    void onRecordChanged(RecordId id);
    void onRecordSetChanged(RecordId id);
    void onUserEdit(RecordId id);
    void setPending(RecordId id);
    Page *pageOf(RecordId id);
    Page *currentPage();
    QStringList presentPrefixes() const;
    void updateControls();
    void showPage(RecordId id);
    static void replaceTextKeepingCursor(QPlainTextEdit *edit, const QString &text);

    QPointer<DatasetDocument> m_document;
    QString m_image;
    QVector<Page> m_pages;
    QStackedWidget *m_stack;
    QTabWidget *m_tabs;
    QLabel *m_empty;
    QLabel *m_imageLabel;
    QToolButton *m_addButton;
    QToolButton *m_removeButton;
    QMenu *m_addMenu;
    bool m_confirmRemoval = true;
    QTimer m_idleTimer;
    RecordId m_pendingId = 0;
    bool m_applying = false;  // true while the editor itself writes text into a QPlainTextEdit
};

} // namespace fmw::ui

#pragma once
// RecoveryController: autosaves one DatasetDocument's unsaved edits to its RecoveryFile
// (once an unsaved change is interval() old, or sooner after editThreshold() edits), and
// removes the snapshot when the document is saved or closed on purpose. offerRecovery()
// asks, after a dataset opens, whether to restore a snapshot left by a crash.

#include "dataset/dataset_document.h"
#include "dataset/recovery_file.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

class QWidget;

namespace fmw::ui {

class RecoveryController : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 30000;
    static constexpr int kDefaultEditThreshold = 50;

    explicit RecoveryController(QObject *parent = nullptr);
    // Leaves the snapshot: only save() and discard() mean the edits are not wanted back.
    ~RecoveryController() override;

    // Watches `document` (nullptr: none). An existing snapshot is left alone until the
    // first autosave of an edit, so call offerRecovery() first.
    void setDocument(DatasetDocument *document);
    DatasetDocument *document() const { return m_document; }

    void setInterval(int ms);
    int interval() const { return m_timer.interval(); }
    // Autosave after this many undo-stack changes even before the interval; 0: time only.
    void setEditThreshold(int edits) { m_editThreshold = edits; }
    int editThreshold() const { return m_editThreshold; }
    bool isScheduled() const { return m_timer.isActive() || m_soon.isActive(); }

    // Writes the snapshot now (removes it when nothing is unsaved).
    Status autosaveNow();
    // The edits are deliberately abandoned (or saved elsewhere): remove the snapshot and
    // stop until the next edit. Call on a clean close and when switching datasets.
    void discard();

signals:
    void autosaved(const QString &path); // empty when the snapshot was removed
    void autosaveFailed(const QString &message);

private:
    void onEdit();
    void onSaved();

    QPointer<DatasetDocument> m_document;
    QTimer m_timer; // interval() after the first unsaved change
    QTimer m_soon; // the edit threshold was reached, or the document went back to clean
    int m_editThreshold = kDefaultEditThreshold;
    int m_editsSinceWrite = 0;
};

// What recoverEdits() found and did.
enum class RecoveryOutcome {
    NoSnapshot, // nothing to recover
    Restored, // applied as one undo step; the document is modified, not saved
    Discarded, // removed on request
    KeptAside, // could not be applied (files changed on disk, damaged file, or inexact):
               // renamed out of the autosave's way, see `message`
};
enum class RecoveryChoice { Restore, Discard };

// Non-interactive: applies `choice` to the snapshot of `document`'s folder, if any.
// `message` gets a sentence for the user (what was restored, or where a kept-aside snapshot is).
RecoveryOutcome recoverEdits(DatasetDocument *document, RecoveryChoice choice, QString *message = nullptr);

// Interactive: if a snapshot exists, asks with a QMessageBox named "recoveryDialog"
// (Restore / Discard) and applies the answer; a snapshot that cannot be applied is kept
// aside and reported in a QMessageBox named "recoveryKeptDialog". True when restored.
bool offerRecovery(QWidget *parent, DatasetDocument *document);

} // namespace fmw::ui

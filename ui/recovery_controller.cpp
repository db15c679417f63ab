#include "ui/recovery_controller.h"

#include <QCoreApplication>
#include <QDir>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QUndoStack>
#include <QWidget>

namespace fmw::ui {

RecoveryController::RecoveryController(QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(kDefaultIntervalMs);
    m_soon.setSingleShot(true);
    m_soon.setInterval(0);
    // Failures are reported through autosaveFailed().
    connect(&m_timer, &QTimer::timeout, this, [this] { (void)autosaveNow(); });
    connect(&m_soon, &QTimer::timeout, this, [this] { (void)autosaveNow(); });
}

RecoveryController::~RecoveryController() = default;

void RecoveryController::setDocument(DatasetDocument *document)
{
    if (m_document == document)
        return;
    if (m_document) {
        m_document->disconnect(this);
        m_document->undoStack()->disconnect(this);
    }
    m_timer.stop();
    m_soon.stop();
    m_editsSinceWrite = 0;
    m_document = document;
    if (!document)
        return;
    connect(document->undoStack(), &QUndoStack::indexChanged, this, &RecoveryController::onEdit);
    connect(document, &DatasetDocument::saved, this, &RecoveryController::onSaved);
    // Undone back to the saved state: the snapshot is stale, and the autosave removes it.
    connect(document, &DatasetDocument::modifiedChanged, this, [this](bool modified) {
        if (!modified)
            m_soon.start();
    });
}

void RecoveryController::setInterval(int ms)
{
    m_timer.setInterval(ms);
}

void RecoveryController::onEdit()
{
    ++m_editsSinceWrite;
    // Measured from the first unsaved change, not the last: steady typing still autosaves.
    if (!m_timer.isActive())
        m_timer.start();
    if (m_editThreshold > 0 && m_editsSinceWrite >= m_editThreshold)
        m_soon.start();
}

void RecoveryController::onSaved()
{
    discard();
}

Status RecoveryController::autosaveNow()
{
    m_timer.stop();
    m_soon.stop();
    m_editsSinceWrite = 0;
    if (!m_document)
        return {};
    // On the GUI thread on purpose: serialising reads the document, and a write must never
    // land after the save or discard that removed the snapshot.
    const Result<QString> written = RecoveryFile::write(*m_document);
    if (!written) {
        emit autosaveFailed(QString::fromStdString(written.error().toString()));
        return written.error();
    }
    emit autosaved(*written);
    return {};
}

void RecoveryController::discard()
{
    m_timer.stop();
    m_soon.stop();
    m_editsSinceWrite = 0;
    if (m_document)
        RecoveryFile::remove(m_document->rootDir());
}

// --- offering a snapshot ---------------------------------------------------------------------

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("RecoveryController", text);
}

// Renames the snapshot out of the autosave's way; the sentence telling where.
QString keepAside(const QString &root, const QString &reason)
{
    const Result<QString> kept = RecoveryFile::setAside(root);
    const QString where
        = kept ? QDir::toNativeSeparators(*kept) : QDir::toNativeSeparators(RecoveryFile::pathFor(root));
    return tr("%1 The autosaved edits are kept in %2.").arg(reason, where);
}

RecoveryOutcome recover(DatasetDocument *document, RecoveryChoice choice, QString *message, bool *keptAside)
{
    *keptAside = false;
    if (!document || !RecoveryFile::exists(document->rootDir()))
        return RecoveryOutcome::NoSnapshot;
    const QString root = document->rootDir();
    if (choice == RecoveryChoice::Discard) {
        RecoveryFile::remove(root);
        *message = tr("The autosaved edits were discarded.");
        return RecoveryOutcome::Discarded;
    }
    const auto snapshot = RecoveryFile::read(root);
    if (!snapshot) {
        *keptAside = true;
        *message = keepAside(root,
            tr("The autosaved edits could not be read: %1.")
                .arg(QString::fromStdString(snapshot.error().toString())));
        return RecoveryOutcome::KeptAside;
    }
    const auto report = RecoveryFile::restore(*snapshot, document);
    if (!report) {
        *keptAside = true;
        *message = keepAside(root,
            tr("The autosaved edits were not restored: %1.")
                .arg(QString::fromStdString(report.error().toString())));
        return RecoveryOutcome::KeptAside;
    }
    if (!report->inexactFiles.isEmpty()) {
        // The records are back, but not byte for byte: keep the exact bytes too.
        *keptAside = true;
        *message = keepAside(root,
            tr("The autosaved edits were restored, but %1 will not be written "
               "exactly as autosaved.")
                .arg(report->inexactFiles.join(QStringLiteral(", "))));
        return RecoveryOutcome::Restored;
    }
    // The snapshot stays: it is exactly what the next autosave would write.
    *message = tr("Restored the autosaved edits to %1. They are not saved yet; Undo takes them back.")
                   .arg(snapshot->fileNames().join(QStringLiteral(", ")));
    return RecoveryOutcome::Restored;
}

} // namespace

RecoveryOutcome recoverEdits(DatasetDocument *document, RecoveryChoice choice, QString *message)
{
    QString text;
    bool keptAside = false;
    const RecoveryOutcome outcome = recover(document, choice, &text, &keptAside);
    if (message)
        *message = text;
    return outcome;
}

bool offerRecovery(QWidget *parent, DatasetDocument *document)
{
    if (!document || !RecoveryFile::exists(document->rootDir()))
        return false;
    const QString root = document->rootDir();
    const auto showKept = [parent](const QString &text) {
        QMessageBox box(QMessageBox::Warning, tr("Autosaved Edits Kept"), text, QMessageBox::Ok, parent);
        box.setObjectName(QStringLiteral("recoveryKeptDialog"));
        box.exec();
    };

    // A snapshot that cannot apply is set aside without asking what cannot be done.
    const auto snapshot = RecoveryFile::read(root);
    Status fits = snapshot ? RecoveryFile::check(*snapshot, *document) : Status(snapshot.error());
    if (!fits) {
        showKept(keepAside(root,
            tr("The autosaved edits cannot be restored: %1.")
                .arg(QString::fromStdString(fits.error().toString()))));
        return false;
    }

    const QString when = QLocale().toString(snapshot->written.toLocalTime(), QLocale::ShortFormat);
    QMessageBox box(QMessageBox::Question, tr("Recover Unsaved Edits"),
        tr("%1 has unsaved edits from %2 that were autosaved before the workbench quit "
           "unexpectedly.")
            .arg(QDir::toNativeSeparators(root), when),
        QMessageBox::Yes | QMessageBox::Discard, parent);
    box.setObjectName(QStringLiteral("recoveryDialog"));
    box.setInformativeText(tr("Restore them into %1? They stay unsaved until you save, and Undo "
                              "takes them back. Discard deletes them for good.")
                               .arg(snapshot->fileNames().join(QStringLiteral(", "))));
    box.button(QMessageBox::Yes)->setText(tr("Restore"));
    box.setDefaultButton(QMessageBox::Yes);
    const RecoveryChoice choice
        = box.exec() == QMessageBox::Yes ? RecoveryChoice::Restore : RecoveryChoice::Discard;

    QString message;
    bool keptAside = false;
    const RecoveryOutcome outcome = recover(document, choice, &message, &keptAside);
    if (keptAside)
        showKept(message);
    return outcome == RecoveryOutcome::Restored;
}

} // namespace fmw::ui

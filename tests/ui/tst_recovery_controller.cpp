// Crash recovery from the GUI side: the autosave timer and edit threshold, the snapshot
// removed on save, on undo back to clean and on discard but kept when the document is
// dropped (a crash), and the offer after reopening: Restore, Discard, and a snapshot that
// no longer fits the files on disk.

#include "dialog_answerer.h"
#include "ui_test_data.h"

#include "common/document_support.h"
#include "dataset/dataset_document.h"
#include "dataset/recovery_file.h"
#include "ui/recovery_controller.h"

#include <QDir>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::DatasetDocument;
using fmw::RecordId;
using fmw::RecoveryFile;
using fmw::ui::RecoveryController;

using fmwtest::DialogAnswerer;
using fmwtest::openDoc;

class TestRecoveryController : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void autosavesAfterInterval();
    void autosavesAfterEditThreshold();
    void snapshotRemovedOnSave();
    void snapshotRemovedWhenUndoneToClean();
    void discardRemovesSnapshot();
    void crashKeepsSnapshotAndRestoreOffersIt();
    void discardAnswerDeletesSnapshot();
    void changedFilesKeepSnapshotAside();
    void nonInteractiveRecovery();
    void noSnapshotAsksNothing();

private:
    RecordId captionOf(DatasetDocument &doc, const char *image) const
    {
        return doc.recordsFor(QLatin1String(image), QStringLiteral("<CAPTION>")).first();
    }
    // Edits, autosaves and drops a document, as if the program crashed; the bytes that
    // save() would have written.
    QHash<QString, QByteArray> crashWithEdits();

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRecoveryController::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_recovery_controller"));
}

void TestRecoveryController::init()
{
    QDir(RecoveryFile::directory()).removeRecursively();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    fmwtest::UiDataset::write(m_dir->path());
}

void TestRecoveryController::cleanup()
{
    m_dir.reset();
}

QHash<QString, QByteArray> TestRecoveryController::crashWithEdits()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setDocument(doc.get());
    doc->setCaption(captionOf(*doc, "chest_b.png"), QStringLiteral("Edited before the crash."));
    doc->addRecord(QStringLiteral("train_detailed_caption.jsonl"), QStringLiteral("chest_c.dcm"),
        QStringLiteral("<DETAILED_CAPTION>"), QStringLiteral("Enlarged heart."));
    doc->setSplit(captionOf(*doc, "chest_c.dcm"), fmw::Split::Val);
    if (!controller.autosaveNow().ok())
        qFatal("autosave failed");
    return doc->pendingFileContents();
    // Neither the controller nor the document removes the snapshot on destruction.
}

void TestRecoveryController::autosavesAfterInterval()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setInterval(50);
    controller.setDocument(doc.get());
    QSignalSpy autosaved(&controller, &RecoveryController::autosaved);
    QVERIFY(!controller.isScheduled());
    doc->setCaption(captionOf(*doc, "chest_b.png"), QStringLiteral("Edited."));
    QVERIFY(controller.isScheduled());
    QVERIFY(autosaved.wait(5000));
    QCOMPARE(autosaved.first().at(0).toString(), RecoveryFile::pathFor(m_dir->path()));
    const auto snapshot = RecoveryFile::read(m_dir->path());
    QVERIFY(snapshot.ok());
    QCOMPARE(snapshot->fileNames(), QStringList {QStringLiteral("train.jsonl")});
    QCOMPARE(
        snapshot->files.first().content, doc->pendingFileContents().value(QStringLiteral("train.jsonl")));
    QVERIFY(!controller.isScheduled());
}

void TestRecoveryController::autosavesAfterEditThreshold()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setInterval(3600 * 1000);
    controller.setEditThreshold(3);
    controller.setDocument(doc.get());
    QSignalSpy autosaved(&controller, &RecoveryController::autosaved);
    const RecordId id = captionOf(*doc, "chest_b.png");
    doc->setCaption(id, QStringLiteral("One."));
    doc->setCaption(id, QStringLiteral("Two."));
    QCoreApplication::processEvents();
    QVERIFY(autosaved.isEmpty()); // not yet: two edits
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    doc->setCaption(id, QStringLiteral("Three."));
    QTRY_VERIFY_WITH_TIMEOUT(RecoveryFile::exists(m_dir->path()), 5000);
    QCOMPARE(autosaved.count(), 1);
}

void TestRecoveryController::snapshotRemovedOnSave()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setDocument(doc.get());
    doc->setCaption(captionOf(*doc, "chest_b.png"), QStringLiteral("Edited."));
    QVERIFY(controller.autosaveNow().ok());
    QVERIFY(RecoveryFile::exists(m_dir->path()));
    QVERIFY(doc->save().ok());
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    QVERIFY(!controller.isScheduled());
}

void TestRecoveryController::snapshotRemovedWhenUndoneToClean()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setDocument(doc.get());
    doc->setCaption(captionOf(*doc, "chest_b.png"), QStringLiteral("Edited."));
    QVERIFY(controller.autosaveNow().ok());
    QVERIFY(RecoveryFile::exists(m_dir->path()));
    doc->undoStack()->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!RecoveryFile::exists(m_dir->path()), 5000);
}

void TestRecoveryController::discardRemovesSnapshot()
{
    auto doc = openDoc(m_dir->path());
    RecoveryController controller;
    controller.setDocument(doc.get());
    doc->setCaption(captionOf(*doc, "chest_b.png"), QStringLiteral("Edited."));
    QVERIFY(controller.autosaveNow().ok());
    controller.discard();
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    QVERIFY(!controller.isScheduled());
}

void TestRecoveryController::crashKeepsSnapshotAndRestoreOffersIt()
{
    const QHash<QString, QByteArray> expected = crashWithEdits();
    QVERIFY(RecoveryFile::exists(m_dir->path()));
    QCOMPARE(
        fmwtest::readBytes(m_dir->filePath(QStringLiteral("train.jsonl"))), fmwtest::UiDataset::trainJsonl());

    auto doc = openDoc(m_dir->path());
    DialogAnswerer restore(QStringLiteral("recoveryDialog"), QMessageBox::Yes);
    DialogAnswerer kept(QStringLiteral("recoveryKeptDialog"), QMessageBox::Ok);
    QVERIFY(fmw::ui::offerRecovery(nullptr, doc.get()));
    QCOMPARE(restore.shown, 1);
    QCOMPARE(kept.shown, 0);
    QVERIFY2(restore.text.contains(QStringLiteral("train.jsonl")), qPrintable(restore.text));
    // Restored as unsaved edits: one undo step, the files on disk unchanged.
    QVERIFY(doc->isModified());
    QCOMPARE(doc->undoStack()->count(), 1);
    QCOMPARE(doc->pendingFileContents(), expected);
    QCOMPARE(
        fmwtest::readBytes(m_dir->filePath(QStringLiteral("train.jsonl"))), fmwtest::UiDataset::trainJsonl());
    QCOMPARE(doc->record(captionOf(*doc, "chest_b.png")).suffix, QStringLiteral("Edited before the crash."));

    // The snapshot stays until the edits are saved.
    RecoveryController controller;
    controller.setDocument(doc.get());
    QVERIFY(RecoveryFile::exists(m_dir->path()));
    QVERIFY(doc->save().ok());
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    for (auto it = expected.cbegin(); it != expected.cend(); ++it)
        QCOMPARE(fmwtest::readBytes(m_dir->filePath(it.key())), it.value());
}

void TestRecoveryController::discardAnswerDeletesSnapshot()
{
    crashWithEdits();
    auto doc = openDoc(m_dir->path());
    DialogAnswerer discard(QStringLiteral("recoveryDialog"), QMessageBox::Discard);
    QVERIFY(!fmw::ui::offerRecovery(nullptr, doc.get()));
    QCOMPARE(discard.shown, 1);
    QVERIFY(!doc->isModified());
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    QCOMPARE(QDir(RecoveryFile::directory()).entryList(QDir::Files), QStringList());
}

void TestRecoveryController::changedFilesKeepSnapshotAside()
{
    crashWithEdits();
    const QByteArray snapshotBytes = fmwtest::readBytes(RecoveryFile::pathFor(m_dir->path()));
    const QByteArray outside
        = fmwtest::UiDataset::trainJsonl().replace("Cardiomegaly.", "Changed elsewhere.");
    fmwtest::writeBytes(m_dir->filePath(QStringLiteral("train.jsonl")), outside);

    auto doc = openDoc(m_dir->path());
    DialogAnswerer ask(QStringLiteral("recoveryDialog"), QMessageBox::Yes);
    DialogAnswerer kept(QStringLiteral("recoveryKeptDialog"), QMessageBox::Ok);
    QVERIFY(!fmw::ui::offerRecovery(nullptr, doc.get()));
    QCOMPARE(ask.shown, 0); // nothing to choose: it cannot apply
    QCOMPARE(kept.shown, 1);
    QVERIFY2(kept.text.contains(QStringLiteral("train.jsonl")), qPrintable(kept.text));
    QVERIFY(!doc->isModified());
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(QStringLiteral("train.jsonl"))), outside);
    // Out of the autosave's way, not lost.
    QVERIFY(!RecoveryFile::exists(m_dir->path()));
    const QStringList aside
        = QDir(RecoveryFile::directory()).entryList({QStringLiteral("*.kept-*.json")}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QVERIFY2(kept.text.contains(aside.first()), qPrintable(kept.text));
    QCOMPARE(fmwtest::readBytes(QDir(RecoveryFile::directory()).filePath(aside.first())), snapshotBytes);
}

void TestRecoveryController::nonInteractiveRecovery()
{
    using fmw::ui::RecoveryChoice;
    using fmw::ui::RecoveryOutcome;
    const QHash<QString, QByteArray> expected = crashWithEdits();
    auto doc = openDoc(m_dir->path());
    QString message;
    QCOMPARE(fmw::ui::recoverEdits(doc.get(), RecoveryChoice::Restore, &message), RecoveryOutcome::Restored);
    QVERIFY(!message.isEmpty());
    QCOMPARE(doc->pendingFileContents(), expected);
    // The user can still throw the restored edits away.
    doc->undoStack()->undo();
    QVERIFY(!doc->isModified());
    QCOMPARE(fmw::ui::recoverEdits(doc.get(), RecoveryChoice::Discard), RecoveryOutcome::Discarded);
    QCOMPARE(fmw::ui::recoverEdits(doc.get(), RecoveryChoice::Restore), RecoveryOutcome::NoSnapshot);
}

void TestRecoveryController::noSnapshotAsksNothing()
{
    auto doc = openDoc(m_dir->path());
    DialogAnswerer ask(QStringLiteral("recoveryDialog"), QMessageBox::Yes);
    QVERIFY(!fmw::ui::offerRecovery(nullptr, doc.get()));
    QCOMPARE(ask.shown, 0);
    QVERIFY(!doc->isModified());
}

QTEST_MAIN(TestRecoveryController)
#include "tst_recovery_controller.moc"

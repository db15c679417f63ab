// RecoveryFile: autosave a document's unsaved edits, drop the document as a crash would,
// reopen, restore: the document then saves byte-identical files, as one undoable step, and
// a snapshot is refused once the files it was made on changed on disk.

#include "common/document_support.h"
#include "dataset/dataset_document.h"
#include "dataset/recovery_file.h"
#include "dataset_fixture.h"

#include <QDir>
#include <QStandardPaths>
#include <QTest>
#include <QUndoStack>

using namespace fmw;
using fmwtest::FixtureDataset;
using fmwtest::openDoc;
using fmwtest::findRecord;

namespace {

// Edits by scenario name; "all" applies every one of them.
void applyEdits(DatasetDocument *doc, const QString &scenario)
{
    const bool all = scenario == QLatin1String("all");
    const QString train = QStringLiteral("train.jsonl");
    if (all || scenario == QLatin1String("caption")) // unknown fields, odd numbers
        doc->setCaption(findRecord(*doc, train, 1), QStringLiteral("Normal chest. Edited."));
    if (all || scenario == QLatin1String("escaped caption")) // \u escapes stay in style
        doc->setCaption(findRecord(*doc, train, 3), QStringLiteral("Caf\u00e9 edited \u00e0 la carte"));
    if (all || scenario == QLatin1String("box")) {
        const RecordId od = findRecord(*doc, train, 2);
        doc->moveBox(od, 0, {110, 210, 310, 410});
        doc->relabelBox(od, 1, QStringLiteral("effusion"));
    }
    if (all || scenario == QLatin1String("removed"))
        doc->removeRecord(findRecord(*doc, train, 8));
    if (all || scenario == QLatin1String("added to a new file"))
        doc->addRecord(QStringLiteral("test.jsonl"), QStringLiteral("c.png"), QStringLiteral("<CAPTION>"),
            QStringLiteral("Added \"quoted\"."));
    if (all || scenario == QLatin1String("added to a CRLF file without final newline"))
        doc->addRecord(QStringLiteral("val.jsonl"), QStringLiteral("e"), QStringLiteral("<FINDINGS>"),
            QStringLiteral("New."));
    if (all || scenario == QLatin1String("moved")) {
        doc->setSplit(findRecord(*doc, QStringLiteral("train_detailed_caption.jsonl"), 2), Split::Val);
        doc->setSplit(findRecord(*doc, train, 10), Split::Val);
    }
    if (all || scenario == QLatin1String("moved, then edited")) {
        const RecordId id = findRecord(*doc, QStringLiteral("train_detailed_caption.jsonl"), 1);
        doc->setSplit(id, Split::Test);
        doc->setCaption(id, QStringLiteral("Lungs clear. Heart enlarged."));
    }
    if (scenario == QLatin1String("file emptied")) { // not with "all": it moves these
        doc->removeRecord(findRecord(*doc, QStringLiteral("train_detailed_caption.jsonl"), 1));
        doc->removeRecord(findRecord(*doc, QStringLiteral("train_detailed_caption.jsonl"), 2));
    }
}

} // namespace

class TestRecoveryFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void restoresByteForByte_data();
    void restoresByteForByte();
    void nothingUnsavedRemovesSnapshot();
    void refusedWhenFileChangedOnDisk();
    void refusedIntoEditedDocument();
    void damagedSnapshotIsAnError();
    void setAsideKeepsSnapshot();
    void onePathPerFolder();
};

void TestRecoveryFile::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_recovery_file"));
}

void TestRecoveryFile::init()
{
    QDir(RecoveryFile::directory()).removeRecursively();
}

void TestRecoveryFile::restoresByteForByte_data()
{
    QTest::addColumn<QString>("scenario");
    for (const char *s : {"caption", "escaped caption", "box", "removed", "added to a new file",
             "added to a CRLF file without final newline", "moved", "moved, then edited", "file emptied",
             "all"})
        QTest::newRow(s) << QString::fromLatin1(s);
}

void TestRecoveryFile::restoresByteForByte()
{
    QFETCH(QString, scenario);
    FixtureDataset data;
    const QMap<QString, QByteArray> before = data.snapshot();
    QHash<QString, QByteArray> expected;
    {
        auto doc = openDoc(data.root());
        applyEdits(doc.get(), scenario);
        expected = doc->pendingFileContents();
        QVERIFY(!expected.isEmpty());
        const Result<QString> written = RecoveryFile::write(*doc);
        QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
        QCOMPARE(*written, RecoveryFile::pathFor(data.root()));
        // The crash: the document goes without saving.
    }
    QCOMPARE(data.snapshot(), before);
    QVERIFY(RecoveryFile::exists(data.root()));

    auto doc = openDoc(data.root());
    const auto snapshot = RecoveryFile::read(data.root());
    QVERIFY2(snapshot.ok(), snapshot.ok() ? "" : snapshot.error().toString().c_str());
    QCOMPARE(snapshot->rootDir, QDir(data.root()).absolutePath());
    QVERIFY(RecoveryFile::check(*snapshot, *doc).ok());
    const auto report = RecoveryFile::restore(*snapshot, doc.get());
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().toString().c_str());
    QVERIFY2(report->inexactFiles.isEmpty(), qPrintable(report->inexactFiles.join(QLatin1Char(' '))));
    QVERIFY(report->edits > 0);
    // Restored, not saved: modified, one undo step, files on disk untouched.
    QVERIFY(doc->isModified());
    QCOMPARE(doc->undoStack()->count(), 1);
    QCOMPARE(data.snapshot(), before);
    QCOMPARE(doc->pendingFileContents(), expected);

    // The user can still discard it all with one undo.
    doc->undoStack()->undo();
    QVERIFY(!doc->isModified());
    QVERIFY(doc->pendingFileContents().isEmpty());
    doc->undoStack()->redo();
    QCOMPARE(doc->pendingFileContents(), expected);

    const Status saved = doc->save();
    QVERIFY2(saved.ok(), saved.ok() ? "" : saved.error().toString().c_str());
    for (auto it = expected.cbegin(); it != expected.cend(); ++it)
        QCOMPARE(data.read(it.key()), it.value());
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        if (!expected.contains(it.key()))
            QCOMPARE(data.read(it.key()), it.value());
    // Saved: nothing left to recover.
    QVERIFY(RecoveryFile::write(*doc).ok());
    QVERIFY(!RecoveryFile::exists(data.root()));
}

void TestRecoveryFile::nothingUnsavedRemovesSnapshot()
{
    FixtureDataset data;
    auto doc = openDoc(data.root());
    applyEdits(doc.get(), QStringLiteral("caption"));
    QVERIFY(RecoveryFile::write(*doc).ok());
    QVERIFY(RecoveryFile::exists(data.root()));
    doc->undoStack()->undo();
    const Result<QString> written = RecoveryFile::write(*doc);
    QVERIFY(written.ok());
    QVERIFY(written->isEmpty());
    QVERIFY(!RecoveryFile::exists(data.root()));
}

void TestRecoveryFile::refusedWhenFileChangedOnDisk()
{
    FixtureDataset data;
    {
        auto doc = openDoc(data.root());
        applyEdits(doc.get(), QStringLiteral("all"));
        QVERIFY(RecoveryFile::write(*doc).ok());
    }
    // Another program edits val.jsonl after the crash.
    const QByteArray outside = data.files.value(QStringLiteral("val.jsonl")) + "\r\n";
    QVERIFY(fmwtest::writeBytes(data.path(QStringLiteral("val.jsonl")), outside));

    auto doc = openDoc(data.root());
    const auto snapshot = RecoveryFile::read(data.root());
    QVERIFY(snapshot.ok());
    const Status fits = RecoveryFile::check(*snapshot, *doc);
    QVERIFY(!fits.ok());
    QCOMPARE(fits.error().code, ErrorCode::Conflict);
    QVERIFY2(QString::fromStdString(fits.error().message).contains(QStringLiteral("val.jsonl")),
        fits.error().message.c_str());
    const auto report = RecoveryFile::restore(*snapshot, doc.get());
    QVERIFY(!report.ok());
    QCOMPARE(report.error().code, ErrorCode::Conflict);
    QVERIFY(!doc->isModified());
    QCOMPARE(doc->undoStack()->count(), 0);
    QCOMPARE(data.read(QStringLiteral("val.jsonl")), outside);

    // A file that did not exist then but does now is a change too.
    FixtureDataset other;
    {
        auto edited = openDoc(other.root());
        applyEdits(edited.get(), QStringLiteral("added to a new file"));
        QVERIFY(RecoveryFile::write(*edited).ok());
    }
    QVERIFY(fmwtest::writeBytes(other.path(QStringLiteral("test.jsonl")), QByteArray()));
    auto reopened = openDoc(other.root());
    QVERIFY(!RecoveryFile::check(*RecoveryFile::read(other.root()), *reopened).ok());
}

void TestRecoveryFile::refusedIntoEditedDocument()
{
    FixtureDataset data;
    {
        auto doc = openDoc(data.root());
        applyEdits(doc.get(), QStringLiteral("caption"));
        QVERIFY(RecoveryFile::write(*doc).ok());
    }
    auto doc = openDoc(data.root());
    applyEdits(doc.get(), QStringLiteral("removed"));
    const auto report = RecoveryFile::restore(*RecoveryFile::read(data.root()), doc.get());
    QVERIFY(!report.ok());
    QCOMPARE(report.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(doc->undoStack()->count(), 1);
}

void TestRecoveryFile::damagedSnapshotIsAnError()
{
    FixtureDataset data;
    QVERIFY(fmwtest::writeBytes(RecoveryFile::pathFor(data.root()), QByteArray("{\"format\": 3")));
    const auto snapshot = RecoveryFile::read(data.root());
    QVERIFY(!snapshot.ok());
    QCOMPARE(snapshot.error().code, ErrorCode::Parse);
    QCOMPARE(QString::fromStdString(snapshot.error().path), RecoveryFile::pathFor(data.root()));
}

void TestRecoveryFile::setAsideKeepsSnapshot()
{
    FixtureDataset data;
    auto doc = openDoc(data.root());
    applyEdits(doc.get(), QStringLiteral("caption"));
    QVERIFY(RecoveryFile::write(*doc).ok());
    const QByteArray bytes = fmwtest::readBytes(RecoveryFile::pathFor(data.root()));
    const Result<QString> kept = RecoveryFile::setAside(data.root());
    QVERIFY(kept.ok());
    QVERIFY(!RecoveryFile::exists(data.root()));
    QCOMPARE(fmwtest::readBytes(*kept), bytes);
    QVERIFY(QFileInfo(*kept).fileName().contains(QStringLiteral(".kept-")));
    // A second one in the same second gets its own name.
    QVERIFY(RecoveryFile::write(*doc).ok());
    const Result<QString> again = RecoveryFile::setAside(data.root());
    QVERIFY(again.ok());
    QVERIFY(*again != *kept);
    QVERIFY(QFileInfo::exists(*kept));
}

void TestRecoveryFile::onePathPerFolder()
{
    QTemporaryDir a, b;
    QVERIFY(RecoveryFile::pathFor(a.path()) != RecoveryFile::pathFor(b.path()));
    QCOMPARE(RecoveryFile::pathFor(a.path() + QStringLiteral("/.")), RecoveryFile::pathFor(a.path()));
    QVERIFY(RecoveryFile::pathFor(a.path()).startsWith(RecoveryFile::directory()));
}

QTEST_GUILESS_MAIN(TestRecoveryFile)
#include "tst_recovery_file.moc"

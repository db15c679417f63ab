// DatasetDocument: lossless open/save, every undo command (do, undo, redo, with the saved
// files byte-identical after undo), conflict detection, problems, split moves, signals.

#include "common/document_support.h"
#include "dataset/dataset_document.h"
#include "dataset/dataset_stats.h"
#include "dataset_fixture.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>

#include <random>

using namespace fmw;
using fmwtest::FixtureDataset;
using fmwtest::openDoc;
using fmwtest::findRecord;

namespace {

// Everything a user sees of the records, in file order.
QStringList recordState(const DatasetDocument &doc)
{
    QStringList out;
    for (RecordId id : doc.recordIds()) {
        const DatasetRecord &r = doc.record(id);
        out << QStringList {r.file, r.image, r.prefix, r.suffix}.join(QLatin1Char('|'));
    }
    return out;
}

QStringList changedFiles(const QMap<QString, QByteArray> &before, const QMap<QString, QByteArray> &after)
{
    QStringList out;
    for (auto it = after.cbegin(); it != after.cend(); ++it)
        if (before.value(it.key(), QByteArray("<absent>")) != it.value())
            out << it.key();
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        if (!after.contains(it.key()))
            out << it.key();
    out.sort();
    return out;
}

QByteArrayList linesOf(const QByteArray &bytes)
{
    return bytes.split('\n');
}

} // namespace

class TestDatasetDocument : public QObject {
    Q_OBJECT
private slots:
    void openReadsEveryFile();
    void openErrors();
    void problemsWithFileAndLine();
    void images();
    void editedRecordKeepsUnknownFieldsAndOrder();
    void editedAsciiRecordKeepsEscapeStyle();
    void untouchedLinesStayByteIdentical();
    void undoCommands_data();
    void undoCommands();
    void randomEditSequenceUndoesToOriginal();
    void signalsFireOnDoUndoRedo();
    void boxDragsMerge();
    void boxEditsValidate();
    void addRecordToCrlfFileWithoutFinalNewline();
    void removedRecordReturnsToItsLine();
    void setSplitMovesBetweenFiles();
    void emptiedFileIsWrittenEmpty();
    void conflictWritesNothing();
    void conflictIgnoresTouchWithoutChange();
    void conflictOnFileCreatedElsewhere();
    void conflictAfterSave();
    void modifiedFollowsCleanIndex();
    void stats();
};

void TestDatasetDocument::openReadsEveryFile()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    QCOMPARE(doc->files(), (QStringList {"train.jsonl", "train_detailed_caption.jsonl", "val.jsonl"}));
    QCOMPARE(doc->recordCount(), 10);
    const RecordId od = findRecord(*doc, "train.jsonl", 2);
    QCOMPARE(doc->record(od).image, QStringLiteral("a.png"));
    QCOMPARE(doc->record(od).prefix, QStringLiteral("<OD>"));
    const auto boxes = doc->boxes(od);
    QVERIFY(boxes.ok());
    QCOMPARE(int(boxes->size()), 2);
    QCOMPARE((*boxes)[1].label, std::string("pleural effusion"));
    QCOMPARE(doc->record(findRecord(*doc, "train.jsonl", 3)).suffix,
        QString::fromUtf8("Caf\xc3\xa9 \"quoted\" \xf0\x9f\x98\x80 tab\tend/"));
    QCOMPARE(doc->recordsForImage("b.png").size(), 5);
    QCOMPARE(doc->recordsFor("b.png", "<OD>").size(), 2);
    QCOMPARE(doc->recordsFor("a.png", "<DETAILED_CAPTION>").size(), 1);
    const auto invalid = doc->boxes(findRecord(*doc, "train.jsonl", 7));
    QVERIFY(!invalid.ok());
    QCOMPARE(invalid.error().path, std::string("train.jsonl"));
    QCOMPARE(invalid.error().line, 7);
    QVERIFY(!doc->isModified());
}

void TestDatasetDocument::openErrors()
{
    QTemporaryDir dir;
    const auto missing = DatasetDocument::open(dir.filePath("nope"));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::Io);
    fmwtest::writeBytes(dir.filePath("file.jsonl"), "{}");
    const auto notDir = DatasetDocument::open(dir.filePath("file.jsonl"));
    QVERIFY(!notDir.ok());
    QVERIFY(QString::fromStdString(notDir.error().message).contains("not a folder"));
    // An empty folder is a valid, empty dataset.
    QTemporaryDir empty;
    auto doc = DatasetDocument::open(empty.path());
    QVERIFY(doc.ok());
    QCOMPARE((*doc)->recordCount(), 0);
    QVERIFY((*doc)->problems().isEmpty());
}

void TestDatasetDocument::problemsWithFileAndLine()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    QStringList got;
    for (const DatasetProblem &p : doc->problems()) {
        got << QStringLiteral("%1:%2 %3").arg(p.file).arg(p.line).arg(problemKindName(p.kind));
        QVERIFY2(!p.message.isEmpty(), qPrintable(got.last()));
    }
    const QStringList expected = {
        "train.jsonl:4 malformed-line",
        "train.jsonl:5 missing-field",
        "train.jsonl:6 invalid-utf8",
        "train.jsonl:7 invalid-od",
        "train.jsonl:8 missing-image",
        "images/c.png:0 image-without-record",
        "images/e:0 image-without-record",
    };
    QCOMPARE(got, expected);
    const auto problems = doc->problems();
    QVERIFY(problems[1].message.contains("\"suffix\" is missing"));
    QVERIFY(problems[2].message.contains("column 12"));
    QVERIFY(problems[3].message.contains("multiple of 4"));
    QVERIFY(problems[4].message.contains("missing.png"));
    QCOMPARE(problems[3].record, findRecord(*doc, "train.jsonl", 7));

    // Problems follow edits: fixing the <OD> text clears it.
    doc->setCaption(findRecord(*doc, "train.jsonl", 7), "nodule<loc_1><loc_2><loc_3><loc_4>");
    QCOMPARE(doc->problems().size(), expected.size() - 1);
}

void TestDatasetDocument::images()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    QCOMPARE(doc->images(), (QStringList {"a.png", "b.png", "c.png", "e", "missing.png", "sub/d.dcm"}));
    QCOMPARE(doc->absoluteImagePath("sub/d.dcm"), ds.path("images/sub/d.dcm"));
    doc->addRecord("train.jsonl", "zz.png", "<CAPTION>", "x");
    QVERIFY(doc->images().contains("zz.png"));
    doc->undoStack()->undo();
    QVERIFY(!doc->images().contains("zz.png"));
}

void TestDatasetDocument::editedRecordKeepsUnknownFieldsAndOrder()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->setCaption(findRecord(*doc, "train.jsonl", 1), "Edited \"caption\".");
    QVERIFY(doc->save().ok());
    const QByteArrayList lines = linesOf(ds.read("train.jsonl"));
    QCOMPARE(lines[0],
        QByteArray(
            "{\"image\": \"a.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Edited \\\"caption\\\".\", "
            "\"extra\": {\"score\": 1e5, \"w\": 1.50, \"z\": -0.0, \"big\": 12345678901234567890}, "
            "\"tags\": [\"x\", null, true]}"));

    const RecordId od = findRecord(*doc, "train.jsonl", 2);
    doc->deleteBox(od, 0);
    QVERIFY(doc->save().ok());
    QCOMPARE(linesOf(ds.read("train.jsonl"))[1],
        QByteArray(
            R"({"suffix":"pleural effusion<loc_500><loc_600><loc_700><loc_800>","prefix":"<OD>","image":"a.png","id":7})"));
}

void TestDatasetDocument::editedAsciiRecordKeepsEscapeStyle()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->setCaption(findRecord(*doc, "train.jsonl", 3), QString::fromUtf8("No\xc3\xabl"));
    QVERIFY(doc->save().ok());
    QCOMPARE(linesOf(ds.read("train.jsonl"))[2],
        QByteArray(R"({"image": "b.png", "prefix": "<CAPTION>", "suffix": "No\u00ebl"})"));
}

void TestDatasetDocument::untouchedLinesStayByteIdentical()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    // One edit in every file forces each to be re-serialised in full.
    doc->setCaption(findRecord(*doc, "train.jsonl", 10), "opacity<loc_10><loc_20><loc_30><loc_41>");
    doc->setCaption(findRecord(*doc, "val.jsonl", 1), "Changed.");
    doc->setCaption(findRecord(*doc, "train_detailed_caption.jsonl", 2), "Changed.");
    QVERIFY(doc->save().ok());
    for (const QString &file : ds.files.keys()) {
        const QByteArrayList before = linesOf(ds.files.value(file));
        const QByteArrayList after = linesOf(ds.read(file));
        QCOMPARE(after.size(), before.size());
        int differing = 0;
        for (int i = 0; i < before.size(); ++i)
            differing += before[i] != after[i];
        QVERIFY2(differing == 1, qPrintable(file));
    }
    // Invalid UTF-8, malformed lines, CRLF and the missing final newline survive.
    QVERIFY(ds.read("train.jsonl").contains("\xff.png"));
    QVERIFY(ds.read("train.jsonl").contains("\nthis is not json\n"));
    QVERIFY(ds.read("val.jsonl").endsWith(R"("suffix": ""})"));
    QVERIFY(ds.read("val.jsonl").contains("\r\n"));
}

void TestDatasetDocument::undoCommands_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<QStringList>("changed"); // files whose bytes differ after saving the edit

    QTest::newRow("setCaption") << "setCaption" << QStringList {"train.jsonl"};
    QTest::newRow("addBox") << "addBox" << QStringList {"train.jsonl"};
    QTest::newRow("addBox to empty <OD>") << "addBoxEmpty" << QStringList {"val.jsonl"};
    QTest::newRow("moveBox") << "moveBox" << QStringList {"train.jsonl"};
    QTest::newRow("resizeBox") << "resizeBox" << QStringList {"train.jsonl"};
    QTest::newRow("deleteBox") << "deleteBox" << QStringList {"train.jsonl"};
    QTest::newRow("relabelBox") << "relabelBox" << QStringList {"train.jsonl"};
    QTest::newRow("addRecord") << "addRecord" << QStringList {"val.jsonl"};
    QTest::newRow("addRecord to a new file") << "addRecordNewFile" << QStringList {"test.jsonl"};
    QTest::newRow("removeRecord") << "removeRecord" << QStringList {"train.jsonl"};
    QTest::newRow("removeRecord, last line without newline") << "removeLast" << QStringList {"val.jsonl"};
    QTest::newRow("setSplit") << "setSplit" << QStringList {"train.jsonl", "val.jsonl"};
    QTest::newRow("setSplit of the last line without newline")
        << "setSplitLast" << QStringList {"train.jsonl", "val.jsonl"};
    QTest::newRow("setSplit of a variant")
        << "setSplitVariant" << QStringList {"train_detailed_caption.jsonl", "val_detailed_caption.jsonl"};
    QTest::newRow("setSplit macro") << "setSplitMacro"
                                    << QStringList {"test.jsonl", "test_detailed_caption.jsonl",
                                           "train_detailed_caption.jsonl", "val.jsonl"};
}

void TestDatasetDocument::undoCommands()
{
    QFETCH(QString, op);
    QFETCH(QStringList, changed);

    FixtureDataset ds;
    const QMap<QString, QByteArray> original = ds.snapshot();
    auto doc = openDoc(ds.root());
    const QStringList initial = recordState(*doc);
    QSignalSpy changedSpy(doc.get(), &DatasetDocument::recordChanged);
    QSignalSpy addedSpy(doc.get(), &DatasetDocument::recordAdded);
    QSignalSpy removedSpy(doc.get(), &DatasetDocument::recordRemoved);
    auto signalCount = [&] { return changedSpy.count() + addedSpy.count() + removedSpy.count(); };

    const RecordId od = findRecord(*doc, "train.jsonl", 2);
    if (op == "setCaption")
        doc->setCaption(findRecord(*doc, "train.jsonl", 1), "Edited.");
    else if (op == "addBox")
        doc->addBox(od, {"cardiomegaly", {300, 400, 700, 800}});
    else if (op == "addBoxEmpty")
        doc->addBox(findRecord(*doc, "val.jsonl", 2), {"nodule", {1, 2, 3, 4}});
    else if (op == "moveBox")
        doc->moveBox(od, 1, {10, 20, 30, 40});
    else if (op == "resizeBox")
        doc->resizeBox(od, 0, {100, 200, 350, 450});
    else if (op == "deleteBox")
        doc->deleteBox(od, 0);
    else if (op == "relabelBox")
        doc->relabelBox(od, 1, "effusion");
    else if (op == "addRecord")
        QVERIFY(doc->addRecord("val.jsonl", "c.png", "<CAPTION>", "New.") != 0);
    else if (op == "addRecordNewFile")
        QVERIFY(doc->addRecord("test.jsonl", "c.png", "<CAPTION>", "New.") != 0);
    else if (op == "removeRecord")
        doc->removeRecord(findRecord(*doc, "train.jsonl", 3));
    else if (op == "removeLast")
        doc->removeRecord(findRecord(*doc, "val.jsonl", 2));
    else if (op == "setSplit")
        doc->setSplit(findRecord(*doc, "val.jsonl", 1), Split::Train);
    else if (op == "setSplitLast")
        doc->setSplit(findRecord(*doc, "val.jsonl", 2), Split::Train);
    else if (op == "setSplitVariant")
        doc->setSplit(findRecord(*doc, "train_detailed_caption.jsonl", 1), Split::Val);
    else if (op == "setSplitMacro")
        doc->setSplit(
            QVector<RecordId> {findRecord(*doc, "train_detailed_caption.jsonl", 1),
                findRecord(*doc, "val.jsonl", 1), findRecord(*doc, "train_detailed_caption.jsonl", 2)},
            Split::Test);
    else
        QFAIL("unknown op");

    // Do: one undo step, a signal, a state that differs and survives save + reopen.
    QCOMPARE(doc->undoStack()->count(), 1);
    QVERIFY(doc->isModified());
    QVERIFY(signalCount() > 0);
    const QStringList edited = recordState(*doc);
    QVERIFY(edited != initial);
    QVERIFY(doc->save().ok());
    QVERIFY(!doc->isModified());
    const QMap<QString, QByteArray> afterDo = ds.snapshot();
    QCOMPARE(changedFiles(original, afterDo), changed);
    QCOMPARE(recordState(*openDoc(ds.root())), edited);

    // Undo: the state and, once saved, every original file byte for byte.
    int before = signalCount();
    doc->undoStack()->undo();
    QVERIFY(signalCount() > before);
    QCOMPARE(recordState(*doc), initial);
    QVERIFY(doc->isModified());
    QVERIFY(doc->save().ok());
    const QMap<QString, QByteArray> afterUndo = ds.snapshot();
    for (auto it = original.cbegin(); it != original.cend(); ++it)
        QCOMPARE(afterUndo.value(it.key()), it.value());
    for (auto it = afterUndo.cbegin(); it != afterUndo.cend(); ++it)
        if (!original.contains(it.key()))
            QVERIFY2(it.value().isEmpty(), qPrintable(it.key())); // created files stay, empty

    // Redo: the edited state and the same bytes as the first save.
    before = signalCount();
    doc->undoStack()->redo();
    QVERIFY(signalCount() > before);
    QCOMPARE(recordState(*doc), edited);
    QVERIFY(doc->save().ok());
    QCOMPARE(ds.snapshot(), afterDo);
}

void TestDatasetDocument::randomEditSequenceUndoesToOriginal()
{
    // Interleaved edits of every kind; undoing them all must restore every byte, redoing
    // them all must give the same files again.
    FixtureDataset ds;
    const QMap<QString, QByteArray> original = ds.snapshot();
    auto doc = openDoc(ds.root());
    const QStringList initial = recordState(*doc);
    std::mt19937 rng(7);
    auto pick = [&] {
        const QVector<RecordId> ids = doc->recordIds();
        return ids[int(rng() % unsigned(ids.size()))];
    };
    const Split splits[] = {Split::Train, Split::Val, Split::Test};
    for (int step = 0; step < 300; ++step) {
        const RecordId id = pick();
        const bool od = doc->record(id).prefix == QLatin1String("<OD>") && doc->boxes(id).ok();
        const int boxCount = od ? int(doc->boxes(id)->size()) : 0;
        const int b = int(rng() % 1000);
        switch (rng() % 8) {
        case 0:
            doc->setCaption(id, QStringLiteral("caption %1").arg(step));
            break;
        case 1:
            if (od)
                doc->addBox(id, {"finding", {b / 2, b / 3, b, b}});
            break;
        case 2:
            if (boxCount)
                doc->moveBox(id, int(rng() % unsigned(boxCount)), {0, 0, b, b}, step % 3);
            break;
        case 3:
            if (boxCount)
                doc->deleteBox(id, int(rng() % unsigned(boxCount)));
            break;
        case 4:
            if (boxCount)
                doc->relabelBox(id, 0, QStringLiteral("label %1").arg(step));
            break;
        case 5:
            doc->addRecord(rng() % 2 ? "val.jsonl" : "test_extra.jsonl", "a.png", "<CAPTION>", "added");
            break;
        case 6:
            if (doc->recordCount() > 3)
                doc->removeRecord(id);
            break;
        case 7:
            doc->setSplit(QVector<RecordId> {id, pick()}, splits[rng() % 3]);
            break;
        }
    }
    QVERIFY(doc->undoStack()->count() > 100);
    QVERIFY(doc->save().ok());
    const QMap<QString, QByteArray> edited = ds.snapshot();
    const QStringList editedState = recordState(*doc);
    QCOMPARE(recordState(*openDoc(ds.root())), editedState);

    doc->undoStack()->setIndex(0);
    QCOMPARE(recordState(*doc), initial);
    QVERIFY(doc->save().ok());
    const QMap<QString, QByteArray> undone = ds.snapshot();
    for (auto it = original.cbegin(); it != original.cend(); ++it)
        QCOMPARE(undone.value(it.key()), it.value());

    doc->undoStack()->setIndex(doc->undoStack()->count());
    QCOMPARE(recordState(*doc), editedState);
    QVERIFY(doc->save().ok());
    QCOMPARE(ds.snapshot(), edited);
}

void TestDatasetDocument::signalsFireOnDoUndoRedo()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    QSignalSpy changed(doc.get(), &DatasetDocument::recordChanged);
    QSignalSpy added(doc.get(), &DatasetDocument::recordAdded);
    QSignalSpy aboutToRemove(doc.get(), &DatasetDocument::recordAboutToBeRemoved);
    QSignalSpy removed(doc.get(), &DatasetDocument::recordRemoved);
    QSignalSpy modified(doc.get(), &DatasetDocument::modifiedChanged);
    QSignalSpy saved(doc.get(), &DatasetDocument::saved);

    const RecordId id = findRecord(*doc, "train.jsonl", 1);
    doc->setCaption(id, "A");
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<RecordId>(), id);
    QCOMPARE(modified.count(), 1);
    QCOMPARE(modified.at(0).at(0).toBool(), true);
    doc->undoStack()->undo();
    QCOMPARE(changed.count(), 2);
    QCOMPARE(modified.count(), 2);
    QCOMPARE(modified.at(1).at(0).toBool(), false);
    doc->undoStack()->redo();
    QCOMPARE(changed.count(), 3);

    const RecordId added1 = doc->addRecord("val.jsonl", "b.png", "<CAPTION>", "x");
    QCOMPARE(added.count(), 1);
    QCOMPARE(added.at(0).at(0).value<RecordId>(), added1);
    QVERIFY(doc->contains(added1));
    QCOMPARE(doc->record(added1).file, QStringLiteral("val.jsonl"));
    QCOMPARE(doc->record(added1).line, 0);
    doc->undoStack()->undo();
    QCOMPARE(aboutToRemove.count(), 1);
    QCOMPARE(removed.count(), 1);
    QVERIFY(!doc->contains(added1));

    // The document still holds the record when "about to be removed" fires.
    connect(doc.get(), &DatasetDocument::recordAboutToBeRemoved, this,
        [&doc](RecordId r) { QVERIFY(doc->contains(r)); });
    doc->removeRecord(id);
    QCOMPARE(removed.count(), 2);
    doc->undoStack()->undo();
    QCOMPARE(added.count(), 2);

    const RecordId val = findRecord(*doc, "val.jsonl", 1);
    const int before = changed.count();
    doc->setSplit(val, Split::Test);
    QCOMPARE(changed.count(), before + 1);
    doc->undoStack()->undo();
    QCOMPARE(changed.count(), before + 2);

    QVERIFY(doc->save().ok());
    QCOMPARE(saved.count(), 1);
}

void TestDatasetDocument::boxDragsMerge()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const RecordId od = findRecord(*doc, "train.jsonl", 2);
    const QString original = doc->record(od).suffix;
    doc->moveBox(od, 0, {101, 201, 301, 401}, 7);
    doc->moveBox(od, 0, {102, 202, 302, 402}, 7);
    doc->moveBox(od, 0, {103, 203, 303, 403}, 7);
    QCOMPARE(doc->undoStack()->count(), 1);
    doc->resizeBox(od, 0, {103, 203, 310, 410}, 8); // a new drag
    doc->resizeBox(od, 0, {103, 203, 320, 420}, 8);
    QCOMPARE(doc->undoStack()->count(), 2);
    doc->moveBox(od, 1, {1, 1, 2, 2}, 8); // same key, other box: no merge
    doc->moveBox(od, 1, {1, 1, 3, 3}); // no key: no merge
    doc->moveBox(od, 1, {1, 1, 4, 4});
    QCOMPARE(doc->undoStack()->count(), 5);
    QCOMPARE((*doc->boxes(od))[0].bins, (loc::Bins {103, 203, 320, 420}));
    doc->undoStack()->setIndex(1);
    QCOMPARE((*doc->boxes(od))[0].bins, (loc::Bins {103, 203, 303, 403}));
    doc->undoStack()->undo();
    QCOMPARE(doc->record(od).suffix, original);
}

void TestDatasetDocument::boxEditsValidate()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const RecordId od = findRecord(*doc, "train.jsonl", 2);
    // Inverted and out-of-range bins are normalised; labels cannot break the <OD> text.
    doc->addBox(od, {" new<thing>\n ", {900, 950, 100, 1200}});
    const auto boxes = doc->boxes(od);
    QVERIFY(boxes.ok());
    QCOMPARE(boxes->back().label, std::string("new thing"));
    QCOMPARE(boxes->back().bins, (loc::Bins {100, 950, 900, 999}));
    // A no-op edit pushes nothing.
    const int count = doc->undoStack()->count();
    doc->moveBox(od, 0, (*boxes)[0].bins);
    doc->setCaption(od, doc->record(od).suffix);
    QCOMPARE(doc->undoStack()->count(), count);
    // Box edits on an unparseable <OD> suffix are refused, leaving it as it is.
    const RecordId invalid = findRecord(*doc, "train.jsonl", 7);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("invalid <OD> suffix"));
    doc->addBox(invalid, {"x", {1, 2, 3, 4}});
    QCOMPARE(doc->undoStack()->count(), count);
    QVERIFY(!doc->boxes(findRecord(*doc, "train.jsonl", 1)).ok()); // not an <OD> record
}

void TestDatasetDocument::addRecordToCrlfFileWithoutFinalNewline()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->addRecord("val.jsonl", "n.png", "<CAPTION>", "New.");
    QVERIFY(doc->save().ok());
    QCOMPARE(ds.read("val.jsonl"),
        fmwtest::valJsonl() + "\r\n" + R"({"image": "n.png", "prefix": "<CAPTION>", "suffix": "New."})"
            + "\r\n");
}

void TestDatasetDocument::removedRecordReturnsToItsLine()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const QVector<RecordId> order = doc->recordIds();
    const RecordId mid = findRecord(*doc, "train.jsonl", 3);
    doc->removeRecord(mid);
    doc->removeRecord(findRecord(*doc, "train.jsonl", 1));
    QCOMPARE(doc->recordCount(), 8);
    doc->undoStack()->undo();
    doc->undoStack()->undo();
    QCOMPARE(doc->recordIds(), order);
    QCOMPARE(doc->record(mid).line, 3);
}

void TestDatasetDocument::setSplitMovesBetweenFiles()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const RecordId detailed = findRecord(*doc, "train_detailed_caption.jsonl", 2);
    const RecordId caption = findRecord(*doc, "train.jsonl", 1);
    doc->setSplit(QVector<RecordId> {detailed, caption}, Split::Val);
    QCOMPARE(doc->undoStack()->count(), 1);
    QCOMPARE(doc->record(detailed).file, QStringLiteral("val_detailed_caption.jsonl"));
    QCOMPARE(doc->record(caption).file, QStringLiteral("val.jsonl"));
    QCOMPARE(doc->record(caption).line, 0);
    QVERIFY(doc->files().contains("val_detailed_caption.jsonl"));
    // Setting the split a record already has is no step at all.
    doc->setSplit(caption, Split::Val);
    QCOMPARE(doc->undoStack()->count(), 1);
    QVERIFY(doc->save().ok());
    // Moved records keep their original bytes.
    QCOMPARE(ds.read("val_detailed_caption.jsonl"), linesOf(fmwtest::trainDetailedJsonl())[1] + "\n");
    QVERIFY(ds.read("val.jsonl").endsWith("\r\n" + linesOf(fmwtest::trainJsonl())[0] + "\r\n"));
    doc->undoStack()->undo();
    QCOMPARE(doc->record(caption).file, QStringLiteral("train.jsonl"));
    QCOMPARE(doc->record(caption).line, 1);
    QVERIFY(doc->save().ok());
    QCOMPARE(ds.read("train.jsonl"), fmwtest::trainJsonl());
    QCOMPARE(ds.read("val.jsonl"), fmwtest::valJsonl());
}

void TestDatasetDocument::emptiedFileIsWrittenEmpty()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    QVector<RecordId> ids;
    for (RecordId id : doc->recordIds())
        if (doc->record(id).file == "train_detailed_caption.jsonl")
            ids << id;
    doc->setSplit(ids, Split::Test);
    QVERIFY(doc->save().ok());
    QVERIFY(QFileInfo::exists(ds.path("train_detailed_caption.jsonl")));
    QCOMPARE(ds.read("train_detailed_caption.jsonl"), QByteArray());
    QCOMPARE(ds.read("test_detailed_caption.jsonl"), fmwtest::trainDetailedJsonl());
    QVERIFY(doc->files().contains("train_detailed_caption.jsonl"));
}

void TestDatasetDocument::conflictWritesNothing()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->setSplit(findRecord(*doc, "val.jsonl", 1), Split::Train); // touches train and val
    const QByteArray external = fmwtest::valJsonl()
        + "\r\n{\"image\": \"x.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"other tool\"}";
    fmwtest::writeBytes(ds.path("val.jsonl"), external);
    QCOMPARE(doc->externallyModifiedFiles(), QStringList {"val.jsonl"});
    const Status status = doc->save();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::Conflict);
    QVERIFY(QString::fromStdString(status.error().message).contains("val.jsonl"));
    QCOMPARE(ds.read("val.jsonl"), external);
    QCOMPARE(ds.read("train.jsonl"), fmwtest::trainJsonl()); // not written either
    QVERIFY(doc->isModified());
}

void TestDatasetDocument::conflictIgnoresTouchWithoutChange()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->setCaption(findRecord(*doc, "train.jsonl", 1), "Edited.");
    fmwtest::writeBytes(ds.path("train.jsonl"), fmwtest::trainJsonl()); // same bytes, new mtime
    QVERIFY(doc->externallyModifiedFiles().isEmpty());
    QVERIFY(doc->save().ok());
}

void TestDatasetDocument::conflictOnFileCreatedElsewhere()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    doc->addRecord("test.jsonl", "a.png", "<CAPTION>", "x");
    fmwtest::writeBytes(ds.path("test.jsonl"), "{}\n");
    const Status status = doc->save();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::Conflict);
    QCOMPARE(ds.read("test.jsonl"), QByteArray("{}\n"));
}

void TestDatasetDocument::conflictAfterSave()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const RecordId id = findRecord(*doc, "train.jsonl", 1);
    doc->setCaption(id, "One.");
    QVERIFY(doc->save().ok());
    QVERIFY(doc->externallyModifiedFiles().isEmpty());
    doc->setCaption(id, "Two.");
    fmwtest::writeBytes(
        ds.path("train.jsonl"), fmwtest::trainJsonl()); // the loaded bytes, not the saved ones
    const Status status = doc->save();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::Conflict);
}

void TestDatasetDocument::modifiedFollowsCleanIndex()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const RecordId id = findRecord(*doc, "train.jsonl", 1);
    doc->setCaption(id, "One.");
    QVERIFY(doc->isModified());
    doc->undoStack()->undo();
    QVERIFY(!doc->isModified());
    doc->undoStack()->redo();
    QVERIFY(doc->save().ok());
    QVERIFY(!doc->isModified());
    doc->undoStack()->undo();
    QVERIFY(doc->isModified());
    doc->undoStack()->redo();
    QVERIFY(!doc->isModified());
}

void TestDatasetDocument::stats()
{
    FixtureDataset ds;
    auto doc = openDoc(ds.root());
    const DatasetStats s = computeStats(*doc);
    QCOMPARE(s.records, 10);
    QCOMPARE(s.recordsPerFile.value("train.jsonl"), 6);
    QCOMPARE(s.recordsPerSplit.value("train"), 8);
    QCOMPARE(s.recordsPerSplit.value("val"), 2);
    QCOMPARE(s.recordsPerPrefix.value("<OD>"), 4);
    QCOMPARE(s.invalidOdRecords, 1);
    QCOMPARE(s.boxes, 3);
    QCOMPARE(s.boxesPerLabel.value("pleural effusion"), 1);
    QCOMPARE(s.imagesWithBoxes, 2);
    QCOMPARE(s.images, 6);
    QCOMPARE(s.meanWordsPerPrefix.value("<DETAILED_CAPTION>"), 3.0);
}

QTEST_GUILESS_MAIN(TestDatasetDocument)
#include "tst_dataset_document.moc"

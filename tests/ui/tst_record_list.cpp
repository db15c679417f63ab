// The record list: RecordListModel under QAbstractItemModelTester through every kind of
// document edit, its roles, the filter, the thumbnail loader (off-thread, cached, stale work
// dropped on reset) and the recent-folders list.

#include "ui_test_data.h"

#include "dataset/dataset_document.h"
#include "ui/recent_folders.h"
#include "ui/record_list_model.h"
#include "ui/record_list_panel.h"
#include "ui/thumbnail_loader.h"

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QListView>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::DatasetDocument;
using fmw::ui::RecordListModel;
using fmw::ui::ThumbnailLoader;

class TestRecordList : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void modelTesterThroughEdits();
    void rowRoles_data();
    void rowRoles();
    void thumbnailsLoadOffThread();
    void brokenImageThumbnailFails();
    void resetDropsStaleThumbnails();
    void loaderQueueIsBoundedAndLifo();
    void filterMatchesFileNameAndCaption_data();
    void filterMatchesFileNameAndCaption();
    void panelRequestsVisibleRows();
    void recentFoldersKeepEightAndPruneMissing();

private:
    QTemporaryDir m_settingsDir;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<DatasetDocument> m_doc;
};

void TestRecordList::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_record_list"));
}

void TestRecordList::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    fmwtest::UiDataset::write(m_dir->path());
    auto opened = DatasetDocument::open(m_dir->path());
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().toString().c_str());
    m_doc = std::move(opened).value();
}

void TestRecordList::cleanup()
{
    m_doc.reset();
    m_dir.reset();
}

void TestRecordList::modelTesterThroughEdits()
{
    ThumbnailLoader loader(32);
    RecordListModel model;
    model.setThumbnailLoader(&loader);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDocument(m_doc.get());
    QCOMPARE(model.rowCount(), 3);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);

    const fmw::RecordId caption = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();
    m_doc->setCaption(caption, QStringLiteral("Changed."));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.first().at(0).toModelIndex().row(), model.rowOf(QStringLiteral("chest_b.png")));

    // A record for an image not under images/ adds a row (sorted position), undo removes it.
    const fmw::RecordId added = m_doc->addRecord(QStringLiteral("val.jsonl"), QStringLiteral("aaa_new.png"),
                                                 QStringLiteral("<CAPTION>"), QStringLiteral("New."));
    QVERIFY(added != 0);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.imageAt(0), QStringLiteral("aaa_new.png"));
    m_doc->undoStack()->undo();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(removed.count(), 1);
    m_doc->undoStack()->redo();
    QCOMPARE(model.rowCount(), 4);

    // Removing the last record of an image that exists on disk keeps its row.
    m_doc->removeRecord(caption);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(model.rowOf(QStringLiteral("chest_b.png"))).data(RecordListModel::RecordCountRole).toInt(), 0);
    m_doc->setSplit(m_doc->recordsFor(QStringLiteral("chest_c.dcm"), QStringLiteral("<CAPTION>")).first(), fmw::Split::Test);
    QCOMPARE(model.index(model.rowOf(QStringLiteral("chest_c.dcm"))).data(RecordListModel::SplitsRole).toStringList(),
             QStringList{QStringLiteral("test")});
    while (m_doc->undoStack()->canUndo())
        m_doc->undoStack()->undo();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(model.rowOf(QStringLiteral("chest_c.dcm"))).data(RecordListModel::SplitsRole).toStringList(),
             QStringList{QStringLiteral("train")});

    model.setDocument(nullptr);
    QCOMPARE(model.rowCount(), 0);
}

void TestRecordList::rowRoles_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QStringList>("prefixes");
    QTest::addColumn<QStringList>("splits");
    QTest::addColumn<int>("boxes");
    QTest::addColumn<QString>("searchWord");

    QTest::newRow("three prefixes, two boxes")
        << "chest_a.png" << QStringList{"<CAPTION>", "<DETAILED_CAPTION>", "<OD>"} << QStringList{"train"} << 2
        << "lungs are clear";
    QTest::newRow("caption only") << "chest_b.png" << QStringList{"<CAPTION>"} << QStringList{"train"} << 0
                                  << "pleural effusion";
    QTest::newRow("dicom") << "chest_c.dcm" << QStringList{"<CAPTION>"} << QStringList{"train"} << 0
                           << "Cardiomegaly";
}

void TestRecordList::rowRoles()
{
    QFETCH(QString, image);
    QFETCH(QStringList, prefixes);
    QFETCH(QStringList, splits);
    QFETCH(int, boxes);
    QFETCH(QString, searchWord);

    RecordListModel model;
    model.setDocument(m_doc.get());
    const int row = model.rowOf(image);
    QVERIFY(row >= 0);
    const QModelIndex index = model.index(row);
    QCOMPARE(index.data(Qt::DisplayRole).toString(), image);
    QCOMPARE(index.data(RecordListModel::AbsolutePathRole).toString(), m_doc->absoluteImagePath(image));
    QCOMPARE(index.data(RecordListModel::PrefixesRole).toStringList(), prefixes);
    QCOMPARE(index.data(RecordListModel::SplitsRole).toStringList(), splits);
    QCOMPARE(index.data(RecordListModel::BoxCountRole).toInt(), boxes);
    QVERIFY(index.data(RecordListModel::SearchTextRole).toString().contains(searchWord));
    QCOMPARE(index.data(RecordListModel::ThumbnailStateRole).toInt(), int(RecordListModel::ThumbnailPending));
    QVERIFY(!index.data(Qt::DecorationRole).value<QImage>().isNull());  // the pending-thumbnail picture
}

void TestRecordList::thumbnailsLoadOffThread()
{
    ThumbnailLoader loader(32);
    RecordListModel model;
    model.setThumbnailLoader(&loader);
    model.setDocument(m_doc.get());
    QSignalSpy ready(&loader, &ThumbnailLoader::thumbnailReady);
    QSignalSpy idle(&loader, &ThumbnailLoader::idle);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    QStringList paths;
    for (int row = 0; row < model.rowCount(); ++row)
        paths << model.absolutePathAt(row);
    loader.request(paths);
    QVERIFY(!loader.isIdle());  // nothing decoded on the calling thread
    QVERIFY(idle.wait(10000));
    QCOMPARE(ready.count(), 3);
    QTRY_COMPARE(changed.count(), 3);  // announced in one batch per frame
    QCOMPARE(loader.loadedCount(), 3);
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row);
        QCOMPARE(index.data(RecordListModel::ThumbnailStateRole).toInt(), int(RecordListModel::ThumbnailLoaded));
        const QImage thumb = index.data(Qt::DecorationRole).value<QImage>();
        QCOMPARE(std::max(thumb.width(), thumb.height()), 32);
    }
    // chest_a.png is 64x48: the thumbnail keeps the aspect ratio.
    QCOMPARE(loader.thumbnail(m_doc->absoluteImagePath(QStringLiteral("chest_a.png"))).size(), QSize(32, 24));

    // Cached: a second request does no work.
    loader.request(paths);
    QVERIFY(loader.isIdle());
}

void TestRecordList::brokenImageThumbnailFails()
{
    const QString broken = m_dir->filePath(QStringLiteral("images/broken.png"));
    fmwtest::writeBytes(broken, "\x89PNG\r\n\x1a\n this is not a PNG");
    ThumbnailLoader loader(32);
    QSignalSpy idle(&loader, &ThumbnailLoader::idle);
    loader.request(broken);
    QVERIFY(idle.wait(10000));
    QVERIFY(loader.isDone(broken));
    QVERIFY(loader.hasFailed(broken));
    QVERIFY(loader.failure(broken).contains(QStringLiteral("broken.png")));
    QVERIFY(loader.thumbnail(broken).isNull());
}

void TestRecordList::resetDropsStaleThumbnails()
{
    ThumbnailLoader loader(32, 1);
    QSignalSpy ready(&loader, &ThumbnailLoader::thumbnailReady);
    QSignalSpy idle(&loader, &ThumbnailLoader::idle);
    const QString a = m_doc->absoluteImagePath(QStringLiteral("chest_a.png"));
    const QString b = m_doc->absoluteImagePath(QStringLiteral("chest_b.png"));
    loader.request(QStringList{a, b});
    QCOMPARE(loader.queuedCount(), 1);  // one thread: one running, one queued
    loader.reset();                      // dataset changed before anything finished
    QCOMPARE(loader.queuedCount(), 0);
    QVERIFY(idle.wait(10000));
    QCOMPARE(ready.count(), 0);
    QVERIFY(!loader.isDone(a));
    QVERIFY(!loader.isDone(b));
}

void TestRecordList::loaderQueueIsBoundedAndLifo()
{
    ThumbnailLoader loader(16, 1);
    QStringList paths;
    for (int i = 0; i < ThumbnailLoader::kMaxQueued + 50; ++i)
        paths << m_dir->filePath(QStringLiteral("missing/%1.png").arg(i));
    // One at a time, oldest first: each later request outranks the earlier ones.
    for (const QString &p : std::as_const(paths))
        loader.request(p);
    QCOMPARE(loader.queuedCount(), ThumbnailLoader::kMaxQueued);
    QSignalSpy ready(&loader, &ThumbnailLoader::thumbnailReady);
    QVERIFY(ready.wait(10000));
    // The first job started before the queue filled up; the next one is the newest request.
    QTRY_VERIFY_WITH_TIMEOUT(ready.count() >= 2, 10000);
    QCOMPARE(ready.at(0).at(0).toString(), paths.first());
    QCOMPARE(ready.at(1).at(0).toString(), paths.last());
    loader.reset();
}

void TestRecordList::filterMatchesFileNameAndCaption_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("images");
    QTest::newRow("file name") << "chest_c" << QStringList{"chest_c.dcm"};
    QTest::newRow("caption, any case") << "PLEURAL" << QStringList{"chest_b.png"};
    QTest::newRow("detailed caption") << "lungs are" << QStringList{"chest_a.png"};
    QTest::newRow("every row") << "chest" << QStringList{"chest_a.png", "chest_b.png", "chest_c.dcm"};
    QTest::newRow("nothing") << "pneumothorax" << QStringList{};
}

void TestRecordList::filterMatchesFileNameAndCaption()
{
    QFETCH(QString, text);
    QFETCH(QStringList, images);
    ThumbnailLoader loader(32);
    RecordListModel model;
    model.setThumbnailLoader(&loader);
    model.setDocument(m_doc.get());
    fmw::ui::RecordListPanel panel(&model, &loader);
    auto *filter = panel.findChild<QLineEdit *>(QStringLiteral("recordFilter"));
    QVERIFY(filter);
    const auto shown = [&panel] {
        QStringList list;
        for (int row = 0; row < panel.proxyModel()->rowCount(); ++row)
            list << panel.proxyModel()->index(row, 0).data(RecordListModel::ImageRole).toString();
        return list;
    };
    QTest::keyClicks(filter, text);
    // Applied once typing pauses.
    QCOMPARE(panel.proxyModel()->rowCount(), 3);
    QTRY_COMPARE(shown(), images);

    // Selecting a hidden image clears the filter at once.
    if (!images.contains(QStringLiteral("chest_b.png"))) {
        QVERIFY(panel.selectImage(QStringLiteral("chest_b.png")));
        QCOMPARE(panel.currentImage(), QStringLiteral("chest_b.png"));
        QVERIFY(filter->text().isEmpty());
    }
}

void TestRecordList::panelRequestsVisibleRows()
{
    // 40 images in a list showing a handful of rows: only those (and a page around them)
    // are requested, the rest never decoded.
    QTemporaryDir dir;
    QByteArray jsonl;
    for (int i = 0; i < 40; ++i) {
        const QString name = QStringLiteral("img_%1.png").arg(i, 2, 10, QLatin1Char('0'));
        fmwtest::writeGray16Png(dir.filePath(QStringLiteral("images/") + name), 24, 24, i);
        jsonl += "{\"image\": \"" + name.toUtf8() + "\", \"prefix\": \"<CAPTION>\", \"suffix\": \"x\"}\n";
    }
    fmwtest::writeBytes(dir.filePath(QStringLiteral("train.jsonl")), jsonl);
    auto doc = DatasetDocument::open(dir.path());
    QVERIFY(doc.ok());

    ThumbnailLoader loader(64);
    RecordListModel model;
    model.setThumbnailLoader(&loader);
    model.setDocument(doc->get());
    fmw::ui::RecordListPanel panel(&model, &loader);
    panel.resize(300, 400);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QStringList visible = panel.visiblePaths();
    QVERIFY(visible.size() >= 3 && visible.size() < 10);
    QCOMPARE(visible.first(), model.absolutePathAt(0));
    QTRY_VERIFY_WITH_TIMEOUT(panel.visibleThumbnailsDone(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(loader.isIdle(), 10000);
    QVERIFY(!loader.isDone(model.absolutePathAt(39)));

    // Scrolling to the end brings the last rows in.
    panel.listView()->scrollToBottom();
    QTRY_VERIFY_WITH_TIMEOUT(panel.visiblePaths().contains(model.absolutePathAt(39)), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(loader.isDone(model.absolutePathAt(39)), 10000);
}

void TestRecordList::recentFoldersKeepEightAndPruneMissing()
{
    QTemporaryDir root;
    fmw::ui::RecentFolders recent(QStringLiteral("testRecent"));
    recent.clear();
    QStringList dirs;
    for (int i = 0; i < 10; ++i) {
        dirs << QDir::cleanPath(root.filePath(QStringLiteral("d%1").arg(i)));
        QVERIFY(QDir().mkpath(dirs.last()));
        recent.add(dirs.last());
    }
    QStringList expected;
    for (int i = 9; i >= 2; --i)
        expected << dirs[i];
    QCOMPARE(recent.folders(), expected);

    recent.add(dirs[5]);  // reopened: moves to the front, no duplicate
    QCOMPARE(recent.folders().first(), dirs[5]);
    QCOMPARE(recent.folders().size(), 8);

    QVERIFY(QDir(dirs[9]).removeRecursively());
    QVERIFY(!recent.folders().contains(dirs[9]));
    QCOMPARE(recent.folders().size(), 7);
    QCOMPARE(QSettings().value(QStringLiteral("testRecent")).toStringList().size(), 7);  // pruned in settings too
}

QTEST_MAIN(TestRecordList)
#include "tst_record_list.moc"

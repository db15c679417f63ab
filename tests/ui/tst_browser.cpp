// The dataset browser: filters (split, task, boxes, problems, text), sort keys and the count
// label driven through their widgets; multi-select move-to-split and delete (one undo step
// each, with and without the confirmation); grid/list toggle; the problems panel and its
// jump to an image; every model under QAbstractItemModelTester while records change.

#include "ui_test_data.h"

#include "dataset/dataset_document.h"
#include "ui/problems_model.h"
#include "ui/problems_panel.h"
#include "ui/record_filter_proxy.h"
#include "ui/record_list_model.h"
#include "ui/record_list_panel.h"
#include "ui/thumbnail_loader.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::DatasetDocument;
using fmw::RecordId;
using fmw::Split;
using fmw::ui::ProblemsModel;
using fmw::ui::ProblemsPanel;
using fmw::ui::RecordFilterProxy;
using fmw::ui::RecordListModel;
using fmw::ui::RecordListPanel;
using fmw::ui::ThumbnailLoader;

namespace {

constexpr auto kFatal = QAbstractItemModelTester::FailureReportingMode::Fatal;

// Six images, every filter and sort key telling them apart:
//   chest_a.png  train: <CAPTION>, <OD> 2 boxes; train_detailed_caption: <DETAILED_CAPTION>
//   chest_b.png  train: <CAPTION>; val: <OD> with an invalid box text (1 problem)
//   chest_c.dcm  test: <CAPTION> "Cardiomegaly."
//   ghost.png    val: <CAPTION>, no such file (1 problem)
//   orphan.png   on disk, no record (1 problem)
//   zeta.png     test: <OD> 1 box
// and test.jsonl line 2 is not JSON (a problem with no image).
void writeBrowserDataset(const QString &root)
{
    fmwtest::writeGray16Png(root + QStringLiteral("/images/chest_a.png"), 64, 48, 1);
    fmwtest::writeGray16Png(root + QStringLiteral("/images/chest_b.png"), 40, 40, 2);
    fmwtest::writeDicom(root + QStringLiteral("/images/chest_c.dcm"), 32, 32);
    fmwtest::writeGray16Png(root + QStringLiteral("/images/orphan.png"), 24, 24, 3);
    fmwtest::writeGray16Png(root + QStringLiteral("/images/zeta.png"), 24, 24, 4);
    fmwtest::writeBytes(root + QStringLiteral("/train.jsonl"),
        "{\"image\": \"chest_a.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"No acute findings.\"}\n"
        "{\"image\": \"chest_a.png\", \"prefix\": \"<OD>\", \"suffix\": \"nodule<loc_100><loc_200><loc_300><loc_400>pleural effusion<loc_500><loc_600><loc_900><loc_950>\"}\n"
        "{\"image\": \"chest_b.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Small left pleural effusion.\"}\n");
    fmwtest::writeBytes(root + QStringLiteral("/train_detailed_caption.jsonl"),
        "{\"image\": \"chest_a.png\", \"prefix\": \"<DETAILED_CAPTION>\", \"suffix\": \"The lungs are clear.\"}\n");
    fmwtest::writeBytes(root + QStringLiteral("/val.jsonl"),
        "{\"image\": \"chest_b.png\", \"prefix\": \"<OD>\", \"suffix\": \"effusion<loc_1><loc_2>\"}\n"
        "{\"image\": \"ghost.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Missing file.\"}\n");
    fmwtest::writeBytes(root + QStringLiteral("/test.jsonl"),
        "{\"image\": \"chest_c.dcm\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Cardiomegaly.\"}\n"
        "this line is not json\n"
        "{\"image\": \"zeta.png\", \"prefix\": \"<OD>\", \"suffix\": \"nodule<loc_10><loc_20><loc_30><loc_40>\"}\n");
}

const QStringList kAll = {"chest_a.png", "chest_b.png", "chest_c.dcm", "ghost.png", "orphan.png", "zeta.png"};

} // namespace

class TestBrowser : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void modelRolesForProblems();
    void filtersThroughWidgets_data();
    void filtersThroughWidgets();
    void sortKeys_data();
    void sortKeys();
    void countLabel();
    void prefixComboFollowsRecords();
    void selectImageClearsEveryFilter();
    void moveSelectionToSplitIsOneUndoStep();
    void deleteRecordsConfirmsAndUndoes();
    void deleteKeyOnList();
    void gridListToggle();
    void modelsStayConsistentThroughEdits();
    void problemsPanelListsAndJumps();
    void problemsRefreshAfterEditsAndSave();

private:
    // The panel's rows, in view order.
    QStringList shown() const;
    void selectRows(const QStringList &images);
    QRect rectOf(const QString &image) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<DatasetDocument> m_doc;
    std::unique_ptr<ThumbnailLoader> m_loader;
    std::unique_ptr<RecordListModel> m_model;
    std::unique_ptr<RecordListPanel> m_panel;
};

void TestBrowser::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    writeBrowserDataset(m_dir->path());
    auto opened = DatasetDocument::open(m_dir->path());
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().toString().c_str());
    m_doc = std::move(opened).value();
    m_loader = std::make_unique<ThumbnailLoader>(32);
    m_model = std::make_unique<RecordListModel>();
    m_model->setThumbnailLoader(m_loader.get());
    m_model->setDocument(m_doc.get());
    m_panel = std::make_unique<RecordListPanel>(m_model.get(), m_loader.get());
    m_panel->resize(360, 700);
}

void TestBrowser::cleanup()
{
    m_panel.reset();
    m_model.reset();
    m_loader.reset();
    m_doc.reset();
    m_dir.reset();
}

QStringList TestBrowser::shown() const
{
    QStringList list;
    for (int row = 0; row < m_panel->proxyModel()->rowCount(); ++row)
        list << m_panel->proxyModel()->index(row, 0).data(RecordListModel::ImageRole).toString();
    return list;
}

QRect TestBrowser::rectOf(const QString &image) const
{
    const QModelIndex source = m_model->index(m_model->rowOf(image));
    return m_panel->listView()->visualRect(m_panel->proxyModel()->mapFromSource(source));
}

void TestBrowser::selectRows(const QStringList &images)
{
    // Click the first, Ctrl+click the others: the extended selection a user makes.
    QWidget *viewport = m_panel->listView()->viewport();
    for (int i = 0; i < images.size(); ++i) {
        const QRect r = rectOf(images[i]);
        QVERIFY2(r.isValid() && viewport->rect().contains(r.center()), qPrintable(images[i]));
        QTest::mouseClick(viewport, Qt::LeftButton, i == 0 ? Qt::NoModifier : Qt::ControlModifier, r.center());
    }
    QCOMPARE(m_panel->selectedImages().size(), images.size());
}

void TestBrowser::modelRolesForProblems()
{
    const auto problems = [this](const QString &image) {
        return m_model->index(m_model->rowOf(image)).data(RecordListModel::ProblemCountRole).toInt();
    };
    QCOMPARE(problems(QStringLiteral("chest_a.png")), 0);
    QCOMPARE(problems(QStringLiteral("chest_b.png")), 1);  // invalid <OD>
    QCOMPARE(problems(QStringLiteral("ghost.png")), 1);    // missing image
    QCOMPARE(problems(QStringLiteral("orphan.png")), 1);   // image without record
    QCOMPARE(problems(QStringLiteral("zeta.png")), 0);
    // The per-image counts add up to the dataset check's image-bound problems.
    int sum = 0;
    for (const QString &image : kAll)
        sum += problems(image);
    QCOMPARE(sum, int(m_doc->problems().size()) - 1);  // minus the malformed line

    // Fixing the box text removes the problem; undo brings it back.
    const RecordId od = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<OD>")).first();
    m_doc->setCaption(od, QStringLiteral("effusion<loc_1><loc_2><loc_30><loc_40>"));
    QCOMPARE(problems(QStringLiteral("chest_b.png")), 0);
    m_doc->undoStack()->undo();
    QCOMPARE(problems(QStringLiteral("chest_b.png")), 1);
    QCOMPARE(m_model->index(m_model->rowOf(QStringLiteral("chest_b.png"))).data(RecordListModel::BoxCountRole).toInt(), 0);
}

void TestBrowser::filtersThroughWidgets_data()
{
    QTest::addColumn<QString>("split");
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<bool>("boxes");
    QTest::addColumn<bool>("problems");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("images");

    QTest::newRow("train") << "train" << "" << false << false << "" << QStringList{"chest_a.png", "chest_b.png"};
    QTest::newRow("val") << "val" << "" << false << false << "" << QStringList{"chest_b.png", "ghost.png"};
    QTest::newRow("test") << "test" << "" << false << false << "" << QStringList{"chest_c.dcm", "zeta.png"};
    QTest::newRow("no record") << "none" << "" << false << false << "" << QStringList{"orphan.png"};
    QTest::newRow("<OD>") << "" << "<OD>" << false << false << ""
                          << QStringList{"chest_a.png", "chest_b.png", "zeta.png"};
    QTest::newRow("<DETAILED_CAPTION>") << "" << "<DETAILED_CAPTION>" << false << false << ""
                                        << QStringList{"chest_a.png"};
    QTest::newRow("has boxes") << "" << "" << true << false << "" << QStringList{"chest_a.png", "zeta.png"};
    QTest::newRow("has problems") << "" << "" << false << true << ""
                                  << QStringList{"chest_b.png", "ghost.png", "orphan.png"};
    QTest::newRow("caption text, any case") << "" << "" << false << false << "CARDIO" << QStringList{"chest_c.dcm"};
    QTest::newRow("val with problems") << "val" << "" << false << true << "" << QStringList{"chest_b.png", "ghost.png"};
    QTest::newRow("test with boxes") << "test" << "" << true << false << "" << QStringList{"zeta.png"};
    QTest::newRow("val, problems, text") << "val" << "" << false << true << "missing" << QStringList{"ghost.png"};
    // Per image: chest_b has a train record, an <OD> record (in val) and a problem.
    QTest::newRow("train, <OD>, problems") << "train" << "<OD>" << false << true << "" << QStringList{"chest_b.png"};
    QTest::newRow("nothing") << "test" << "" << false << true << "" << QStringList{};
}

void TestBrowser::filtersThroughWidgets()
{
    QFETCH(QString, split);
    QFETCH(QString, prefix);
    QFETCH(bool, boxes);
    QFETCH(bool, problems);
    QFETCH(QString, text);
    QFETCH(QStringList, images);

    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QCOMPARE(shown(), kAll);
    auto *splitCombo = m_panel->findChild<QComboBox *>(QStringLiteral("splitFilterCombo"));
    auto *prefixCombo = m_panel->findChild<QComboBox *>(QStringLiteral("prefixFilterCombo"));
    auto *boxesCheck = m_panel->findChild<QCheckBox *>(QStringLiteral("boxesFilterCheck"));
    auto *problemsCheck = m_panel->findChild<QCheckBox *>(QStringLiteral("problemsFilterCheck"));
    auto *filter = m_panel->findChild<QLineEdit *>(QStringLiteral("recordFilter"));
    QVERIFY(splitCombo && prefixCombo && boxesCheck && problemsCheck && filter);

    if (!split.isEmpty()) {
        const int i = splitCombo->findData(split);
        QVERIFY(i > 0);
        splitCombo->setCurrentIndex(i);
    }
    if (!prefix.isEmpty()) {
        const int i = prefixCombo->findData(prefix);
        QVERIFY(i > 0);
        prefixCombo->setCurrentIndex(i);
    }
    if (boxes)
        QTest::mouseClick(boxesCheck, Qt::LeftButton, {}, QPoint(6, boxesCheck->height() / 2));
    if (problems)
        QTest::mouseClick(problemsCheck, Qt::LeftButton, {}, QPoint(6, problemsCheck->height() / 2));
    QCOMPARE(boxesCheck->isChecked(), boxes);
    QCOMPARE(problemsCheck->isChecked(), problems);
    if (!text.isEmpty())
        QTest::keyClicks(filter, text);
    QTRY_COMPARE(shown(), images);
    auto *count = m_panel->findChild<QLabel *>(QStringLiteral("recordCount"));
    QCOMPARE(count->text(), QStringLiteral("%1 of 6 images").arg(images.size()));
}

void TestBrowser::sortKeys_data()
{
    QTest::addColumn<int>("key");
    QTest::addColumn<QStringList>("order");
    QTest::newRow("name") << int(RecordFilterProxy::SortKey::Name) << kAll;
    QTest::newRow("split: train, val, test, none")
        << int(RecordFilterProxy::SortKey::Split)
        << QStringList{"chest_a.png", "chest_b.png", "ghost.png", "chest_c.dcm", "zeta.png", "orphan.png"};
    QTest::newRow("most boxes first")
        << int(RecordFilterProxy::SortKey::Boxes)
        << QStringList{"chest_a.png", "zeta.png", "chest_b.png", "chest_c.dcm", "ghost.png", "orphan.png"};
    QTest::newRow("most problems first")
        << int(RecordFilterProxy::SortKey::Problems)
        << QStringList{"chest_b.png", "ghost.png", "orphan.png", "chest_a.png", "chest_c.dcm", "zeta.png"};
}

void TestBrowser::sortKeys()
{
    QFETCH(int, key);
    QFETCH(QStringList, order);
    auto *sort = m_panel->findChild<QComboBox *>(QStringLiteral("sortCombo"));
    QVERIFY(sort);
    // Through another key first, so each row also checks switching between keys.
    sort->setCurrentIndex(sort->findData(int(RecordFilterProxy::SortKey::Problems)));
    sort->setCurrentIndex(sort->findData(int(RecordFilterProxy::SortKey::Boxes)));
    sort->setCurrentIndex(sort->findData(key));
    QCOMPARE(shown(), order);

    // The order holds through an edit: zeta gains two boxes and leads the box order.
    const RecordId od = m_doc->recordsFor(QStringLiteral("zeta.png"), QStringLiteral("<OD>")).first();
    m_doc->setCaption(od, QStringLiteral("a<loc_1><loc_2><loc_3><loc_4>b<loc_5><loc_6><loc_7><loc_8>c<loc_9><loc_10><loc_11><loc_12>"));
    if (key == int(RecordFilterProxy::SortKey::Boxes))
        QCOMPARE(shown().first(), QStringLiteral("zeta.png"));
    else
        QCOMPARE(shown(), order);
}

void TestBrowser::countLabel()
{
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    auto *count = m_panel->findChild<QLabel *>(QStringLiteral("recordCount"));
    QVERIFY(count);
    QCOMPARE(count->text(), QStringLiteral("6 images"));
    auto *splitCombo = m_panel->findChild<QComboBox *>(QStringLiteral("splitFilterCombo"));
    splitCombo->setCurrentIndex(splitCombo->findData(QStringLiteral("test")));
    QCOMPARE(count->text(), QStringLiteral("2 of 6 images"));
    selectRows({"chest_c.dcm", "zeta.png"});
    QCOMPARE(count->text(), QStringLiteral("2 of 6 images, 2 selected"));
    // A new record for a new image: the total follows.
    m_doc->addRecord(QStringLiteral("test.jsonl"), QStringLiteral("new.png"), QStringLiteral("<CAPTION>"),
                     QStringLiteral("New."));
    QCOMPARE(count->text(), QStringLiteral("3 of 7 images, 2 selected"));
    m_doc->undoStack()->undo();
    QCOMPARE(count->text(), QStringLiteral("2 of 6 images, 2 selected"));
    splitCombo->setCurrentIndex(0);
    QCOMPARE(count->text(), QStringLiteral("6 images, 2 selected"));
}

void TestBrowser::prefixComboFollowsRecords()
{
    auto *prefixCombo = m_panel->findChild<QComboBox *>(QStringLiteral("prefixFilterCombo"));
    QVERIFY(prefixCombo);
    QCOMPARE(prefixCombo->itemData(0).toString(), QString());
    for (const char *p : {"<CAPTION>", "<DETAILED_CAPTION>", "<OD>"})
        QVERIFY2(prefixCombo->findData(p) > 0, qPrintable(p));
    QCOMPARE(prefixCombo->findData(QStringLiteral("<VQA>")), -1);
    m_doc->addRecord(QStringLiteral("train.jsonl"), QStringLiteral("extra.png"), QStringLiteral("<VQA>"),
                     QStringLiteral("Is there an effusion?"));
    // Listed when the list opens (reading every record's prefix costs a pass over the data).
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QTest::mouseClick(prefixCombo, Qt::LeftButton);
    QVERIFY(prefixCombo->view()->isVisible());
    prefixCombo->hidePopup();
    QVERIFY(prefixCombo->findData(QStringLiteral("<VQA>")) > 0);
    prefixCombo->setCurrentIndex(prefixCombo->findData(QStringLiteral("<VQA>")));
    QCOMPARE(shown(), QStringList{"extra.png"});
}

void TestBrowser::selectImageClearsEveryFilter()
{
    auto *splitCombo = m_panel->findChild<QComboBox *>(QStringLiteral("splitFilterCombo"));
    auto *problemsCheck = m_panel->findChild<QCheckBox *>(QStringLiteral("problemsFilterCheck"));
    auto *filter = m_panel->findChild<QLineEdit *>(QStringLiteral("recordFilter"));
    splitCombo->setCurrentIndex(splitCombo->findData(QStringLiteral("val")));
    problemsCheck->setChecked(true);
    QTest::keyClicks(filter, QStringLiteral("ghost"));
    QTRY_COMPARE(shown(), QStringList{"ghost.png"});

    QVERIFY(m_panel->selectImage(QStringLiteral("ghost.png")));  // visible: filters stay
    QCOMPARE(shown(), QStringList{"ghost.png"});
    QSignalSpy current(m_panel.get(), &RecordListPanel::currentImageChanged);
    QVERIFY(m_panel->selectImage(QStringLiteral("zeta.png")));   // hidden: every filter cleared
    QCOMPARE(m_panel->currentImage(), QStringLiteral("zeta.png"));
    QCOMPARE(current.count(), 1);
    QCOMPARE(shown(), kAll);
    QCOMPARE(splitCombo->currentIndex(), 0);
    QVERIFY(!problemsCheck->isChecked());
    QVERIFY(filter->text().isEmpty());
    QVERIFY(!m_panel->proxyModel()->isFiltering());
    QVERIFY(!m_panel->selectImage(QStringLiteral("absent.png")));
}

void TestBrowser::moveSelectionToSplitIsOneUndoStep()
{
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QAbstractItemModelTester tester(m_panel->proxyModel(), kFatal);
    auto *moveVal = m_panel->findChild<QAction *>(QStringLiteral("actionMoveToVal"));
    auto *moveTest = m_panel->findChild<QAction *>(QStringLiteral("actionMoveToTest"));
    QVERIFY(moveVal && moveTest && m_panel->findChild<QAction *>(QStringLiteral("actionMoveToTrain")));
    QVERIFY(!moveVal->isEnabled());  // nothing selected
    QVERIFY(m_panel->listView()->actions().contains(moveVal));  // in the context menu

    // With the train filter on, the moved images leave the list.
    auto *splitCombo = m_panel->findChild<QComboBox *>(QStringLiteral("splitFilterCombo"));
    splitCombo->setCurrentIndex(splitCombo->findData(QStringLiteral("train")));
    QCOMPARE(shown(), (QStringList{"chest_a.png", "chest_b.png"}));
    selectRows({"chest_a.png", "chest_b.png"});
    QVERIFY(moveVal->isEnabled());
    const int steps = m_doc->undoStack()->count();
    const QByteArray detailedBefore = fmwtest::readBytes(m_dir->filePath(QStringLiteral("train_detailed_caption.jsonl")));

    moveVal->trigger();
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QCOMPARE(shown(), QStringList{});
    const auto splits = [this](const QString &image) {
        return m_model->index(m_model->rowOf(image)).data(RecordListModel::SplitsRole).toStringList();
    };
    QCOMPARE(splits(QStringLiteral("chest_a.png")), QStringList{"val"});
    QCOMPARE(splits(QStringLiteral("chest_b.png")), QStringList{"val"});
    // The variant file follows: train_detailed_caption -> val_detailed_caption.
    const RecordId detailed = m_doc->recordsFor(QStringLiteral("chest_a.png"), QStringLiteral("<DETAILED_CAPTION>")).first();
    QCOMPARE(m_doc->record(detailed).file, QStringLiteral("val_detailed_caption.jsonl"));

    m_doc->undoStack()->undo();
    QCOMPARE(shown(), (QStringList{"chest_a.png", "chest_b.png"}));
    QCOMPARE(splits(QStringLiteral("chest_a.png")), QStringList{"train"});
    QCOMPARE(splits(QStringLiteral("chest_b.png")), (QStringList{"train", "val"}));
    QVERIFY(m_doc->save().ok());
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(QStringLiteral("train_detailed_caption.jsonl"))), detailedBefore);

    // Records already in the target split are left alone; none to move: no undo step.
    splitCombo->setCurrentIndex(0);
    selectRows({"zeta.png"});
    const int before = m_doc->undoStack()->count();
    moveTest->trigger();
    QCOMPARE(m_doc->undoStack()->count(), before);
}

void TestBrowser::deleteRecordsConfirmsAndUndoes()
{
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QAbstractItemModelTester sourceTester(m_model.get(), kFatal);
    QAbstractItemModelTester proxyTester(m_panel->proxyModel(), kFatal);
    auto *button = m_panel->findChild<QToolButton *>(QStringLiteral("deleteRecordsButton"));
    QVERIFY(button);
    QVERIFY(!button->isEnabled());
    selectRows({"chest_c.dcm", "ghost.png"});
    QVERIFY(button->isEnabled());
    const int records = m_doc->recordCount();
    const int steps = m_doc->undoStack()->count();

    // Asked first: Cancel deletes nothing.
    {
        int asked = 0;
        QString question;
        QTimer::singleShot(0, this, [&] {
            for (QWidget *w : QApplication::topLevelWidgets()) {
                auto *box = qobject_cast<QMessageBox *>(w);
                if (box && box->objectName() == QLatin1String("deleteRecordsConfirm") && box->isVisible()) {
                    ++asked;
                    question = box->text();
                    box->button(QMessageBox::Cancel)->click();
                }
            }
        });
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(asked, 1);
        QCOMPARE(question, QStringLiteral("Delete 2 records of 2 images?"));
        QCOMPARE(m_doc->recordCount(), records);
        QCOMPARE(m_doc->undoStack()->count(), steps);
    }

    // Confirmed (the setter tests use): one undo step; ghost.png (not on disk) leaves the list,
    // chest_c.dcm stays as an image without records.
    m_panel->setConfirmDeletes(false);
    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(m_doc->recordCount(), records - 2);
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QCOMPARE(m_model->rowOf(QStringLiteral("ghost.png")), -1);
    QCOMPARE(m_model->index(m_model->rowOf(QStringLiteral("chest_c.dcm"))).data(RecordListModel::RecordCountRole).toInt(), 0);
    QVERIFY(QFile::exists(m_doc->absoluteImagePath(QStringLiteral("chest_c.dcm"))));
    QVERIFY(m_panel->listView()->currentIndex().isValid());

    const QByteArray test = fmwtest::readBytes(m_dir->filePath(QStringLiteral("test.jsonl")));
    const QByteArray val = fmwtest::readBytes(m_dir->filePath(QStringLiteral("val.jsonl")));
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->recordCount(), records);
    QCOMPARE(shown(), kAll);
    QVERIFY(m_doc->save().ok());
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(QStringLiteral("test.jsonl"))), test);
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(QStringLiteral("val.jsonl"))), val);
    m_doc->undoStack()->redo();
    QCOMPARE(m_doc->recordCount(), records - 2);
}

void TestBrowser::deleteKeyOnList()
{
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    m_panel->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_panel.get()));
    m_panel->setConfirmDeletes(false);
    selectRows({"zeta.png"});
    m_panel->listView()->setFocus();
    const int records = m_doc->recordCount();
    QTest::keyClick(m_panel->listView(), Qt::Key_Delete);
    QCOMPARE(m_doc->recordCount(), records - 1);
    QVERIFY(m_doc->recordsForImage(QStringLiteral("zeta.png")).isEmpty());
}

void TestBrowser::gridListToggle()
{
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    auto *toggle = m_panel->findChild<QToolButton *>(QStringLiteral("viewModeButton"));
    QVERIFY(toggle);
    QCOMPARE(m_panel->listView()->viewMode(), QListView::ListMode);
    QTest::mouseClick(toggle, Qt::LeftButton);
    QVERIFY(m_panel->isGridMode());
    QCOMPARE(m_panel->listView()->viewMode(), QListView::IconMode);
    QCOMPARE(m_panel->listView()->movement(), QListView::Static);
    // Several cells on one line, and every image visible in this tall panel.
    QCOMPARE(rectOf(QStringLiteral("chest_a.png")).top(), rectOf(QStringLiteral("chest_b.png")).top());
    QTRY_COMPARE(m_panel->visiblePaths().size(), 6);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->visibleThumbnailsDone(), 10000);
    selectRows({"zeta.png", "chest_a.png"});
    QTest::mouseClick(toggle, Qt::LeftButton);
    QCOMPARE(m_panel->listView()->viewMode(), QListView::ListMode);
    QVERIFY(rectOf(QStringLiteral("chest_b.png")).top() > rectOf(QStringLiteral("chest_a.png")).top());
    QCOMPARE(m_panel->selectedImages(), (QStringList{"chest_a.png", "zeta.png"}));
}

void TestBrowser::modelsStayConsistentThroughEdits()
{
    // Fatal: any inconsistency aborts the test binary.
    RecordListModel model;
    QAbstractItemModelTester sourceTester(&model, kFatal);
    model.setDocument(m_doc.get());
    RecordFilterProxy proxy;
    QAbstractItemModelTester proxyTester(&proxy, kFatal);
    proxy.setSourceModel(&model);
    ProblemsModel problems;
    QAbstractItemModelTester problemsTester(&problems, kFatal);
    problems.setDocument(m_doc.get());
    QCOMPARE(problems.rowCount(), 4);

    const auto edits = [this] {
        const RecordId caption = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();
        m_doc->setCaption(caption, QStringLiteral("Edited caption."));
        m_doc->addRecord(QStringLiteral("val.jsonl"), QStringLiteral("aaa_new.png"), QStringLiteral("<OD>"),
                         QStringLiteral("x<loc_1><loc_2><loc_3><loc_4>"));
        m_doc->removeRecord(m_doc->recordsFor(QStringLiteral("ghost.png"), QStringLiteral("<CAPTION>")).first());
        QVector<RecordId> ids = m_doc->recordsForImage(QStringLiteral("chest_a.png"));
        m_doc->setSplit(ids, Split::Test);
        m_doc->undoStack()->beginMacro(QStringLiteral("bulk"));
        for (RecordId id : m_doc->recordsForImage(QStringLiteral("zeta.png")))
            m_doc->removeRecord(id);
        m_doc->removeRecord(m_doc->recordsFor(QStringLiteral("chest_c.dcm"), QStringLiteral("<CAPTION>")).first());
        m_doc->undoStack()->endMacro();
    };

    const auto settle = [&] {
        QTRY_COMPARE(problems.rowCount(), int(m_doc->problems().size()));
    };
    // Unfiltered, then filtered and sorted, each through edits, undo and redo.
    edits();
    settle();
    while (m_doc->undoStack()->canUndo())
        m_doc->undoStack()->undo();
    settle();
    proxy.setSplitFilter(QStringLiteral("test"));
    proxy.setSortKey(RecordFilterProxy::SortKey::Boxes);
    proxy.setProblemsOnly(false);
    edits();
    QCOMPARE(proxy.rowCount(), 1);  // chest_a moved in; zeta and chest_c emptied out
    proxy.setProblemsOnly(true);
    proxy.setTextFilter(QStringLiteral("chest"));
    proxy.setSortKey(RecordFilterProxy::SortKey::Problems);
    settle();
    while (m_doc->undoStack()->canUndo())
        m_doc->undoStack()->undo();
    proxy.setSortKey(RecordFilterProxy::SortKey::Split);
    while (m_doc->undoStack()->canRedo())
        m_doc->undoStack()->redo();
    proxy.clearFilters();
    proxy.setSortKey(RecordFilterProxy::SortKey::Name);
    settle();
    QCOMPARE(proxy.rowCount(), model.rowCount());
    model.setDocument(nullptr);
    problems.setDocument(nullptr);
    QCOMPARE(proxy.rowCount(), 0);
    QCOMPARE(problems.rowCount(), 0);
}

void TestBrowser::problemsPanelListsAndJumps()
{
    ProblemsPanel panel;
    panel.resize(700, 300);
    panel.setDocument(m_doc.get());
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *table = panel.findChild<QTableView *>(QStringLiteral("problemsTable"));
    auto *summary = panel.findChild<QLabel *>(QStringLiteral("problemsSummary"));
    QVERIFY(table && summary);
    QCOMPARE(summary->text(), QStringLiteral("4 problems"));
    QCOMPARE(table->model()->rowCount(), 4);
    // kind, file:line, image, message per row, in the check's order.
    QStringList rows;
    for (int row = 0; row < table->model()->rowCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < 3; ++column)
            cells << table->model()->index(row, column).data().toString();
        rows << cells.join(QLatin1Char('|'));
    }
    QCOMPARE(rows, (QStringList{"malformed-line|test.jsonl:2|", "invalid-od|val.jsonl:1|chest_b.png",
                                "missing-image|val.jsonl:2|ghost.png", "image-without-record|images/orphan.png|orphan.png"}));
    QVERIFY(!table->model()->index(1, ProblemsModel::MessageColumn).data().toString().isEmpty());

    // The dock's wiring: a jump selects the image in the browser, even past its filters.
    connect(&panel, &ProblemsPanel::jumpToImage, m_panel.get(), &RecordListPanel::selectImage);
    auto *boxesCheck = m_panel->findChild<QCheckBox *>(QStringLiteral("boxesFilterCheck"));
    boxesCheck->setChecked(true);
    QSignalSpy image(&panel, &ProblemsPanel::jumpToImage);
    QSignalSpy record(&panel, &ProblemsPanel::jumpToRecord);
    QSignalSpy location(&panel, &ProblemsPanel::jumpToLocation);

    // Double-click the invalid-od row.
    const QRect r = table->visualRect(table->model()->index(1, ProblemsModel::MessageColumn));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, r.center());
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, r.center());
    QCOMPARE(image.count(), 1);
    QCOMPARE(image.first().at(0).toString(), QStringLiteral("chest_b.png"));
    QCOMPARE(record.count(), 1);
    QCOMPARE(record.first().at(0).value<RecordId>(),
             m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<OD>")).first());
    QCOMPARE(m_panel->currentImage(), QStringLiteral("chest_b.png"));
    QVERIFY(!boxesCheck->isChecked());

    // Enter on the missing-image row.
    table->setFocus();
    table->setCurrentIndex(table->model()->index(2, 0));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(image.count(), 2);
    QCOMPARE(image.last().at(0).toString(), QStringLiteral("ghost.png"));
    QCOMPARE(m_panel->currentImage(), QStringLiteral("ghost.png"));

    // A malformed line has no image: only its location.
    table->setCurrentIndex(table->model()->index(0, 0));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(image.count(), 2);
    QCOMPARE(location.last().at(0).toString(), QStringLiteral("test.jsonl"));
    QCOMPARE(location.last().at(1).toInt(), 2);

    // Hidden, the check waits; shown again, it catches up at once.
    panel.hide();
    const RecordId od = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<OD>")).first();
    m_doc->setCaption(od, QStringLiteral("effusion<loc_1><loc_2><loc_30><loc_40>"));
    QCoreApplication::processEvents();
    QVERIFY(panel.model()->isStale());
    QCOMPARE(panel.problemCount(), 4);
    panel.show();
    QCOMPARE(panel.problemCount(), 3);
    QCOMPARE(summary->text(), QStringLiteral("3 problems"));
}

void TestBrowser::problemsRefreshAfterEditsAndSave()
{
    ProblemsPanel panel;
    panel.setDocument(m_doc.get());
    QAbstractItemModelTester tester(panel.model(), kFatal);
    auto *summary = panel.findChild<QLabel *>(QStringLiteral("problemsSummary"));
    QCOMPARE(panel.problemCount(), 4);

    // Fix the invalid box text: one problem fewer once the edit is through; undo restores it.
    const RecordId od = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<OD>")).first();
    m_doc->setCaption(od, QStringLiteral("effusion<loc_1><loc_2><loc_30><loc_40>"));
    QTRY_COMPARE(panel.problemCount(), 3);
    QCOMPARE(summary->text(), QStringLiteral("3 problems"));
    m_doc->undoStack()->undo();
    QTRY_COMPARE(panel.problemCount(), 4);

    // Removing ghost's record: its missing-image problem goes. A bulk macro is one refresh.
    QSignalSpy refreshed(panel.model(), &ProblemsModel::refreshed);
    m_doc->undoStack()->beginMacro(QStringLiteral("bulk"));
    m_doc->removeRecord(m_doc->recordsFor(QStringLiteral("ghost.png"), QStringLiteral("<CAPTION>")).first());
    m_doc->setCaption(od, QStringLiteral("effusion<loc_1><loc_2><loc_30><loc_40>"));
    m_doc->undoStack()->endMacro();
    QTRY_COMPARE(panel.problemCount(), 2);
    QCOMPARE(refreshed.count(), 1);

    // After a save, lines are renumbered: val.jsonl lost its first two lines' problems; the
    // table still matches the check.
    QVERIFY(m_doc->save().ok());
    QTRY_COMPARE(refreshed.count(), 2);
    QCOMPARE(panel.problemCount(), int(m_doc->problems().size()));
    panel.setDocument(nullptr);
    QCOMPARE(panel.problemCount(), 0);
    QCOMPARE(summary->text(), QStringLiteral("No dataset open"));
}

QTEST_MAIN(TestBrowser)
#include "tst_browser.moc"

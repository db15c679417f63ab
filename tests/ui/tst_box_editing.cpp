// Box editing in the viewer: ImageView gestures through BoxEditController into
// DatasetDocument box edits (exact <OD> text after every gesture, one undo step per drag),
// the BoxListPanel (selection sync, relabel combo, live <loc_N> preview), BoxLabels memory,
// keyboard (B, Esc, Del, arrows, Tab, Ctrl+D), clamping, a new <OD> record, and the saved file.

#include "ui_test_data.h"

#include "annotation/loc_codec.h"
#include "dataset/dataset_document.h"
#include "imaging/image_loader.h"
#include "ui/box_edit_controller.h"
#include "ui/box_labels.h"
#include "ui/box_list_panel.h"
#include "ui/image_view.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::DatasetDocument;
using fmw::ui::BoxEditController;
using fmw::ui::BoxLabels;
using fmw::ui::BoxListPanel;
using fmw::ui::ImageView;
using Handle = fmw::ui::ImageView::Handle;

namespace {

struct ExpectedBox {
    QString label;
    int x1, y1, x2, y2;
};

// The expected <OD> text, spelled out here rather than with loc::formatOd.
QString od(const QList<ExpectedBox> &boxes)
{
    QString s;
    for (const ExpectedBox &b : boxes)
        s += QStringLiteral("%1<loc_%2><loc_%3><loc_%4><loc_%5>").arg(b.label).arg(b.x1).arg(b.y1).arg(b.x2).arg(b.y2);
    return s;
}

const ExpectedBox kNodule{QStringLiteral("nodule"), 100, 200, 300, 400};
const ExpectedBox kEffusion{QStringLiteral("pleural effusion"), 500, 600, 900, 950};
const QByteArray kOriginalOd = "nodule<loc_100><loc_200><loc_300><loc_400>pleural effusion<loc_500><loc_600><loc_900><loc_950>";

void sendMouse(QWidget *w, QEvent::Type type, const QPointF &pos, Qt::MouseButton button,
               Qt::MouseButtons buttons, Qt::KeyboardModifiers mods = Qt::NoModifier)
{
    QMouseEvent event(type, pos, w->mapToGlobal(pos), button, buttons, mods);
    QCoreApplication::sendEvent(w, &event);
}

// Press, three moves with the button held (QTest::mouseMove carries no buttons), release.
void drag(QWidget *w, const QPointF &from, const QPointF &to, Qt::MouseButton button = Qt::LeftButton)
{
    sendMouse(w, QEvent::MouseButtonPress, from, button, button);
    sendMouse(w, QEvent::MouseMove, from + (to - from) / 3, Qt::NoButton, button);
    sendMouse(w, QEvent::MouseMove, from + (to - from) * 2 / 3, Qt::NoButton, button);
    sendMouse(w, QEvent::MouseMove, to, Qt::NoButton, button);
    sendMouse(w, QEvent::MouseButtonRelease, to, button, Qt::NoButton);
}

void click(QWidget *w, const QPointF &at)
{
    sendMouse(w, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::LeftButton);
    sendMouse(w, QEvent::MouseButtonRelease, at, Qt::LeftButton, Qt::NoButton);
}

} // namespace

class TestBoxEditing : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void drawBoxAddsExactText();
    void tinyDragDrawsNothing();
    void drawClampsToImage();
    void escLeavesDrawMode();
    void clickSelectsAndSyncsList();
    void moveByDragIsOneUndoStep();
    void moveClampsToImage();
    void resizeByHandle();
    void resizeClampsToImage();
    void deleteKeyDeletes();
    void arrowsNudge();
    void nudgeMovesAtLeastOneBinOnLargeImages();
    void tabCyclesBoxes();
    void ctrlDDuplicates();
    void relabelViaCombo();
    void customLabelIsRemembered();
    void drawOnImageWithoutOdAddsRecordAndSaves();
    void saveWritesExactJsonl();
    void panAndWindowStillWork();
    void predictedBoxesAreNotEditable();
    void fileForNewRecord();
    void invalidOdTextIsReadOnly();

private:
    void showImage(const QString &name, const QSize &size);
    QString suffix() const;
    QPointF screen(double x, double y) const { return m_view->mapFromImage(QPointF(x, y)); }

    QTemporaryDir m_settingsDir;
    std::unique_ptr<QTemporaryDir> m_data;
    std::unique_ptr<DatasetDocument> m_doc;
    std::unique_ptr<QWidget> m_window;
    ImageView *m_view = nullptr;
    BoxEditController *m_controller = nullptr;
    BoxListPanel *m_panel = nullptr;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestBoxEditing::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_box_editing"));
}

void TestBoxEditing::init()
{
    QSettings().clear();
    m_data = std::make_unique<QTemporaryDir>();
    QVERIFY(m_data->isValid());
    fmwtest::UiDataset::write(m_data->path());
    auto opened = DatasetDocument::open(m_data->path());
    QVERIFY(opened.ok());
    m_doc = std::move(opened).value();

    m_window = std::make_unique<QWidget>();
    m_window->resize(1000, 500);
    m_view = new ImageView(m_window.get());
    m_view->setGeometry(0, 0, 640, 480);
    m_controller = new BoxEditController(m_view, m_window.get());
    m_panel = new BoxListPanel(m_controller, m_window.get());
    m_panel->setGeometry(650, 0, 340, 480);
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_panel->list()->model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));

    m_controller->setDocument(m_doc.get());
    showImage(QStringLiteral("chest_a.png"), QSize(64, 48));  // zoom 9.8 in 640x480
    m_view->setFocus();
    QTRY_VERIFY(m_view->hasFocus());
}

void TestBoxEditing::cleanup()
{
    m_tester.reset();
    m_window.reset();
    m_view = nullptr;
    m_controller = nullptr;
    m_panel = nullptr;
    m_doc.reset();
    m_data.reset();
}

void TestBoxEditing::showImage(const QString &name, const QSize &size)
{
    auto decoded = fmw::imaging::loadImage(m_doc->absoluteImagePath(name));
    QVERIFY(decoded.ok());
    m_view->setImage(std::make_shared<const fmw::imaging::DecodedImage>(std::move(decoded).value()), name);
    m_controller->setImage(name, size);
}

QString TestBoxEditing::suffix() const
{
    return m_controller->record() ? m_doc->record(m_controller->record()).suffix : QString();
}

void TestBoxEditing::drawBoxAddsExactText()
{
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    QCOMPARE(m_view->boxes().size(), 2);
    QVERIFY(m_view->isEditable());
    QVERIFY(!m_view->isDrawMode());
    QTest::keyClick(m_view, Qt::Key_B);
    QVERIFY(m_view->isDrawMode());
    QVERIFY(m_controller->drawAction()->isChecked());

    // Image (40.3, 5.3) -> (50.7, 12.7) on a 64x48 image: bins 629, 110, 792, 264.
    const QPointF from = screen(40.3, 5.3), to = screen(50.7, 12.7);
    const int steps = m_doc->undoStack()->count();
    auto *preview = m_panel->findChild<QLineEdit *>(QStringLiteral("boxLocPreview"));
    QVERIFY(preview);
    sendMouse(m_view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseMove, (from + to) / 2, Qt::NoButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    const QString expected = od({kNodule, kEffusion, {QStringLiteral("nodule"), 629, 110, 792, 264}});
    // The preview shows the box being drawn before it exists.
    QCOMPARE(preview->text(), expected);
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    sendMouse(m_view, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);

    QCOMPARE(suffix(), expected);
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QCOMPARE(m_view->selectedBox(), 2);
    QCOMPARE(m_panel->list()->topLevelItemCount(), 3);
    QCOMPARE(preview->text(), expected);
    // The preview round-trips through the codec.
    const auto parsed = fmw::loc::parseOd(preview->text().toStdString());
    QVERIFY(parsed.ok());
    QCOMPARE(QString::fromStdString(fmw::loc::formatOd(*parsed)), expected);
    QVERIFY(m_view->isDrawMode());  // stays on for the next box

    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    QCOMPARE(m_view->boxes().size(), 2);
    QCOMPARE(m_panel->list()->topLevelItemCount(), 2);
    QCOMPARE(m_view->selectedBox(), -1);
    m_doc->undoStack()->redo();
    QCOMPARE(suffix(), expected);
    QCOMPARE(preview->text(), expected);
}

void TestBoxEditing::tinyDragDrawsNothing()
{
    m_view->setDrawMode(true);
    const int steps = m_doc->undoStack()->count();
    drag(m_view, screen(30.3, 20.3), screen(30.3, 20.3) + QPointF(2, 2));
    // Wide but only 2 px high on screen: also a slip.
    drag(m_view, screen(30.3, 20.3), screen(30.3, 20.3) + QPointF(40, 2));
    QCOMPARE(m_doc->undoStack()->count(), steps);
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
}

void TestBoxEditing::drawClampsToImage()
{
    m_view->setDrawMode(true);
    // From image (60.5, 44.5) to far outside the bottom-right corner.
    drag(m_view, screen(60.5, 44.5), screen(60.5, 44.5) + QPointF(300, 300));
    QCOMPARE(suffix(), od({kNodule, kEffusion, {QStringLiteral("nodule"), 945, 927, 999, 999}}));
}

void TestBoxEditing::escLeavesDrawMode()
{
    QTest::keyClick(m_view, Qt::Key_B);
    QVERIFY(m_view->isDrawMode());
    // Esc during a draw drag cancels the box, a second Esc leaves draw mode.
    const QPointF from = screen(40.3, 5.3);
    sendMouse(m_view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseMove, from + QPointF(50, 50), Qt::NoButton, Qt::LeftButton);
    QTest::keyClick(m_view, Qt::Key_Escape);
    sendMouse(m_view, QEvent::MouseButtonRelease, from + QPointF(50, 50), Qt::LeftButton, Qt::NoButton);
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    QVERIFY(m_view->isDrawMode());
    QTest::keyClick(m_view, Qt::Key_Escape);
    QVERIFY(!m_view->isDrawMode());
    QVERIFY(!m_controller->drawAction()->isChecked());
    m_controller->drawAction()->trigger();
    QVERIFY(m_view->isDrawMode());
}

void TestBoxEditing::clickSelectsAndSyncsList()
{
    QSignalSpy selected(m_controller, &BoxEditController::selectionChanged);
    click(m_view, m_view->mapFromImage(m_controller->boxRect(1).center()));
    QCOMPARE(m_view->selectedBox(), 1);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(m_panel->list()->currentItem(), m_panel->list()->topLevelItem(1));
    QVERIFY(m_panel->list()->topLevelItem(1)->isSelected());
    QCOMPARE(m_panel->labelCombo()->currentText(), QStringLiteral("pleural effusion"));
    QVERIFY(m_controller->deleteAction()->isEnabled());

    // Selecting in the list selects in the view.
    const QRect row = m_panel->list()->visualItemRect(m_panel->list()->topLevelItem(0));
    QTest::mouseClick(m_panel->list()->viewport(), Qt::LeftButton, {}, row.center());
    QCOMPARE(m_view->selectedBox(), 0);
    QCOMPARE(m_panel->labelCombo()->currentText(), QStringLiteral("nodule"));
    QCOMPARE(m_panel->list()->topLevelItem(0)->text(1), QStringLiteral("6, 10 – 19, 19  (13 × 10)"));

    // A click on empty image deselects; the document is untouched.
    click(m_view, screen(2.3, 40.3));
    QCOMPARE(m_view->selectedBox(), -1);
    QVERIFY(m_panel->list()->selectedItems().isEmpty());
    QVERIFY(!m_controller->deleteAction()->isEnabled());
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
}

void TestBoxEditing::moveByDragIsOneUndoStep()
{
    const QPointF centre = m_view->mapFromImage(m_controller->boxRect(0).center());
    click(m_view, centre);
    QCOMPARE(m_view->selectedBox(), 0);
    const int steps = m_doc->undoStack()->count();
    auto *preview = m_panel->preview();

    // Image delta (+3, +2) = screen (29.4, 19.6): x1 = floor((6.432 + 3) / 0.064) = 147,
    // y1 = floor((9.624 + 2) / 0.048) = 242; the size in bins is kept.
    const QPointF to = centre + QPointF(29.4, 19.6);
    sendMouse(m_view, QEvent::MouseButtonPress, centre, Qt::LeftButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseMove, centre + QPointF(10, 3), Qt::NoButton, Qt::LeftButton);
    const QString halfway = preview->text();
    QVERIFY(halfway != QString::fromLatin1(kOriginalOd));  // live during the drag
    QCOMPARE(halfway, suffix());
    sendMouse(m_view, QEvent::MouseMove, (centre + to) / 2, Qt::NoButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
    const QString moved = od({{QStringLiteral("nodule"), 147, 242, 347, 442}, kEffusion});
    QCOMPARE(suffix(), moved);
    QCOMPARE(preview->text(), moved);
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QCOMPARE(m_view->selectedBox(), 0);

    // A second drag is its own step.
    const QPointF centre2 = m_view->mapFromImage(m_controller->boxRect(0).center());
    drag(m_view, centre2, centre2 + QPointF(-9.8, 0));  // -1 image px: 147 -> 131
    const QString movedAgain = od({{QStringLiteral("nodule"), 131, 242, 331, 442}, kEffusion});
    QCOMPARE(suffix(), movedAgain);
    QCOMPARE(m_doc->undoStack()->count(), steps + 2);

    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), moved);
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    QCOMPARE(preview->text(), QString::fromLatin1(kOriginalOd));
    QCOMPARE(m_view->boxes().at(0).rect, m_controller->boxRect(0));
    m_doc->undoStack()->redo();
    QCOMPARE(suffix(), moved);
}

void TestBoxEditing::moveClampsToImage()
{
    const QPointF centre = m_view->mapFromImage(m_controller->boxRect(1).center());
    click(m_view, centre);
    QCOMPARE(m_view->selectedBox(), 1);
    drag(m_view, centre, centre + QPointF(300, 300));
    // Pushed against the bottom-right corner, 400 x 350 bins kept.
    QCOMPARE(suffix(), od({kNodule, {QStringLiteral("pleural effusion"), 599, 649, 999, 999}}));
    const QPointF again = m_view->mapFromImage(m_controller->boxRect(1).center());
    drag(m_view, again, again - QPointF(900, 900));
    QCOMPARE(suffix(), od({kNodule, {QStringLiteral("pleural effusion"), 0, 0, 400, 350}}));
}

void TestBoxEditing::resizeByHandle()
{
    m_view->setSelectedBox(0);
    const int steps = m_doc->undoStack()->count();
    // Bottom-right by image (+2, +1): x2 = floor(21.232 / 0.064) = 331, y2 = floor(20.224 / 0.048) = 421.
    const QPointF handle = m_view->handlePosition(0, Handle::BottomRight);
    drag(m_view, handle, handle + QPointF(19.6, 9.8));
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 100, 200, 331, 421}, kEffusion}));
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    // The left edge by -1 image px: floor(5.4322 / 0.064) = 84; the other edges stay.
    const QPointF left = m_view->handlePosition(0, Handle::Left);
    drag(m_view, left, left + QPointF(-9.8, 30));
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 84, 200, 331, 421}, kEffusion}));
    QCOMPARE(m_doc->undoStack()->count(), steps + 2);
    m_doc->undoStack()->undo();
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
}

void TestBoxEditing::resizeClampsToImage()
{
    m_view->setSelectedBox(1);
    const QPointF handle = m_view->handlePosition(1, Handle::BottomRight);
    drag(m_view, handle, handle + QPointF(400, 400));
    QCOMPARE(suffix(), od({kNodule, {QStringLiteral("pleural effusion"), 500, 600, 999, 999}}));
    // The top-left handle dragged out of the image stops at the image corner.
    m_view->setSelectedBox(0);
    const QPointF tl = m_view->handlePosition(0, Handle::TopLeft);
    drag(m_view, tl, tl + QPointF(-400, -400));
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 0, 300, 400}, {QStringLiteral("pleural effusion"), 500, 600, 999, 999}}));
}

void TestBoxEditing::deleteKeyDeletes()
{
    QTest::keyClick(m_view, Qt::Key_Delete);  // nothing selected: nothing happens
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    m_view->setSelectedBox(0);
    QTest::keyClick(m_view, Qt::Key_Delete);
    QCOMPARE(suffix(), od({kEffusion}));
    QCOMPARE(m_view->selectedBox(), -1);
    QCOMPARE(m_panel->list()->topLevelItemCount(), 1);
    m_view->setSelectedBox(0);
    QTest::keyClick(m_view, Qt::Key_Backspace);
    QCOMPARE(suffix(), QString());
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), od({kEffusion}));
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
    // The action does the same.
    m_view->setSelectedBox(1);
    m_controller->deleteAction()->trigger();
    QCOMPARE(suffix(), od({kNodule}));
}

void TestBoxEditing::arrowsNudge()
{
    m_view->setSelectedBox(0);
    const int steps = m_doc->undoStack()->count();
    // +1 image px: floor(7.432 / 0.064) = 116.
    QTest::keyClick(m_view, Qt::Key_Right);
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 116, 200, 316, 400}, kEffusion}));
    // Shift: 10 px down: floor(19.624 / 0.048) = 408.
    QTest::keyClick(m_view, Qt::Key_Down, Qt::ShiftModifier);
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 116, 408, 316, 608}, kEffusion}));
    QCOMPARE(m_doc->undoStack()->count(), steps + 2);
    // Against the left edge it stops.
    QTest::keyClick(m_view, Qt::Key_Left, Qt::ShiftModifier);
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 408, 200, 608}, kEffusion}));
    QTest::keyClick(m_view, Qt::Key_Left, Qt::ShiftModifier);
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 408, 200, 608}, kEffusion}));
    QCOMPARE(m_doc->undoStack()->count(), steps + 3);
    // A held key (auto-repeat) is one undo step.
    QTest::keyPress(m_view, Qt::Key_Up);
    for (int i = 0; i < 3; ++i) {
        QKeyEvent repeat(QEvent::KeyPress, Qt::Key_Up, Qt::NoModifier, QString(), true);
        QCoreApplication::sendEvent(m_view, &repeat);
    }
    QTest::keyRelease(m_view, Qt::Key_Up);
    // Each 1 px step from bin b: floor(b + 0.5 - 1 / 0.048) = b - 21; four steps from 408.
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 324, 200, 524}, kEffusion}));
    QCOMPARE(m_doc->undoStack()->count(), steps + 4);
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 408, 200, 608}, kEffusion}));
    // Without a selection the arrows are not taken.
    m_view->setSelectedBox(-1);
    QTest::keyClick(m_view, Qt::Key_Right);
    QCOMPARE(suffix(), od({{QStringLiteral("nodule"), 0, 408, 200, 608}, kEffusion}));
}

void TestBoxEditing::nudgeMovesAtLeastOneBinOnLargeImages()
{
    // 2100 px wide: a bin is 2.1 px, so 1 px alone may stay in the same bin.
    fmwtest::writeGray16Png(m_doc->absoluteImagePath(QStringLiteral("wide.png")), 2100, 1000, 4);
    m_doc->addRecord(QStringLiteral("val.jsonl"), QStringLiteral("wide.png"), QStringLiteral("<OD>"),
                     QStringLiteral("mass<loc_100><loc_100><loc_200><loc_200>"));
    showImage(QStringLiteral("wide.png"), QSize(2100, 1000));
    m_view->setSelectedBox(0);
    QTest::keyClick(m_view, Qt::Key_Right);  // floor(100.5 + 1 / 2.1) = 100: one bin instead
    QCOMPARE(suffix(), QStringLiteral("mass<loc_101><loc_100><loc_201><loc_200>"));
    QTest::keyClick(m_view, Qt::Key_Right, Qt::ShiftModifier);  // floor(101.5 + 10 / 2.1) = 106
    QCOMPARE(suffix(), QStringLiteral("mass<loc_106><loc_100><loc_206><loc_200>"));
    QTest::keyClick(m_view, Qt::Key_Down);  // 1 px = 1 bin exactly on 1000 px: 101
    QCOMPARE(suffix(), QStringLiteral("mass<loc_106><loc_101><loc_206><loc_201>"));
}

void TestBoxEditing::tabCyclesBoxes()
{
    QCOMPARE(m_view->selectedBox(), -1);
    QTest::keyClick(m_view, Qt::Key_Tab);
    QCOMPARE(m_view->selectedBox(), 0);
    QVERIFY(m_view->hasFocus());  // Tab did not move the focus
    QTest::keyClick(m_view, Qt::Key_Tab);
    QCOMPARE(m_view->selectedBox(), 1);
    QCOMPARE(m_panel->list()->currentItem(), m_panel->list()->topLevelItem(1));
    QTest::keyClick(m_view, Qt::Key_Tab);
    QCOMPARE(m_view->selectedBox(), 0);
    QTest::keyClick(m_view, Qt::Key_Backtab, Qt::ShiftModifier);
    QCOMPARE(m_view->selectedBox(), 1);
    QTest::keyClick(m_view, Qt::Key_Backtab, Qt::ShiftModifier);
    QCOMPARE(m_view->selectedBox(), 0);
    QVERIFY(m_view->hasFocus());
    m_controller->previousBoxAction()->trigger();
    QCOMPARE(m_view->selectedBox(), 1);
}

void TestBoxEditing::ctrlDDuplicates()
{
    m_view->setSelectedBox(0);
    QTest::keyClick(m_view, Qt::Key_D, Qt::ControlModifier);
    const ExpectedBox copy{QStringLiteral("nodule"), 120, 220, 320, 420};
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy}));
    QCOMPARE(m_view->selectedBox(), 2);
    m_view->setSelectedBox(1);
    QTest::keyClick(m_view, Qt::Key_D, Qt::ControlModifier);
    const ExpectedBox copy1{QStringLiteral("pleural effusion"), 520, 620, 920, 970};
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy, copy1}));
    QCOMPARE(m_view->selectedBox(), 3);
    QTest::keyClick(m_view, Qt::Key_D, Qt::ControlModifier);  // duplicates the new selection
    const ExpectedBox copy2{QStringLiteral("pleural effusion"), 540, 640, 940, 990};
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy, copy1, copy2}));
    // Near the bottom edge (y2 990) the copy goes up instead, staying inside the image.
    QTest::keyClick(m_view, Qt::Key_D, Qt::ControlModifier);
    const ExpectedBox copy3{QStringLiteral("pleural effusion"), 560, 620, 960, 970};
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy, copy1, copy2, copy3}));
    QCOMPARE(m_view->selectedBox(), 5);
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy, copy1, copy2}));
    m_controller->duplicateAction()->trigger();  // nothing selected after the undo
    QCOMPARE(suffix(), od({kNodule, kEffusion, copy, copy1, copy2}));
}

void TestBoxEditing::relabelViaCombo()
{
    m_view->setSelectedBox(1);
    QComboBox *combo = m_panel->labelCombo();
    QCOMPARE(combo->currentText(), QStringLiteral("pleural effusion"));
    const int pneumothorax = combo->findText(QStringLiteral("pneumothorax"));
    QVERIFY(pneumothorax >= 0);
    // Pick from the popup list with the keyboard, as a user would.
    combo->setFocus();
    combo->showPopup();
    QAbstractItemView *popup = combo->view();
    QTRY_VERIFY(popup->isVisible());
    popup->setCurrentIndex(popup->model()->index(pneumothorax, 0));
    QTest::keyClick(popup, Qt::Key_Return);
    const QString relabelled = od({kNodule, {QStringLiteral("pneumothorax"), 500, 600, 900, 950}});
    QCOMPARE(suffix(), relabelled);
    QCOMPARE(m_panel->list()->topLevelItem(1)->text(0), QStringLiteral("pneumothorax"));
    QCOMPARE(m_panel->preview()->text(), relabelled);
    QCOMPARE(m_view->boxes().at(1).label, QStringLiteral("pneumothorax"));
    // The last used label labels the next box drawn.
    QCOMPARE(m_controller->newBoxLabel(), QStringLiteral("pneumothorax"));
    m_view->setDrawMode(true);
    drag(m_view, screen(40.3, 5.3), screen(50.7, 12.7));
    QCOMPARE(suffix(), od({kNodule, {QStringLiteral("pneumothorax"), 500, 600, 900, 950},
                           {QStringLiteral("pneumothorax"), 629, 110, 792, 264}}));
    m_doc->undoStack()->undo();
    m_doc->undoStack()->undo();
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
}

void TestBoxEditing::customLabelIsRemembered()
{
    m_view->setSelectedBox(0);
    QComboBox *combo = m_panel->labelCombo();
    combo->lineEdit()->selectAll();
    QTest::keyClicks(combo->lineEdit(), QStringLiteral("port <catheter>"));
    QTest::keyClick(combo->lineEdit(), Qt::Key_Return);
    QCOMPARE(suffix(), od({{QStringLiteral("port catheter"), 100, 200, 300, 400}, kEffusion}));
    QVERIFY(combo->findText(QStringLiteral("port catheter")) >= 0);
    QCOMPARE(m_controller->labels()->userLabels(), QStringList{QStringLiteral("port catheter")});
    // Remembered across sessions, with the last used label.
    BoxLabels again;
    QCOMPARE(again.userLabels(), QStringList{QStringLiteral("port catheter")});
    QCOMPARE(again.lastUsed(), QStringLiteral("port catheter"));
    QCOMPARE(again.labels().first(), QStringLiteral("nodule"));
    QVERIFY(again.labels().contains(QStringLiteral("central venous catheter")));
    // A common finding is not stored as the user's own.
    again.remember(QStringLiteral("  mass "));
    QCOMPARE(again.userLabels(), QStringList{QStringLiteral("port catheter")});
}

void TestBoxEditing::drawOnImageWithoutOdAddsRecordAndSaves()
{
    showImage(QStringLiteral("chest_b.png"), QSize(40, 40));
    QCOMPARE(m_controller->record(), fmw::RecordId(0));
    QVERIFY(m_view->boxes().isEmpty());
    QVERIFY(m_view->isEditable());
    const int records = m_doc->recordCount();
    const int steps = m_doc->undoStack()->count();
    m_view->setDrawMode(true);
    // 40x40: bin 0.04 px; (10.3, 10.3)-(20.7, 30.7) -> 257, 257, 517, 767.
    drag(m_view, screen(10.3, 10.3), screen(20.7, 30.7));
    QVERIFY(m_controller->record() != 0);
    QCOMPARE(m_doc->recordCount(), records + 1);
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);  // record and box in one step
    const fmw::DatasetRecord &rec = m_doc->record(m_controller->record());
    QCOMPARE(rec.file, QStringLiteral("train.jsonl"));
    QCOMPARE(rec.prefix, QStringLiteral("<OD>"));
    QCOMPARE(rec.suffix, QStringLiteral("nodule<loc_257><loc_257><loc_517><loc_767>"));
    QCOMPARE(m_view->boxes().size(), 1);
    QCOMPARE(m_view->selectedBox(), 0);

    m_doc->undoStack()->undo();
    QCOMPARE(m_controller->record(), fmw::RecordId(0));
    QCOMPARE(m_doc->recordCount(), records);
    QVERIFY(m_view->boxes().isEmpty());
    m_doc->undoStack()->redo();
    QVERIFY(m_controller->record() != 0);

    QVERIFY(m_doc->save().ok());
    QCOMPARE(fmwtest::readBytes(m_data->filePath(QStringLiteral("train.jsonl"))),
             fmwtest::UiDataset::trainJsonl()
                 + "{\"image\": \"chest_b.png\", \"prefix\": \"<OD>\", \"suffix\": \"nodule<loc_257><loc_257><loc_517><loc_767>\"}\n");
}

void TestBoxEditing::saveWritesExactJsonl()
{
    m_view->setSelectedBox(0);
    QTest::keyClick(m_view, Qt::Key_Right);
    QVERIFY(m_doc->save().ok());
    QByteArray expected = fmwtest::UiDataset::trainJsonl();
    expected.replace(kOriginalOd, "nodule<loc_116><loc_200><loc_316><loc_400>pleural effusion<loc_500><loc_600><loc_900><loc_950>");
    QCOMPARE(fmwtest::readBytes(m_data->filePath(QStringLiteral("train.jsonl"))), expected);
    // Undo back to the loaded text and save: byte-identical to the original file.
    m_doc->undoStack()->undo();
    QVERIFY(m_doc->save().ok());
    QCOMPARE(fmwtest::readBytes(m_data->filePath(QStringLiteral("train.jsonl"))), fmwtest::UiDataset::trainJsonl());
    QCOMPARE(fmwtest::readBytes(m_data->filePath(QStringLiteral("train_detailed_caption.jsonl"))),
             fmwtest::UiDataset::detailedJsonl());
}

void TestBoxEditing::panAndWindowStillWork()
{
    // Left drag on empty image pans (and keeps the selection), middle drag pans over a box.
    m_view->setSelectedBox(1);
    const QPointF origin = m_view->mapFromImage(QPointF(0, 0));
    drag(m_view, screen(2.3, 40.3), screen(2.3, 40.3) + QPointF(30, -40));
    QCOMPARE(m_view->mapFromImage(QPointF(0, 0)) - origin, QPointF(30, -40));
    QCOMPARE(m_view->selectedBox(), 1);
    const QPointF box = m_view->mapFromImage(m_controller->boxRect(1).center());
    drag(m_view, box, box + QPointF(-20, 10), Qt::MiddleButton);
    QCOMPARE(m_view->mapFromImage(QPointF(0, 0)) - origin, QPointF(10, -30));
    // A left drag over an unselected box selects it and pans; it does not move it.
    const QPointF nodule = m_view->mapFromImage(m_controller->boxRect(0).center());
    drag(m_view, nodule, nodule + QPointF(15, 15));
    QCOMPARE(m_view->selectedBox(), 0);
    QCOMPARE(m_view->mapFromImage(QPointF(0, 0)) - origin, QPointF(25, -15));
    // Right drag: window/level.
    drag(m_view, box, box + QPointF(-60, 20), Qt::RightButton);
    QVERIFY(m_view->hasWindowOverride());
    QCOMPARE(suffix(), QString::fromLatin1(kOriginalOd));
}

void TestBoxEditing::predictedBoxesAreNotEditable()
{
    const QRectF predicted(QPointF(24.5, 30.5), QPointF(30.5, 44.5));
    m_view->setPredictedBoxes({{QStringLiteral("mass"), predicted, false}});
    QCOMPARE(m_view->predictedBoxes().size(), 1);
    click(m_view, m_view->mapFromImage(predicted.center()));
    QCOMPARE(m_view->selectedBox(), -1);
    QTest::keyClick(m_view, Qt::Key_Tab);
    QCOMPARE(m_view->selectedBox(), 0);  // Tab cycles the document's boxes only
    // The left edge is dashed in the prediction colour: some rows hit it, some fall in gaps.
    const QImage shot = m_view->grab().toImage();
    const qreal dpr = shot.devicePixelRatio();
    const QPointF top = m_view->mapFromImage(predicted.topLeft());
    const QPointF bottom = m_view->mapFromImage(predicted.bottomLeft());
    int rows = 0, hits = 0;
    for (double y = top.y() + 4; y < bottom.y() - 4; y += 1.0, ++rows) {
        bool hit = false;
        for (double dx : {-1.0, 0.0, 1.0}) {
            const QColor c = shot.pixelColor((QPointF(top.x() + dx, y) * dpr).toPoint());
            hit = hit || (c.red() > 150 && c.blue() > 120 && c.green() < 120);
        }
        hits += hit ? 1 : 0;
    }
    QVERIFY2(hits > rows / 4 && hits < rows, qPrintable(QStringLiteral("%1 of %2").arg(hits).arg(rows)));
    m_view->clearImage();
    QVERIFY(m_view->predictedBoxes().isEmpty());
}

void TestBoxEditing::fileForNewRecord()
{
    QCOMPARE(BoxEditController::fileForNewRecord(*m_doc, QStringLiteral("chest_a.png")), QStringLiteral("train.jsonl"));
    QCOMPARE(BoxEditController::fileForNewRecord(*m_doc, QStringLiteral("unknown.png")), QStringLiteral("train.jsonl"));
    const fmw::RecordId id = m_doc->recordsFor(QStringLiteral("chest_c.dcm"), QStringLiteral("<CAPTION>")).first();
    m_doc->setSplit(id, fmw::Split::Val);
    QCOMPARE(BoxEditController::fileForNewRecord(*m_doc, QStringLiteral("chest_c.dcm")), QStringLiteral("val.jsonl"));
    m_doc->addRecord(QStringLiteral("test_detailed_caption.jsonl"), QStringLiteral("new.png"),
                     QStringLiteral("<DETAILED_CAPTION>"), QStringLiteral("x"));
    QCOMPARE(BoxEditController::fileForNewRecord(*m_doc, QStringLiteral("new.png")), QStringLiteral("test.jsonl"));
}

void TestBoxEditing::invalidOdTextIsReadOnly()
{
    QVERIFY(m_controller->drawAction()->isEnabled());
    m_doc->setCaption(m_controller->record(), QStringLiteral("nodule<loc_100><loc_200>"));
    QVERIFY(!m_controller->canEdit());
    QVERIFY(!m_view->isEditable());
    QVERIFY(!m_controller->drawAction()->isEnabled());
    QVERIFY(m_view->boxes().isEmpty());
    auto *status = m_panel->findChild<QLabel *>(QStringLiteral("boxStatus"));
    QVERIFY(status);
    QVERIFY2(status->text().contains(QStringLiteral("train.jsonl line 3")), qPrintable(status->text()));
    QTest::keyClick(m_view, Qt::Key_B);
    QVERIFY(!m_view->isDrawMode());
    m_doc->undoStack()->undo();
    QVERIFY(m_view->isEditable());
    QCOMPARE(m_view->boxes().size(), 2);
    QVERIFY(m_controller->errorText().isEmpty());
}

QTEST_MAIN(TestBoxEditing)
#include "tst_box_editing.moc"

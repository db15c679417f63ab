// The workbench window end to end, driven like a user: open a dataset, select an image, type
// into the caption editor, undo/redo/save with the keyboard, answer the unsaved-changes and
// save-error dialogs, view shortcuts, status bar, recent folders, screenshot.

#include "dialog_answerer.h"
#include "ui_test_data.h"

#include "annotation/loc_codec.h"
#include "imaging/image_renderer.h"
#include "dataset/dataset_document.h"
#include "ui/caption_editor.h"
#include "ui/image_view.h"
#include "ui/main_window.h"
#include "ui/recent_folders.h"
#include "ui/record_list_model.h"
#include "ui/record_list_panel.h"

#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::ui::MainWindow;
using fmwtest::DialogAnswerer;

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void opensDatasetAndShowsFirstImage();
    void statusBarShowsImageFacts_data();
    void statusBarShowsImageFacts();
    void odBoxesDrawnAndShownReadOnly();
    void browsingQuicklyShowsTheLastImage();
    void captionEditUndoRedoSave();
    void undoRightAfterTypingRevertsTheBurst();
    void undoKeepsCursorInEditor();
    void closeWithUnsavedChangesPrompts_data();
    void closeWithUnsavedChangesPrompts();
    void openingAnotherFolderPrompts();
    void saveConflictKeepsEdits();
    void viewShortcuts();
    void openRecentListsOpenedFolders();
    void openFailureIsReported();
    void screenshotWritesPng();

private:
    void openDataset(const QString &dir);
    bool select(const QString &image);
    QPlainTextEdit *editor(const QString &objectName) const;
    QString captionFile() const { return m_dir->filePath(QStringLiteral("train.jsonl")); }

    QTemporaryDir m_settingsDir;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_main_window"));
}

void TestMainWindow::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    fmwtest::UiDataset::write(m_dir->path());
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    openDataset(m_dir->path());
}

void TestMainWindow::cleanup()
{
    m_window.reset();  // destroying (not closing) asks nothing
    m_dir.reset();
}

void TestMainWindow::openDataset(const QString &dir)
{
    QSignalSpy opened(m_window.get(), &MainWindow::datasetOpened);
    QSignalSpy shown(m_window.get(), &MainWindow::imageShown);
    QVERIFY(m_window->openFolder(dir));
    QVERIFY(opened.wait(10000));
    QVERIFY(shown.count() > 0 || shown.wait(10000));
}

bool TestMainWindow::select(const QString &image)
{
    if (m_window->currentImage() == image && m_window->imageView()->hasImage())
        return true;
    QSignalSpy shown(m_window.get(), &MainWindow::imageShown);
    if (!m_window->selectImage(image))
        return false;
    return shown.wait(10000) && shown.last().at(0).toString() == image;
}

QPlainTextEdit *TestMainWindow::editor(const QString &objectName) const
{
    return m_window->findChild<QPlainTextEdit *>(objectName);
}

void TestMainWindow::opensDatasetAndShowsFirstImage()
{
    QVERIFY(m_window->document());
    QCOMPARE(m_window->document()->rootDir(), QDir(m_dir->path()).absolutePath());
    auto *list = m_window->findChild<QListView *>(QStringLiteral("recordList"));
    QVERIFY(list);
    QCOMPARE(list->model()->rowCount(), 3);
    QCOMPARE(m_window->currentImage(), QStringLiteral("chest_a.png"));
    QCOMPARE(list->currentIndex().data(fmw::ui::RecordListModel::ImageRole).toString(), QStringLiteral("chest_a.png"));
    QVERIFY(m_window->imageView()->hasImage());
    QCOMPARE(m_window->imageView()->image()->meta.width, 64);
    QVERIFY(m_window->windowTitle().contains(QDir(m_dir->path()).dirName()));
    QVERIFY2(!m_window->windowTitle().contains(QLatin1Char('*')), qPrintable(m_window->windowTitle()));
    QVERIFY(!m_window->captionEditor()->hasPendingEdit());  // showing text is not editing it
    // Caption tabs for every prefix of the image, in reading order.
    QTabWidget *tabs = m_window->captionEditor()->tabs();
    QCOMPARE(tabs->count(), 3);
    const auto title = [tabs](int i) { return tabs->tabText(i).replace(QLatin1Char('\n'), QLatin1Char(' ')); };
    QCOMPARE(title(0), QStringLiteral("<CAPTION> impression"));  // shown on two lines
    QCOMPARE(title(1), QStringLiteral("<DETAILED_CAPTION> findings"));
    QCOMPARE(title(2), QStringLiteral("<OD> boxes (2)"));
    QCOMPARE(editor(QStringLiteral("captionEdit:<CAPTION>"))->toPlainText(), QStringLiteral("No acute findings."));
    QCOMPARE(editor(QStringLiteral("captionEdit:<DETAILED_CAPTION>"))->toPlainText(), QStringLiteral("The lungs are clear."));
    // Everything on screen loads: the window settles.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 10000);
}

void TestMainWindow::statusBarShowsImageFacts_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("size");
    QTest::addColumn<QString>("bits");
    QTest::addColumn<QString>("photometric");
    QTest::newRow("16-bit PNG") << "chest_a.png" << QStringLiteral("64 × 48") << "16-bit" << "";
    QTest::newRow("DICOM, 12 of 16 bits") << "chest_c.dcm" << QStringLiteral("32 × 32") << "12 of 16 bits"
                                          << "MONOCHROME2";
}

void TestMainWindow::statusBarShowsImageFacts()
{
    QFETCH(QString, image);
    QFETCH(QString, size);
    QFETCH(QString, bits);
    QFETCH(QString, photometric);
    QVERIFY(select(image));
    const auto label = [this](const char *name) {
        auto *l = m_window->findChild<QLabel *>(QLatin1String(name));
        return l ? l->text() : QStringLiteral("<missing>");
    };
    QCOMPARE(label("statusImageSize"), size);
    QCOMPARE(label("statusBits"), bits);
    if (!photometric.isEmpty())
        QCOMPARE(label("statusPhotometric"), photometric);
    const fmw::imaging::Window w = m_window->imageView()->window();
    QCOMPARE(label("statusWindow"), QStringLiteral("C %1  W %2").arg(std::round(w.center * 10) / 10).arg(std::round(w.width * 10) / 10));
    QVERIFY(label("statusZoom").endsWith(QLatin1Char('%')));

    // The stored value under the cursor.
    fmw::ui::ImageView *view = m_window->imageView();
    const QPointF pos = view->mapFromImage(QPointF(10.5, 12.5));
    QMouseEvent move(QEvent::MouseMove, pos, view->mapToGlobal(pos), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(view, &move);
    double stored = 0;
    double modality = 0;
    QVERIFY(fmw::imaging::pixelValue(*view->image(), 10, 12, &stored, &modality));
    QVERIFY2(label("statusPixel").startsWith(QStringLiteral("(10, 12)  stored %1").arg(qint64(stored))),
             qPrintable(label("statusPixel")));
}

void TestMainWindow::odBoxesDrawnAndShownReadOnly()
{
    QVERIFY(select(QStringLiteral("chest_a.png")));
    const QVector<fmw::ui::ImageView::Box> boxes = m_window->imageView()->boxes();
    QCOMPARE(boxes.size(), 2);
    QCOMPARE(boxes[0].label, QStringLiteral("nodule"));
    QCOMPARE(boxes[1].label, QStringLiteral("pleural effusion"));
    const fmw::loc::BoxPx px = fmw::loc::dequantizeBox({100, 200, 300, 400}, {64, 48});
    QCOMPARE(boxes[0].rect, QRectF(QPointF(px[0], px[1]), QPointF(px[2], px[3])));
    QPlainTextEdit *od = editor(QStringLiteral("odText"));
    QVERIFY(od);
    QVERIFY(od->isReadOnly());
    QVERIFY(od->toPlainText().startsWith(QStringLiteral("nodule<loc_100>")));

    QVERIFY(select(QStringLiteral("chest_b.png")));
    QVERIFY(m_window->imageView()->boxes().isEmpty());
    QVERIFY(!editor(QStringLiteral("odText")));
}

void TestMainWindow::browsingQuicklyShowsTheLastImage()
{
    auto *list = m_window->findChild<QListView *>(QStringLiteral("recordList"));
    list->setFocus();
    QSignalSpy shown(m_window.get(), &MainWindow::imageShown);
    // Arrow keys faster than decoding: only the image finally selected is shown.
    QTest::keyClick(list, Qt::Key_Down);
    QTest::keyClick(list, Qt::Key_Down);
    QCOMPARE(m_window->currentImage(), QStringLiteral("chest_c.dcm"));
    QVERIFY(shown.wait(10000));
    QCOMPARE(shown.count(), 1);
    QCOMPARE(shown.first().at(0).toString(), QStringLiteral("chest_c.dcm"));
    QCOMPARE(m_window->imageView()->image()->meta.width, 32);
    QVERIFY(m_window->imageView()->image()->meta.isDicom);
    QCOMPARE(m_window->captionEditor()->image(), QStringLiteral("chest_c.dcm"));
    QCOMPARE(editor(QStringLiteral("captionEdit:<CAPTION>"))->toPlainText(), QStringLiteral("Cardiomegaly."));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 10000);
    QCOMPARE(shown.count(), 1);
}

void TestMainWindow::captionEditUndoRedoSave()
{
    QVERIFY(select(QStringLiteral("chest_b.png")));
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<CAPTION>"));
    QVERIFY(edit);
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small left pleural effusion."));
    fmw::DatasetDocument *doc = m_window->document();
    const fmw::RecordId id = doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();

    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" No pneumothorax."));
    QVERIFY(m_window->captionEditor()->hasPendingEdit());
    QVERIFY(m_window->windowTitle().contains(QLatin1Char('*')));
    // The burst becomes one undo step after the idle pause.
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->captionEditor()->hasPendingEdit(), 5000);
    const QString edited = QStringLiteral("Small left pleural effusion. No pneumothorax.");
    QCOMPARE(doc->record(id).suffix, edited);
    QCOMPARE(doc->undoStack()->count(), 1);
    QVERIFY(doc->isModified());

    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(doc->record(id).suffix, QStringLiteral("Small left pleural effusion."));
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small left pleural effusion."));
    QVERIFY(!m_window->windowTitle().contains(QLatin1Char('*')));

    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(doc->record(id).suffix, edited);
    QCOMPARE(edit->toPlainText(), edited);
    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier);
    QTest::keyClick(edit, Qt::Key_Y, Qt::ControlModifier);  // the other redo key
    QCOMPARE(edit->toPlainText(), edited);

    QTest::keyClick(edit, Qt::Key_S, Qt::ControlModifier);
    QVERIFY(!doc->isModified());
    QVERIFY(!m_window->windowTitle().contains(QLatin1Char('*')));
    QByteArray expected = fmwtest::UiDataset::trainJsonl();
    expected.replace("Small left pleural effusion.\"", "Small left pleural effusion. No pneumothorax.\"");
    QCOMPARE(fmwtest::readBytes(captionFile()), expected);
    // The other file was not touched.
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(QStringLiteral("train_detailed_caption.jsonl"))),
             fmwtest::UiDataset::detailedJsonl());
}

void TestMainWindow::undoRightAfterTypingRevertsTheBurst()
{
    QVERIFY(select(QStringLiteral("chest_a.png")));
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<DETAILED_CAPTION>"));
    QVERIFY(edit);
    m_window->captionEditor()->tabs()->setCurrentIndex(1);
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" Heart normal."));
    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier);  // before the idle commit
    QCOMPARE(edit->toPlainText(), QStringLiteral("The lungs are clear."));
    fmw::DatasetDocument *doc = m_window->document();
    QCOMPARE(doc->undoStack()->count(), 1);
    QCOMPARE(doc->undoStack()->index(), 0);
    QVERIFY(!doc->isModified());
    QTest::keyClick(edit, Qt::Key_Y, Qt::ControlModifier);
    QCOMPARE(edit->toPlainText(), QStringLiteral("The lungs are clear. Heart normal."));
}

void TestMainWindow::undoKeepsCursorInEditor()
{
    QVERIFY(select(QStringLiteral("chest_b.png")));
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<CAPTION>"));
    edit->setFocus();
    // Type at the start, commit, move the cursor into the middle, undo: the cursor keeps its
    // place relative to the text after it.
    QTest::keyClick(edit, Qt::Key_Home, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral("Stable. "));
    m_window->captionEditor()->commitPending();
    QTextCursor c = edit->textCursor();
    c.setPosition(QStringLiteral("Stable. Small left ").size());
    edit->setTextCursor(c);
    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small left pleural effusion."));
    QCOMPARE(edit->textCursor().position(), int(QStringLiteral("Small left ").size()));
    QVERIFY(edit->hasFocus());
}

void TestMainWindow::closeWithUnsavedChangesPrompts_data()
{
    QTest::addColumn<int>("answer");
    QTest::addColumn<bool>("closed");
    QTest::addColumn<bool>("saved");
    QTest::newRow("cancel keeps the window and the edit") << int(QMessageBox::Cancel) << false << false;
    QTest::newRow("discard closes, file untouched") << int(QMessageBox::Discard) << true << false;
    QTest::newRow("save writes, then closes") << int(QMessageBox::Save) << true << true;
}

void TestMainWindow::closeWithUnsavedChangesPrompts()
{
    QFETCH(int, answer);
    QFETCH(bool, closed);
    QFETCH(bool, saved);
    QVERIFY(select(QStringLiteral("chest_c.dcm")));
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<CAPTION>"));
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" Mild."));  // still pending: close must commit it

    DialogAnswerer answerer(QStringLiteral("unsavedChangesDialog"), QMessageBox::StandardButton(answer));
    QCOMPARE(m_window->close(), closed);
    QCOMPARE(answerer.shown, 1);
    QVERIFY(answerer.text.contains(QDir(m_dir->path()).dirName()));
    QCOMPARE(m_window->isVisible(), !closed);
    QByteArray expected = fmwtest::UiDataset::trainJsonl();
    if (saved)
        expected.replace("Cardiomegaly.\"", "Cardiomegaly. Mild.\"");
    QCOMPARE(fmwtest::readBytes(captionFile()), expected);
    if (!closed) {
        QVERIFY(m_window->isModified());
        QCOMPARE(edit->toPlainText(), QStringLiteral("Cardiomegaly. Mild."));
    }

    // Nothing to save: closing asks nothing.
    if (!closed) {
        m_window->document()->undoStack()->undo();
        DialogAnswerer none(QStringLiteral("unsavedChangesDialog"), QMessageBox::Cancel);
        QVERIFY(m_window->close());
        QCOMPARE(none.shown, 0);
    }
}

void TestMainWindow::openingAnotherFolderPrompts()
{
    QTemporaryDir other;
    fmwtest::UiDataset::write(other.path());
    fmwtest::writeBytes(other.filePath(QStringLiteral("train.jsonl")),
                        "{\"image\": \"chest_b.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Other.\"}\n");
    QVERIFY(select(QStringLiteral("chest_b.png")));
    const fmw::RecordId id = m_window->document()->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();
    m_window->document()->setCaption(id, QStringLiteral("Edited."));
    {
        DialogAnswerer cancel(QStringLiteral("unsavedChangesDialog"), QMessageBox::Cancel);
        QVERIFY(!m_window->openFolder(other.path()));
        QCOMPARE(cancel.shown, 1);
        QCOMPARE(m_window->document()->rootDir(), QDir(m_dir->path()).absolutePath());
        QCOMPARE(m_window->document()->record(id).suffix, QStringLiteral("Edited."));
    }
    DialogAnswerer discard(QStringLiteral("unsavedChangesDialog"), QMessageBox::Discard);
    openDataset(other.path());
    QCOMPARE(discard.shown, 1);
    QCOMPARE(m_window->document()->rootDir(), QDir(other.path()).absolutePath());
    QCOMPARE(fmwtest::readBytes(captionFile()), fmwtest::UiDataset::trainJsonl());
    QVERIFY(!m_window->windowTitle().contains(QLatin1Char('*')));
}

void TestMainWindow::saveConflictKeepsEdits()
{
    QVERIFY(select(QStringLiteral("chest_b.png")));
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<CAPTION>"));
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" Edited here."));
    // Someone else changes the file meanwhile.
    const QByteArray outside = fmwtest::UiDataset::trainJsonl() + "{\"image\": \"chest_b.png\", \"prefix\": \"<OD>\", \"suffix\": \"\"}\n";
    fmwtest::writeBytes(captionFile(), outside);

    DialogAnswerer answerer(QStringLiteral("saveErrorDialog"), QMessageBox::Ok);
    QSignalSpy errors(m_window.get(), &MainWindow::errorReported);
    QTest::keyClick(edit, Qt::Key_S, Qt::ControlModifier);
    QCOMPARE(answerer.shown, 1);
    QCOMPARE(errors.count(), 1);
    QVERIFY2(answerer.text.contains(QStringLiteral("train.jsonl")), qPrintable(answerer.text));
    QVERIFY2(answerer.text.contains(QStringLiteral("changed on disk")), qPrintable(answerer.text));
    // Nothing written, nothing lost.
    QCOMPARE(fmwtest::readBytes(captionFile()), outside);
    QVERIFY(m_window->isModified());
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small left pleural effusion. Edited here."));
    const fmw::RecordId id = m_window->document()->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();
    QCOMPARE(m_window->document()->record(id).suffix, QStringLiteral("Small left pleural effusion. Edited here."));
    QVERIFY(m_window->windowTitle().contains(QLatin1Char('*')));
}

void TestMainWindow::viewShortcuts()
{
    QVERIFY(select(QStringLiteral("chest_a.png")));
    fmw::ui::ImageView *view = m_window->imageView();
    view->setFocus();
    QVERIFY(view->isFitMode());
    QTest::keyClick(view, Qt::Key_1);
    QCOMPARE(view->zoom(), 1.0);
    QTest::keyClick(view, Qt::Key_Plus);
    QCOMPARE(view->zoom(), 1.25);
    QTest::keyClick(view, Qt::Key_Minus);
    QCOMPARE(view->zoom(), 1.0);
    QTest::keyClick(view, Qt::Key_F);
    QVERIFY(view->isFitMode());
    const QImage normal = view->renderedImage().copy();
    QTest::keyClick(view, Qt::Key_I);
    QVERIFY(view->isInverted());
    QVERIFY(view->renderedImage() != normal);
    QTest::keyClick(view, Qt::Key_I);
    QVERIFY(!view->isInverted());
    view->setWindow({1000, 2000});
    QTest::keyClick(view, Qt::Key_R);
    QVERIFY(!view->hasWindowOverride());
    QCOMPARE(view->renderedImage(), normal);

    // In a text field the same keys type text.
    QPlainTextEdit *edit = editor(QStringLiteral("captionEdit:<CAPTION>"));
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral("fir1"));
    QVERIFY(edit->toPlainText().endsWith(QStringLiteral("fir1")));
    QVERIFY(view->isFitMode());
    QVERIFY(!view->isInverted());
}

void TestMainWindow::openRecentListsOpenedFolders()
{
    QTemporaryDir other;
    fmwtest::UiDataset::write(other.path());
    openDataset(other.path());
    const QStringList recent = fmw::ui::RecentFolders().folders();
    QVERIFY(recent.size() >= 2);
    QCOMPARE(recent.at(0), QDir(other.path()).absolutePath());
    QCOMPARE(recent.at(1), QDir(m_dir->path()).absolutePath());

    auto *menu = m_window->findChild<QMenu *>(QStringLiteral("recentMenu"));
    QVERIFY(menu);
    emit menu->aboutToShow();
    const QList<QAction *> actions = menu->actions();
    QVERIFY(actions.size() >= 2);
    QCOMPARE(actions.at(1)->data().toString(), QDir(m_dir->path()).absolutePath());
    QSignalSpy opened(m_window.get(), &MainWindow::datasetOpened);
    actions.at(1)->trigger();
    QVERIFY(opened.wait(10000));
    QCOMPARE(m_window->document()->rootDir(), QDir(m_dir->path()).absolutePath());
}

void TestMainWindow::openFailureIsReported()
{
    m_window->setInteractive(false);
    QSignalSpy failed(m_window.get(), &MainWindow::datasetOpenFailed);
    QVERIFY(m_window->openFolder(m_dir->filePath(QStringLiteral("does-not-exist"))));
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("does-not-exist")));
    // The open dataset stays.
    QCOMPARE(m_window->document()->rootDir(), QDir(m_dir->path()).absolutePath());
}

void TestMainWindow::screenshotWritesPng()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 10000);
    const QString out = m_dir->filePath(QStringLiteral("shot.png"));
    const fmw::Status written = m_window->saveScreenshot(out);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
    QImage shot(out);
    QVERIFY(!shot.isNull());
    QCOMPARE(shot.size(), m_window->size() * shot.devicePixelRatio());
    const fmw::Status bad = m_window->saveScreenshot(m_dir->filePath(QStringLiteral("no/such/dir/shot.png")));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, fmw::ErrorCode::Io);
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"

// The caption editor beyond typing: add a record with another prefix (the right split file,
// one undo step), custom prefixes and their validation, removing a record with
// confirmation and undo, live word and character counts.

#include "dialog_answerer.h"
#include "ui_test_data.h"

#include "dataset/dataset_document.h"
#include "ui/caption_editor.h"

#include <QAction>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QUndoStack>
#include <QtTest/QtTest>

using fmw::DatasetDocument;
using fmw::RecordId;
using fmw::ui::CaptionEditor;

using fmwtest::DialogAnswerer;

namespace {


// Types one answer per showing of the custom prefix dialog, then cancels; remembers the
// label each showing had (where the reason for a refusal appears).
class PrefixTyper : public QObject {
public:
    explicit PrefixTyper(QStringList answers)
        : m_answers(std::move(answers))
    {
        qApp->installEventFilter(this);
    }
    ~PrefixTyper() override { qApp->removeEventFilter(this); }

    QStringList labels;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        auto *dialog = qobject_cast<QInputDialog *>(watched);
        if (event->type() == QEvent::Show && dialog
            && dialog->objectName() == QLatin1String("customPrefixDialog")) {
            labels << dialog->labelText();
            const QString answer = m_answers.isEmpty() ? QString() : m_answers.takeFirst();
            QTimer::singleShot(0, dialog, [dialog, answer] {
                if (answer.isNull()) {
                    dialog->reject();
                    return;
                }
                dialog->setTextValue(answer);
                dialog->accept();
            });
        }
        return false;
    }

private:
    QStringList m_answers;
};

} // namespace

class TestCaptions : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void menuOffersMissingPrefixes();
    void addedRecordGoesToItsFile_data();
    void addedRecordGoesToItsFile();
    void addedRecordFollowsImageSplit();
    void addThenUndoRemovesRecord();
    void prefixValidation_data();
    void prefixValidation();
    void customPrefixThroughDialog();
    void wordCountsFollowTyping();
    void removeRecordAsksAndUndoes();

private:
    QAction *action(const char *name) const { return m_editor->findChild<QAction *>(QLatin1String(name)); }
    QLabel *countLabel(QPlainTextEdit *edit) const
    {
        return edit->parentWidget()->findChild<QLabel *>(QStringLiteral("wordCountLabel"));
    }
    QString path(const char *file) const { return m_dir->filePath(QLatin1String(file)); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<DatasetDocument> m_doc;
    std::unique_ptr<CaptionEditor> m_editor;
};

void TestCaptions::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestCaptions::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    fmwtest::UiDataset::write(m_dir->path());
    auto doc = DatasetDocument::open(m_dir->path());
    QVERIFY(doc.ok());
    m_doc = std::move(doc).value();
    m_editor = std::make_unique<CaptionEditor>();
    m_editor->setDocument(m_doc.get());
    m_editor->resize(420, 520);
    m_editor->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_editor.get()));
}

void TestCaptions::cleanup()
{
    m_editor.reset();
    m_doc.reset();
    m_dir.reset();
}

void TestCaptions::menuOffersMissingPrefixes()
{
    QToolButton *add = m_editor->findChild<QToolButton *>(QStringLiteral("addPrefixButton"));
    QVERIFY(add);
    QVERIFY(!add->isEnabled()); // no image yet
    m_editor->setImage(QStringLiteral("chest_a.png"));
    QVERIFY(add->isEnabled());
    auto *menu = m_editor->findChild<QMenu *>(QStringLiteral("addPrefixMenu"));
    QVERIFY(menu);
    QCOMPARE(add->menu(), menu);
    emit menu->aboutToShow();
    // chest_a has <CAPTION>, <DETAILED_CAPTION> and <OD>.
    QVERIFY(!action("actionAddCaption")->isEnabled());
    QVERIFY(!action("actionAddDetailedCaption")->isEnabled());
    QVERIFY(action("actionAddMoreDetailedCaption")->isEnabled());
    QVERIFY(action("actionAddCustomPrefix")->isEnabled());
    QString error;
    QCOMPARE(m_editor->addRecord(QStringLiteral("<CAPTION>"), &error), RecordId(0));
    QVERIFY2(error.contains(QStringLiteral("already")), qPrintable(error));
    QCOMPARE(m_doc->undoStack()->count(), 0);

    m_editor->setImage(QStringLiteral("chest_b.png"));
    emit menu->aboutToShow();
    QVERIFY(!action("actionAddCaption")->isEnabled());
    QVERIFY(action("actionAddDetailedCaption")->isEnabled());
}

void TestCaptions::addedRecordGoesToItsFile_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("actionName");
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("file");
    QTest::newRow("findings next to the other detailed captions") << "chest_b.png"
                                                                  << "actionAddDetailedCaption"
                                                                  << "<DETAILED_CAPTION>"
                                                                  << "train_detailed_caption.jsonl";
    QTest::newRow("more detailed in its own file") << "chest_c.dcm"
                                                   << "actionAddMoreDetailedCaption"
                                                   << "<MORE_DETAILED_CAPTION>"
                                                   << "train_more_detailed_caption.jsonl";
    QTest::newRow("impression of an image without records") << "chest_new.png"
                                                            << "actionAddCaption"
                                                            << "<CAPTION>"
                                                            << "train.jsonl";
}

void TestCaptions::addedRecordGoesToItsFile()
{
    QFETCH(QString, image);
    QFETCH(QString, actionName);
    QFETCH(QString, prefix);
    QFETCH(QString, file);
    m_editor->setImage(image);
    const int tabsBefore = m_editor->tabs()->count();
    const QByteArray fileBefore
        = QFileInfo::exists(m_dir->filePath(file)) ? fmwtest::readBytes(m_dir->filePath(file)) : QByteArray();
    QSignalSpy added(m_doc.get(), &DatasetDocument::recordAdded);
    action(actionName.toLatin1().constData())->trigger();
    QCOMPARE(added.count(), 1);
    const RecordId id = added.first().at(0).value<RecordId>();
    QCOMPARE(m_doc->record(id).file, file);
    QCOMPARE(m_doc->record(id).prefix, prefix);
    QCOMPARE(m_doc->record(id).image, image);
    QCOMPARE(m_doc->undoStack()->count(), 1);
    // Its tab is there and current, ready for typing.
    QCOMPARE(m_editor->tabs()->count(), tabsBefore + 1);
    QPlainTextEdit *edit = m_editor->editorFor(prefix);
    QVERIFY(edit);
    QCOMPARE(m_editor->tabs()->currentWidget(), edit->parentWidget());
    QTest::keyClicks(edit, QStringLiteral("Blunted angle."));
    m_editor->commitPending();
    QCOMPARE(m_doc->record(id).suffix, QStringLiteral("Blunted angle."));
    QCOMPARE(m_doc->undoStack()->count(), 2);

    QVERIFY(m_doc->save().ok());
    const QByteArray newline = file == QLatin1String("train_detailed_caption.jsonl") ? "\r\n" : "\n";
    QCOMPARE(fmwtest::readBytes(m_dir->filePath(file)),
        fileBefore + "{\"image\": \"" + image.toUtf8() + "\", \"prefix\": \"" + prefix.toUtf8()
            + "\", \"suffix\": \"Blunted angle.\"}" + newline);
}

void TestCaptions::addedRecordFollowsImageSplit()
{
    const RecordId caption
        = m_doc->recordsFor(QStringLiteral("chest_b.png"), QStringLiteral("<CAPTION>")).first();
    m_doc->setSplit(caption, fmw::Split::Val);
    m_editor->setImage(QStringLiteral("chest_b.png"));
    const RecordId id = m_editor->addRecord(QStringLiteral("<DETAILED_CAPTION>"));
    QVERIFY(id);
    QCOMPARE(m_doc->record(id).file, QStringLiteral("val_detailed_caption.jsonl"));
    QCOMPARE(CaptionEditor::fileFor(*m_doc, QStringLiteral("chest_b.png"), QStringLiteral("<IMPRESSION>")),
        QStringLiteral("val.jsonl"));
    QCOMPARE(
        CaptionEditor::fileFor(*m_doc, QStringLiteral("nowhere.png"), QStringLiteral("<DETAILED_CAPTION>")),
        QStringLiteral("train_detailed_caption.jsonl"));
}

void TestCaptions::addThenUndoRemovesRecord()
{
    m_editor->setImage(QStringLiteral("chest_b.png"));
    QCOMPARE(m_editor->tabs()->count(), 1);
    const RecordId id = m_editor->addRecord(QStringLiteral("<DETAILED_CAPTION>"));
    QVERIFY(id);
    QCOMPARE(m_editor->tabs()->count(), 2);
    QVERIFY(m_doc->isModified());

    m_doc->undoStack()->undo();
    QVERIFY(!m_doc->contains(id));
    QTRY_COMPARE(m_editor->tabs()->count(), 1);
    QVERIFY(!m_editor->editorFor(QStringLiteral("<DETAILED_CAPTION>")));
    QVERIFY(!m_doc->isModified());
    QVERIFY(m_doc->pendingFileContents().isEmpty());

    m_doc->undoStack()->redo();
    QCOMPARE(m_editor->tabs()->count(), 2);
    QVERIFY(m_editor->editorFor(QStringLiteral("<DETAILED_CAPTION>")));
    QVERIFY(m_doc->save().ok());
    QCOMPARE(fmwtest::readBytes(path("train.jsonl")), fmwtest::UiDataset::trainJsonl());
}

void TestCaptions::prefixValidation_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("problem"); // part of the reason; empty: accepted
    QTest::newRow("custom upper-case name") << "<IMPRESSION>"
                                            << "";
    QTest::newRow("digits and underscores") << "<FINDINGS_V2>"
                                            << "";
    QTest::newRow("caption of an image without one") << "<MORE_DETAILED_CAPTION>"
                                                     << "";
    QTest::newRow("empty") << ""
                           << "Type a prefix";
    QTest::newRow("lower case") << "<impression>"
                                << "not a prefix";
    QTest::newRow("no brackets") << "IMPRESSION"
                                 << "not a prefix";
    QTest::newRow("space inside") << "<MY PREFIX>"
                                  << "not a prefix";
    QTest::newRow("leading digit") << "<2ND>"
                                   << "not a prefix";
    QTest::newRow("boxes are drawn") << "<OD>"
                                     << "draw them";
    QTest::newRow("already present") << "<CAPTION>"
                                     << "already has";
}

void TestCaptions::prefixValidation()
{
    QFETCH(QString, prefix);
    QFETCH(QString, problem);
    m_editor->setImage(QStringLiteral("chest_a.png"));
    const QString reason = m_editor->prefixProblem(prefix);
    if (problem.isEmpty())
        QVERIFY2(reason.isEmpty(), qPrintable(reason));
    else
        QVERIFY2(reason.contains(problem), qPrintable(reason));
    QString error;
    const RecordId id = m_editor->addRecord(prefix, &error);
    QCOMPARE(id != 0, problem.isEmpty());
    QCOMPARE(error, reason);
    QCOMPARE(m_doc->undoStack()->count(), problem.isEmpty() ? 1 : 0);
}

void TestCaptions::customPrefixThroughDialog()
{
    m_editor->setImage(QStringLiteral("chest_a.png"));
    // Refused twice with the reason shown, then accepted (brackets added when left out).
    PrefixTyper typer({QStringLiteral("<OD>"), QStringLiteral("<lower>"), QStringLiteral("IMPRESSION")});
    QSignalSpy added(m_doc.get(), &DatasetDocument::recordAdded);
    action("actionAddCustomPrefix")->trigger();
    QCOMPARE(typer.labels.size(), 3);
    QVERIFY2(typer.labels.at(1).contains(QStringLiteral("draw them")), qPrintable(typer.labels.at(1)));
    QVERIFY2(typer.labels.at(2).contains(QStringLiteral("not a prefix")), qPrintable(typer.labels.at(2)));
    QCOMPARE(added.count(), 1);
    const RecordId id = added.first().at(0).value<RecordId>();
    QCOMPARE(m_doc->record(id).prefix, QStringLiteral("<IMPRESSION>"));
    QCOMPARE(m_doc->record(id).file, QStringLiteral("train.jsonl"));
    QVERIFY(m_editor->editorFor(QStringLiteral("<IMPRESSION>")));
    QCOMPARE(m_doc->undoStack()->count(), 1);

    // Cancelling adds nothing.
    PrefixTyper cancel({});
    action("actionAddCustomPrefix")->trigger();
    QCOMPARE(cancel.labels.size(), 1);
    QCOMPARE(m_doc->undoStack()->count(), 1);
}

void TestCaptions::wordCountsFollowTyping()
{
    QCOMPARE(CaptionEditor::countText(QString()), QStringLiteral("0 words \u00b7 0 characters"));
    QCOMPARE(
        CaptionEditor::countText(QStringLiteral("  One\n")), QStringLiteral("1 word \u00b7 6 characters"));
    QCOMPARE(CaptionEditor::countText(QStringLiteral("a \U0001F600")),
        QStringLiteral("2 words \u00b7 3 characters"));

    m_editor->setImage(QStringLiteral("chest_b.png"));
    QPlainTextEdit *edit = m_editor->editorFor(QStringLiteral("<CAPTION>"));
    QVERIFY(edit);
    QLabel *count = countLabel(edit);
    QVERIFY(count);
    QCOMPARE(count->text(), QStringLiteral("4 words \u00b7 28 characters")); // "Small left pleural effusion."
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" No"));
    QVERIFY(m_editor->hasPendingEdit()); // live: before the edit becomes an undo step
    QCOMPARE(count->text(), QStringLiteral("5 words \u00b7 31 characters"));
    m_editor->commitPending();
    m_doc->undoStack()->undo(); // undo updates it too
    QCOMPARE(count->text(), QStringLiteral("4 words \u00b7 28 characters"));

    // Every page has its own.
    m_editor->setImage(QStringLiteral("chest_a.png"));
    QPlainTextEdit *detailed = m_editor->editorFor(QStringLiteral("<DETAILED_CAPTION>"));
    QCOMPARE(countLabel(detailed)->text(),
        QStringLiteral("4 words \u00b7 20 characters")); // "The lungs are clear."
    QCOMPARE(m_editor->findChildren<QLabel *>(QStringLiteral("wordCountLabel")).size(), 3);
}

void TestCaptions::removeRecordAsksAndUndoes()
{
    m_editor->setImage(QStringLiteral("chest_a.png"));
    auto *remove = m_editor->findChild<QToolButton *>(QStringLiteral("removeRecordButton"));
    QVERIFY(remove);
    QCOMPARE(m_editor->tabs()->count(), 3);
    m_editor->tabs()->setCurrentIndex(2); // <OD>: boxes are edited on the image
    QVERIFY(!remove->isEnabled());
    QVERIFY(!m_editor->removeCurrentRecord());
    m_editor->tabs()->setCurrentIndex(1);
    QVERIFY(remove->isEnabled());
    const RecordId detailed
        = m_doc->recordsFor(QStringLiteral("chest_a.png"), QStringLiteral("<DETAILED_CAPTION>")).first();

    {
        DialogAnswerer cancel(QStringLiteral("removeRecordDialog"), QMessageBox::Cancel);
        QTest::mouseClick(remove, Qt::LeftButton);
        QCOMPARE(cancel.shown, 1);
        QVERIFY2(cancel.text.contains(QStringLiteral("<DETAILED_CAPTION>")), qPrintable(cancel.text));
        QVERIFY2(
            cancel.text.contains(QStringLiteral("train_detailed_caption.jsonl")), qPrintable(cancel.text));
        QVERIFY(m_doc->contains(detailed));
        QCOMPARE(m_doc->undoStack()->count(), 0);
    }
    {
        DialogAnswerer yes(QStringLiteral("removeRecordDialog"), QMessageBox::Yes);
        QTest::mouseClick(remove, Qt::LeftButton);
        QCOMPARE(yes.shown, 1);
    }
    QVERIFY(!m_doc->contains(detailed));
    QCOMPARE(m_doc->undoStack()->count(), 1);
    QTRY_COMPARE(m_editor->tabs()->count(), 2);
    QVERIFY(!m_editor->editorFor(QStringLiteral("<DETAILED_CAPTION>")));

    m_doc->undoStack()->undo();
    QVERIFY(m_doc->contains(detailed));
    QCOMPARE(m_editor->tabs()->count(), 3);
    QVERIFY(m_doc->pendingFileContents().isEmpty());

    // Tests and scripted use skip the question; typing not yet committed is kept in the
    // undo history, so undoing the removal brings the text back.
    m_editor->setConfirmRemoval(false);
    DialogAnswerer none(QStringLiteral("removeRecordDialog"), QMessageBox::Cancel);
    QPlainTextEdit *edit = m_editor->editorFor(QStringLiteral("<CAPTION>"));
    m_editor->tabs()->setCurrentIndex(0);
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" Typed."));
    const RecordId caption
        = m_doc->recordsFor(QStringLiteral("chest_a.png"), QStringLiteral("<CAPTION>")).first();
    QVERIFY(m_editor->removeCurrentRecord());
    QCOMPARE(none.shown, 0);
    QVERIFY(!m_doc->contains(caption));
    QCOMPARE(m_doc->undoStack()->count(), 2); // the typing, then the removal
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->record(caption).suffix, QStringLiteral("No acute findings. Typed."));
    QTRY_COMPARE(m_editor->editorFor(QStringLiteral("<CAPTION>"))->toPlainText(),
        QStringLiteral("No acute findings. Typed."));
}

QTEST_MAIN(TestCaptions)
#include "tst_captions.moc"

// The workbench end to end in its main window, on a copy of the bundled demo dataset and with
// the demo model, as a user goes through it: edit a caption, undo, redo, save (the file
// exact); train the demo model from the Train workspace
// (points plotted live, Stop, a checkpoint written), preview that checkpoint on an image (the
// text equals the engine's own greedy prediction) and accept it (undoable), compare it over
// the val split (table filled, sorted by a metric, Enter opens the image), and draw, move,
// undo, relabel and save a box in the viewer (the JSONL line's <loc_N> text exact).

#include "common/test_support.h"

#include "dataset/dataset_document.h"
#include "engine/florence2_engine.h"
#include "engine/training/demo_model.h"
#include "imaging/model_image.h"
#include "ui/box_edit_controller.h"
#include "ui/box_list_panel.h"
#include "ui/caption_editor.h"
#include "ui/compare_table_model.h"
#include "ui/compare_view.h"
#include "ui/image_view.h"
#include "ui/loss_chart.h"
#include "ui/main_window.h"
#include "ui/preview_panel.h"
#include "ui/training_panel.h"

#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <set>

using namespace fmw;
using fmw::ui::MainWindow;
using Json = nlohmann::json;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

void sendMouse(QWidget *w, QEvent::Type type, const QPointF &pos, Qt::MouseButton button, Qt::MouseButtons buttons)
{
    QMouseEvent event(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(w, &event);
}

// Press, moves with the button held (QTest::mouseMove carries no buttons), release.
void drag(QWidget *w, const QPointF &from, const QPointF &to)
{
    sendMouse(w, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    for (int i = 1; i <= 3; ++i)
        sendMouse(w, QEvent::MouseMove, from + (to - from) * i / 3, Qt::NoButton, Qt::LeftButton);
    sendMouse(w, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
}

template <typename T>
T *child(QObject *parent, const char *name)
{
    auto *w = parent->findChild<T *>(QLatin1String(name));
    if (!w)
        qFatal("no %s", name);
    return w;
}

} // namespace

class TestWorkbenchFlow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void captionEditedUndoneRedoneSaved();
    void trainFromThePanel();
    void previewTheTrainedModel();
    void compareOverTheValSplit();
    void boxDrawnMovedUndoneRelabelledSaved();
    void cleanupTestCase();

private:
    bool select(const QString &image);
    QString checkpoint() const { return m_tmp.filePath(QStringLiteral("runs/demo/checkpoints/last")); }

    QTemporaryDir m_settings;
    QTemporaryDir m_tmp;
    QString m_dataset;
    QString m_config;
    std::unique_ptr<MainWindow> m_window;
};

void TestWorkbenchFlow::initTestCase()
{
    QVERIFY(m_settings.isValid() && m_tmp.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settings.path());
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_workbench_flow"));

    // A writable copy of the bundled demo dataset; the demo model's tokenizer from its texts.
    const QString demo = fmwtest::sourcePath(QStringLiteral("resources/demo-dataset"));
    m_dataset = m_tmp.filePath(QStringLiteral("dataset"));
    std::vector<std::string> corpus;
    QDirIterator it(demo, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString from = it.next();
        const QString to = m_dataset + from.mid(demo.size());
        QVERIFY(QDir().mkpath(QFileInfo(to).absolutePath()));
        QVERIFY(QFile::copy(from, to));
        if (from.endsWith(QStringLiteral(".jsonl")))
            for (const QByteArray &line : readFile(from).split('\n'))
                if (!line.isEmpty())
                    corpus.push_back(Json::parse(line.toStdString())["suffix"].get<std::string>());
    }
    const QString model = m_tmp.filePath(QStringLiteral("model"));
    training::DemoModelOptions options;
    options.imageSize = 64;
    const auto written = training::writeDemoModel(model.toStdString(), corpus, options);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());

    m_config = m_tmp.filePath(QStringLiteral("demo.yaml"));
    QFile f(m_config);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QStringLiteral("train_json: %1/train.jsonl\nval_json: %1/val.jsonl\nimage_dir: %1/images\n"
                           "model_name: %2\noutput_dir: %3\nfinetune: full\nrandom_init: true\n"
                           "precision: fp32\nbatch_size: 16\nepochs: 50\nlr: 1.0e-3\nthreads: 1\n"
                           "preview_samples: 1\nprefixes: [<CAPTION>]\n")
                .arg(m_dataset, model, m_tmp.filePath(QStringLiteral("runs/demo")))
                .toUtf8());
    f.close();

    m_window = std::make_unique<MainWindow>();
    m_window->setInteractive(false);
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QSignalSpy opened(m_window.get(), &MainWindow::datasetOpened);
    QVERIFY(m_window->openFolder(m_dataset));
    QVERIFY(opened.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 30000);
}

void TestWorkbenchFlow::cleanupTestCase() { m_window.reset(); }

bool TestWorkbenchFlow::select(const QString &image)
{
    if (!m_window->selectImage(image))
        return false;
    return QTest::qWaitFor([&] { return m_window->currentImage() == image && m_window->imageView()->hasImage(); },
                           10000);
}

void TestWorkbenchFlow::captionEditedUndoneRedoneSaved()
{
    const QString image = QStringLiteral("demo-0045.png");
    QVERIFY(select(image));
    const QString valPath = m_dataset + QStringLiteral("/val.jsonl");
    const QByteArray original = readFile(valPath);
    const QByteArray before = "\"image\":\"demo-0045.png\",\"prefix\":\"<CAPTION>\",\"suffix\":\"Small right pleural effusion.\"";
    QVERIFY(original.contains(before));
    QPlainTextEdit *edit = m_window->captionEditor()->editorFor(QStringLiteral("<CAPTION>"));
    QVERIFY(edit);
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small right pleural effusion."));

    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_End, Qt::ControlModifier);
    QTest::keyClicks(edit, QStringLiteral(" No pneumothorax."));
    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small right pleural effusion."));
    QTest::keyClick(edit, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(edit->toPlainText(), QStringLiteral("Small right pleural effusion. No pneumothorax."));
    QTest::keyClick(edit, Qt::Key_S, Qt::ControlModifier);
    QVERIFY(!m_window->document()->isModified());
    // Only the edited value changed, byte for byte; the other files are untouched.
    QByteArray expected = original;
    expected.replace(before, "\"image\":\"demo-0045.png\",\"prefix\":\"<CAPTION>\",\"suffix\":"
                             "\"Small right pleural effusion. No pneumothorax.\"");
    QCOMPARE(readFile(valPath), expected);
    const QString demo = fmwtest::sourcePath(QStringLiteral("resources/demo-dataset"));
    for (const char *file : {"train.jsonl", "test.jsonl", "val_detailed_caption.jsonl"})
        QCOMPARE(readFile(m_dataset + QLatin1Char('/') + QLatin1String(file)),
                 readFile(demo + QLatin1Char('/') + QLatin1String(file)));
}

void TestWorkbenchFlow::trainFromThePanel()
{
    QTest::keyClick(m_window.get(), Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(m_window->workspaceTabs()->currentIndex(), 1);
    ui::TrainingPanel *panel = m_window->trainingPanel();
    auto *path = child<QLineEdit>(panel, "configPathEdit");
    path->clear();
    QTest::keyClicks(path, m_config);
    QTest::mouseClick(child<QPushButton>(panel, "loadConfigButton"), Qt::LeftButton);

    QSignalSpy finished(panel, &ui::TrainingPanel::trainingFinished);
    QTest::mouseClick(child<QPushButton>(panel, "startButton"), Qt::LeftButton);
    QVERIFY(panel->isTraining());
    auto *loss = child<ui::LossChart>(panel, "lossPlot");
    // Two points plotted while the run goes on: the chart is live, not filled at the end.
    QTRY_VERIFY_WITH_TIMEOUT(loss->pointCount(0) >= 2, 120000);
    QVERIFY(panel->isTraining());
    QTest::mouseClick(child<QPushButton>(panel, "stopButton"), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY(!panel->isTraining());
    QVERIFY(loss->rawGraph(0)->dataCount() >= 2);
    // Stop wrote a checkpoint: a model folder of its own (full fine-tuning).
    QVERIFY2(QFileInfo::exists(checkpoint() + QStringLiteral("/config.json")), qPrintable(checkpoint()));
    QVERIFY(QFileInfo::exists(checkpoint() + QStringLiteral("/model.safetensors")));
}

void TestWorkbenchFlow::previewTheTrainedModel()
{
    QTest::keyClick(m_window.get(), Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(m_window->workspaceTabs()->currentIndex(), 0);
    const QString image = QStringLiteral("demo-0007.png");
    QVERIFY(select(image));
    ui::PreviewPanel *preview = m_window->previewPanel();
    auto *model = child<QLineEdit>(preview, "previewModelEdit");
    model->clear();
    QTest::keyClicks(model, checkpoint());
    QVERIFY(preview->setTask(QStringLiteral("<CAPTION>")));
    preview->setDecoding({1, 12});
    QTest::mouseClick(child<QPushButton>(preview, "previewRunButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!preview->isRunning() && !preview->resultText().isEmpty(), 60000);

    // The same prediction made directly through the engine.
    auto engine = engine::Florence2Engine::load(checkpoint().toStdString(), {});
    QVERIFY2(engine, engine ? "" : engine.error().toString().c_str());
    const auto pixels = imaging::loadModelImage(m_window->document()->absoluteImagePath(image));
    QVERIFY(pixels);
    engine::DecodingOptions decoding;
    decoding.numBeams = 1;
    decoding.maxNewTokens = 12;
    const auto prediction = (*engine)->predict(*pixels, "<CAPTION>", {}, decoding);
    QVERIFY(prediction);
    const QString expected
        = QString::fromStdString(Json::parse(prediction->answerJson)["<CAPTION>"].get<std::string>());
    QCOMPARE(preview->resultText(), expected);

    // Accept it into the record (one undo step), then undo.
    DatasetDocument *doc = m_window->document();
    const RecordId id = doc->recordsFor(image, QStringLiteral("<CAPTION>")).first();
    const QString before = doc->record(id).suffix;
    QTest::mouseClick(child<QPushButton>(preview, "previewAcceptButton"), Qt::LeftButton);
    QCOMPARE(doc->record(id).suffix, expected.trimmed());
    doc->undoStack()->undo();
    QCOMPARE(doc->record(id).suffix, before);
    QVERIFY(!doc->isModified());
}

void TestWorkbenchFlow::compareOverTheValSplit()
{
    QTest::keyClick(m_window.get(), Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(m_window->workspaceTabs()->currentIndex(), 2);
    ui::CompareView *compare = m_window->compareView();
    auto *model = child<QLineEdit>(compare, "compareModelEdit");
    model->clear();
    QTest::keyClicks(model, checkpoint());
    compare->setSplit(Split::Val);
    compare->setTask(QStringLiteral("<CAPTION>"));
    compare->setDecoding({1, 12});
    QSignalSpy ready(compare, &ui::CompareView::reportReady);
    QTest::mouseClick(child<QPushButton>(compare, "compareRunButton"), Qt::LeftButton);
    QVERIFY(ready.wait(180000));

    // One row per distinct (image, <CAPTION>) of val.jsonl.
    std::set<std::string> images;
    for (const QByteArray &line : readFile(m_dataset + QStringLiteral("/val.jsonl")).split('\n'))
        if (!line.isEmpty() && Json::parse(line.toStdString())["prefix"] == "<CAPTION>")
            images.insert(Json::parse(line.toStdString())["image"].get<std::string>());
    QTableView *table = compare->table();
    QAbstractItemModel *rows = table->model();
    QCOMPARE(rows->rowCount(), int(images.size()));

    // Sort by ROUGE-L with a click on its header: lowest first.
    const int column = ui::CompareTableModel::Metric1Column;
    QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {},
                      QPoint(table->horizontalHeader()->sectionViewportPosition(column) + 5, 5));
    for (int row = 1; row < rows->rowCount(); ++row)
        QVERIFY(rows->index(row - 1, column).data(ui::CompareTableModel::SortRole).toDouble()
                <= rows->index(row, column).data(ui::CompareTableModel::SortRole).toDouble());

    // Enter on the worst row opens its image in the viewer.
    const QString worst = rows->index(0, ui::CompareTableModel::ImageColumn).data().toString();
    table->setFocus();
    table->setCurrentIndex(rows->index(0, 0));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(m_window->workspaceTabs()->currentIndex(), 0);
    QTRY_COMPARE(m_window->currentImage(), worst);
}

void TestWorkbenchFlow::boxDrawnMovedUndoneRelabelledSaved()
{
    QTest::keyClick(m_window.get(), Qt::Key_1, Qt::ControlModifier);
    const QString image = QStringLiteral("demo-0007.png"); // val, no <OD> record yet
    QVERIFY(select(image));
    DatasetDocument *doc = m_window->document();
    QVERIFY(doc->recordsFor(image, QStringLiteral("<OD>")).isEmpty());
    const QByteArray original = readFile(m_dataset + QStringLiteral("/val.jsonl"));
    ui::ImageView *view = m_window->imageView();
    QCOMPARE(view->image()->meta.width, 256);
    const auto at = [view](double x, double y) { return view->mapFromImage(QPointF(x, y)); };

    // Draw (B) from (64.2, 76.9) to (128.2, 153.7) px of 256: bins floor(px / 256 * 1000).
    view->setFocus();
    QTest::keyClick(view, Qt::Key_B);
    drag(view, at(64.2, 76.9), at(128.2, 153.7));
    const auto suffix = [doc, image] {
        const QVector<RecordId> od = doc->recordsFor(image, QStringLiteral("<OD>"));
        return od.isEmpty() ? QString() : doc->record(od.first()).suffix;
    };
    const QString label = m_window->boxEditor()->newBoxLabel();
    QCOMPARE(suffix(), label + QStringLiteral("<loc_250><loc_300><loc_500><loc_600>"));
    QTest::keyClick(view, Qt::Key_Escape); // leave draw mode

    // Move it 25.6 px right and down (100 bins) with one drag inside the selected box.
    QTest::mouseClick(view, Qt::LeftButton, {}, at(96.2, 115.3).toPoint());
    QCOMPARE(view->selectedBox(), 0);
    drag(view, at(96.2, 115.3), at(121.8, 140.9));
    QCOMPARE(suffix(), label + QStringLiteral("<loc_350><loc_400><loc_600><loc_700>"));
    QTest::keyClick(view, Qt::Key_Z, Qt::ControlModifier); // one undo per drag
    QCOMPARE(suffix(), label + QStringLiteral("<loc_250><loc_300><loc_500><loc_600>"));

    // Relabel from the label list, then save with the keyboard.
    m_window->boxEditor()->selectBox(0);
    auto *combo = child<QComboBox>(m_window.get(), "boxLabelCombo");
    const int pneumothorax = combo->findText(QStringLiteral("pneumothorax"));
    QVERIFY(pneumothorax >= 0);
    combo->setFocus();
    combo->showPopup();
    QTRY_VERIFY(combo->view()->isVisible());
    combo->view()->setCurrentIndex(combo->view()->model()->index(pneumothorax, 0));
    QTest::keyClick(combo->view(), Qt::Key_Return);
    QCOMPARE(suffix(), QStringLiteral("pneumothorax<loc_250><loc_300><loc_500><loc_600>"));
    QTest::keyClick(m_window.get(), Qt::Key_S, Qt::ControlModifier);
    QVERIFY(!doc->isModified());
    QCOMPARE(readFile(m_dataset + QStringLiteral("/val.jsonl")),
             original + "{\"image\": \"demo-0007.png\", \"prefix\": \"<OD>\", \"suffix\": "
                        "\"pneumothorax<loc_250><loc_300><loc_500><loc_600>\"}\n");
}

QTEST_MAIN(TestWorkbenchFlow)
#include "tst_workbench_flow.moc"

// Preview and compare on the tiny fixture model (greedy, 8 new tokens): the preview panel
// returns the same answer as the engine called directly, accepts it into the dataset as an
// updated or a new record (one undo step each); the compare view runs a split in the
// background, is cancelled after its first prediction and resumed without redoing it, fills
// its table (under QAbstractItemModelTester), sorts by a metric and worst first, and exports
// CSV, JSON and HTML that parse. A model that does not load is reported, nothing written.

#include "common/test_support.h"
#include "common/tiny_model_folder.h"

#include "dataset/dataset_document.h"
#include "engine/florence2_engine.h"
#include "imaging/model_image.h"
#include "ui/compare_job.h"
#include "ui/compare_table_model.h"
#include "ui/compare_view.h"
#include "ui/model_runner.h"
#include "ui/preview_panel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QUndoStack>
#include <QtTest>

#include <nlohmann/json.hpp>

using namespace fmw;
using namespace fmw::ui;
using Json = nlohmann::json;

namespace {

constexpr int kTimeoutMs = 120000;


QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}


void copyTree(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString target = QDir(to).filePath(QDir(from).relativeFilePath(path));
        QDir().mkpath(QFileInfo(target).absolutePath());
        if (!QFile::copy(path, target))
            qFatal("cannot copy %s", qPrintable(path));
    }
}

int lineCount(const QString &path)
{
    return int(readFile(path).count('\n'));
}

template <typename T> T *child(QWidget *parent, const char *name)
{
    T *w = parent->findChild<T *>(QLatin1String(name));
    if (!w)
        qFatal("no child %s", name);
    return w;
}

} // namespace

class TestPreviewCompare : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void previewMatchesTheEngineAndAccepts();
    void previewAcceptAddsARecordToTheSplitFile();
    void previewAndCompareReportAModelThatDoesNotLoad();
    void compareRunsCancelsResumesSortsAndExports();
    void tableModelOnDetectionReports();

private:
    // What the CLI and the panel show for a text task, computed with the engine directly.
    QString directAnswer(const QString &image, const QString &task);

    QTemporaryDir m_tmp;
    QString m_model;
    QString m_dataset;
    std::unique_ptr<DatasetDocument> m_doc;
};

void TestPreviewCompare::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = m_tmp.filePath(QStringLiteral("model"));
    QVERIFY(QDir().mkpath(m_model));
    fmwtest::writeTinyModelFolder(m_model);
}

void TestPreviewCompare::init()
{
    static int run = 0;
    m_doc.reset();
    m_dataset = m_tmp.filePath(QStringLiteral("dataset%1").arg(++run));
    copyTree(fmwtest::sourcePath(QStringLiteral("resources/demo-dataset")), m_dataset);
    // An image with no record at all, for the "new record" path.
    QVERIFY(QFile::copy(m_dataset + QStringLiteral("/images/demo-0007.png"),
        m_dataset + QStringLiteral("/images/extra.png")));
    auto doc = DatasetDocument::open(m_dataset);
    QVERIFY(doc);
    m_doc = std::move(*doc);
}

QString TestPreviewCompare::directAnswer(const QString &image, const QString &task)
{
    auto engine = engine::Florence2Engine::load(m_model.toStdString(), {});
    if (!engine)
        qFatal("load: %s", engine.error().toString().c_str());
    const auto pixels = imaging::loadModelImage(m_doc->absoluteImagePath(image));
    if (!pixels)
        qFatal("image: %s", pixels.error().toString().c_str());
    engine::DecodingOptions decoding;
    decoding.numBeams = 1;
    decoding.maxNewTokens = 8;
    const auto prediction = (*engine)->predict(*pixels, task.toStdString(), {}, decoding);
    if (!prediction)
        qFatal("predict: %s", prediction.error().toString().c_str());
    const Json answer = Json::parse(prediction->answerJson);
    return QString::fromStdString(answer[task.toStdString()].get<std::string>());
}

void TestPreviewCompare::previewMatchesTheEngineAndAccepts()
{
    const QString image = QStringLiteral("demo-0007.png");
    const QString expected = directAnswer(image, QStringLiteral("<CAPTION>"));
    QVERIFY(!expected.isEmpty());

    ModelRunner runner;
    PreviewPanel panel(&runner);
    panel.show();
    panel.setDocument(m_doc.get());
    panel.setImage(image);
    auto *run = child<QPushButton>(&panel, "previewRunButton");
    auto *result = child<QPlainTextEdit>(&panel, "previewResultText");
    auto *accept = child<QPushButton>(&panel, "previewAcceptButton");
    QVERIFY(!run->isEnabled()); // no model yet
    child<QLineEdit>(&panel, "previewModelEdit")->setText(m_model);
    child<QSpinBox>(&panel, "previewBeamsSpin")->setValue(1);
    child<QSpinBox>(&panel, "previewMaxTokensSpin")->setValue(8);
    auto *task = child<QComboBox>(&panel, "previewTaskCombo");
    task->setCurrentText(QStringLiteral("<CAPTION>"));
    QCOMPARE(task->currentText(), QStringLiteral("<CAPTION>"));
    QVERIFY(!child<QLineEdit>(&panel, "previewTextEdit")->isEnabled());
    QVERIFY(run->isEnabled());
    QVERIFY(!accept->isEnabled());

    QSignalSpy boxes(&panel, &PreviewPanel::predictedBoxesChanged);
    QTest::mouseClick(run, Qt::LeftButton);
    QVERIFY(panel.isRunning());
    QVERIFY(!run->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!result->toPlainText().isEmpty(), kTimeoutMs);
    QCOMPARE(result->toPlainText(), expected);
    QVERIFY(!panel.isRunning());
    QVERIFY(accept->isEnabled());
    QCOMPARE(boxes.count(), 1);
    QVERIFY(boxes.first().first().value<QVector<ImageView::Box>>().isEmpty()); // a caption has none

    // Accept updates the existing <CAPTION> record; undo restores it.
    const QVector<RecordId> ids = m_doc->recordsFor(image, QStringLiteral("<CAPTION>"));
    QCOMPARE(ids.size(), 1);
    const QString before = m_doc->record(ids.first()).suffix;
    const int recordsBefore = m_doc->recordCount();
    const int undoBefore = m_doc->undoStack()->count();
    QTest::mouseClick(accept, Qt::LeftButton);
    QCOMPARE(m_doc->record(ids.first()).suffix, expected.trimmed());
    QCOMPARE(m_doc->recordCount(), recordsBefore);
    QCOMPARE(m_doc->undoStack()->count(), undoBefore + 1);
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->record(ids.first()).suffix, before);

    // Another image clears the result and its boxes.
    panel.setImage(QStringLiteral("demo-0021.png"));
    QVERIFY(result->toPlainText().isEmpty());
    QVERIFY(!accept->isEnabled());
}

void TestPreviewCompare::previewAcceptAddsARecordToTheSplitFile()
{
    const QString image = QStringLiteral("extra.png");
    const QString task = QStringLiteral("<DETAILED_CAPTION>");
    QVERIFY(m_doc->recordsForImage(image).isEmpty());

    ModelRunner runner;
    PreviewPanel panel(&runner);
    panel.setDocument(m_doc.get());
    panel.setImage(image);
    panel.setModelSpec({m_model, {}});
    panel.setDecoding({1, 8});
    child<QComboBox>(&panel, "previewTaskCombo")->setCurrentText(task);
    QSignalSpy accepted(&panel, &PreviewPanel::predictionAccepted);
    panel.run();
    QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), kTimeoutMs);
    QVERIFY2(!panel.resultText().isEmpty(), qPrintable(panel.statusText()));

    const int recordsBefore = m_doc->recordCount();
    const RecordId id = panel.accept();
    QVERIFY(id != 0);
    QCOMPARE(accepted.count(), 1);
    QCOMPARE(m_doc->recordCount(), recordsBefore + 1);
    const DatasetRecord &record = m_doc->record(id);
    QCOMPARE(record.image, image);
    QCOMPARE(record.prefix, task);
    QCOMPARE(record.file, QStringLiteral("train_detailed_caption.jsonl")); // no split yet: train
    QCOMPARE(record.suffix, panel.resultText().trimmed());
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->recordCount(), recordsBefore);
    QVERIFY(m_doc->recordsFor(image, task).isEmpty());
}

void TestPreviewCompare::previewAndCompareReportAModelThatDoesNotLoad()
{
    const QString missing = m_tmp.filePath(QStringLiteral("no-such-model"));
    ModelRunner runner;
    PreviewPanel panel(&runner);
    panel.setDocument(m_doc.get());
    panel.setImage(QStringLiteral("demo-0007.png"));
    panel.setModelSpec({missing, {}});
    panel.run();
    QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), kTimeoutMs);
    QVERIFY2(panel.statusText().startsWith(QStringLiteral("Failed: ")), qPrintable(panel.statusText()));
    QVERIFY(panel.resultText().isEmpty());
    QVERIFY(!child<QPushButton>(&panel, "previewAcceptButton")->isEnabled());

    CompareView view(&runner);
    view.setDocument(m_doc.get());
    view.setModelSpec({missing, {}});
    QSignalSpy finished(&view, &CompareView::runFinished);
    view.run();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    const auto result = finished.first().first().value<BatchResult>();
    QVERIFY(!result.fatal.isEmpty());
    QCOMPARE(result.predicted, 0);
    QVERIFY(view.statusText().startsWith(QStringLiteral("Stopped: ")));
    QVERIFY(!QFileInfo::exists(view.predictionsFile()));
    QVERIFY(!view.isRunning());
}

void TestPreviewCompare::compareRunsCancelsResumesSortsAndExports()
{
    ModelRunner runner;
    CompareView view(&runner);
    view.show();
    QAbstractItemModelTester tester(view.tableModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.setDocument(m_doc.get());
    view.setModelSpec({m_model, {}});
    view.setDecoding({1, 8});
    view.setSplit(Split::Val);
    view.setTask(QStringLiteral("<CAPTION>"));
    const int total = int(collectComparePairs(*m_doc, Split::Val, QStringLiteral("<CAPTION>")).size());
    QCOMPARE(total, 5); // the demo's val.jsonl
    const QString predictions = view.predictionsFile();
    QCOMPARE(predictions, m_dataset + QStringLiteral("/.predictions/val-caption.jsonl"));

    // Cancelled right after the first prediction (on the worker thread, so deterministically).
    QSignalSpy finished(&view, &CompareView::runFinished);
    QSignalSpy ready(&view, &CompareView::reportReady);
    QMetaObject::Connection cancelAfterFirst = connect(
        &runner, &ModelRunner::batchProgress, &runner,
        [&runner](const BatchProgress &p) {
            if (p.done >= 1)
                runner.cancelAll();
        },
        Qt::DirectConnection);
    QTest::mouseClick(child<QPushButton>(&view, "compareRunButton"), Qt::LeftButton);
    QVERIFY(view.isRunning());
    QVERIFY(child<QPushButton>(&view, "compareCancelButton")->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    disconnect(cancelAfterFirst);
    auto first = finished.takeFirst().first().value<BatchResult>();
    QVERIFY2(first.fatal.isEmpty(), qPrintable(first.fatal));
    QVERIFY(first.cancelled);
    QCOMPARE(first.predicted, 1);
    QCOMPARE(lineCount(predictions), 1);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kTimeoutMs);
    QCOMPARE(view.tableModel()->rowCount(), 1); // what was finished is shown

    // Resume: the finished pair is skipped, the rest predicted, nothing written twice.
    QTest::mouseClick(child<QPushButton>(&view, "compareRunButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    const auto second = finished.takeFirst().first().value<BatchResult>();
    QVERIFY(!second.cancelled);
    QCOMPARE(second.skipped, 1);
    QCOMPARE(second.predicted, total - 1);
    QCOMPARE(second.failed, 0);
    QCOMPARE(lineCount(predictions), total);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, kTimeoutMs);
    CompareTableModel *model = view.tableModel();
    QCOMPARE(model->rowCount(), total);
    QVERIFY(view.report());
    QCOMPARE(int(view.report()->samples.size()), total);

    // Worst first by default.
    for (int row = 0; row < total; ++row)
        QCOMPARE(model->sampleAt(row), view.report()->worstFirst[size_t(row)]);

    // Sorting by a metric column puts the lowest first.
    QTableView *table = view.table();
    table->sortByColumn(CompareTableModel::Metric1Column, Qt::AscendingOrder); // ROUGE-L
    QCOMPARE(model->headerData(CompareTableModel::Metric1Column, Qt::Horizontal).toString(),
        QStringLiteral("ROUGE-L"));
    double minimum = 1e9;
    for (int row = 0; row < total; ++row)
        minimum = std::min(minimum,
            model->index(row, CompareTableModel::Metric1Column).data(CompareTableModel::SortRole).toDouble());
    QCOMPARE(model->index(0, CompareTableModel::Metric1Column).data(CompareTableModel::SortRole).toDouble(),
        minimum);
    for (int row = 1; row < total; ++row)
        QVERIFY(model->index(row - 1, CompareTableModel::Metric1Column)
                    .data(CompareTableModel::SortRole)
                    .toDouble()
            <= model->index(row, CompareTableModel::Metric1Column)
                   .data(CompareTableModel::SortRole)
                   .toDouble());
    table->sortByColumn(CompareTableModel::ImageColumn, Qt::DescendingOrder);
    QVERIFY(model->index(0, 0).data().toString() >= model->index(total - 1, 0).data().toString());
    QTest::mouseClick(child<QPushButton>(&view, "compareWorstFirstButton"), Qt::LeftButton);
    for (int row = 0; row < total; ++row)
        QCOMPARE(model->sampleAt(row), view.report()->worstFirst[size_t(row)]);

    // Selecting a row shows its diff here; Enter (or a double-click) asks for its image.
    QSignalSpy activated(&view, &CompareView::sampleActivated);
    table->setCurrentIndex(model->index(0, 0));
    QCOMPARE(activated.count(), 0);
    QVERIFY(!child<QTextBrowser>(&view, "compareReferenceView")->toPlainText().isEmpty());
    table->setFocus();
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.first().first().toString(), model->index(0, 0).data().toString());

    // Exports parse.
    const QString csv = m_tmp.filePath(QStringLiteral("compare.csv"));
    const QString json = m_tmp.filePath(QStringLiteral("compare.json"));
    const QString html = m_tmp.filePath(QStringLiteral("compare.html"));
    for (const QString &path : {csv, json, html}) {
        const Status written = view.exportReport(path);
        QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
        QVERIFY(QFileInfo::exists(path));
    }
    QVERIFY(readFile(csv).startsWith(
        "rank,image,prefix,reference,generated,exact,BLEU-4,ROUGE-L,CIDEr-D,Finding F1\r\n"));
    const Json report = Json::parse(readFile(json).toStdString());
    QCOMPARE(int(report["samples_worst_first"].size()), total);
    QCOMPARE(report["task"].get<std::string>(), std::string("<CAPTION>"));
    const QByteArray page = readFile(html);
    QVERIFY(page.startsWith("<!DOCTYPE html>") && page.contains("</html>"));
    QVERIFY(page.contains("demo-0007.png"));
    QVERIFY(!view.exportReport(m_tmp.filePath(QStringLiteral("compare.txt"))).ok());

    // Loading the saved predictions again gives the same table, without running the model.
    view.loadSaved();
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 3, kTimeoutMs);
    QCOMPARE(model->rowCount(), total);
}

void TestPreviewCompare::tableModelOnDetectionReports()
{
    CompareTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    const std::string box = "cardiomegaly<loc_100><loc_100><loc_500><loc_500>";
    auto report = std::make_shared<const eval::TaskReport>(eval::evaluateTask("<OD>",
        {{"a.png", "<OD>", box, {box}}, {"b.png", "<OD>", "", {"edema<loc_1><loc_1><loc_9><loc_9>"}},
            {"c.png", "<OD>", "cardiomegaly<loc_100><loc_100><loc_400><loc_500>", {box}}}));
    QTableView view;
    view.setModel(&model);
    view.setSortingEnabled(true);
    model.setReport(report);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.headerData(CompareTableModel::Metric0Column, Qt::Horizontal).toString(),
        QStringLiteral("Box F1"));
    QCOMPARE(model.headerData(CompareTableModel::Metric3Column, Qt::Horizontal).toString(),
        QStringLiteral("Mean IoU"));
    QCOMPARE(
        model.index(0, CompareTableModel::ImageColumn).data().toString(), QStringLiteral("b.png")); // worst
    QPersistentModelIndex best = model.index(model.rowOf(0), CompareTableModel::ImageColumn);
    view.sortByColumn(CompareTableModel::Metric3Column, Qt::DescendingOrder);
    QCOMPARE(model.index(0, CompareTableModel::ImageColumn).data().toString(), QStringLiteral("a.png"));
    QCOMPARE(best.row(), 0); // persistent indexes follow their rows
    QCOMPARE(
        model.index(1, CompareTableModel::Metric3Column).data(CompareTableModel::SortRole).toDouble(), 0.75);
    QCOMPARE(model.index(0, CompareTableModel::ExactColumn).data().toString(), QStringLiteral("yes"));

    // Replacing the report (a text task now) and clearing it.
    model.setReport(std::make_shared<const eval::TaskReport>(
        eval::evaluateTask("<CAPTION>", {{"a.png", "<CAPTION>", "Normal.", {"Normal.", "No findings."}}})));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.headerData(CompareTableModel::Metric0Column, Qt::Horizontal).toString(),
        QStringLiteral("BLEU-4"));
    QVERIFY(model.index(0, CompareTableModel::ReferenceColumn)
                .data()
                .toString()
                .contains(QStringLiteral("+1 more")));
    model.clear();
    QCOMPARE(model.rowCount(), 0);

    // <OD> text as pixel boxes for the viewer's overlay: bin centres of a 1000 x 500 image.
    const auto boxes = CompareView::odBoxes(QString::fromStdString(box), QSize(1000, 500));
    QCOMPARE(boxes.size(), 1);
    QCOMPARE(boxes.first().label, QStringLiteral("cardiomegaly"));
    QCOMPARE(boxes.first().rect, QRectF(QPointF(100.5, 50.25), QPointF(500.5, 250.25)));
}

QTEST_MAIN(TestPreviewCompare)
#include "tst_preview_compare.moc"

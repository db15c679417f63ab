#include "ui/compare_view.h"

#include "ui/model_fields.h"

#include "annotation/loc_codec.h"
#include "evaluation/detection_metrics.h"
#include "evaluation/report_export.h"
#include "evaluation/word_diff.h"
#include "ui/compare_table_model.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

namespace fmw::ui {

namespace {

struct Evaluated {
    std::shared_ptr<const eval::TaskReport> report;
    QString error;
    int predictions = 0;
};

// Reads the predictions file and scores it: a pure function for a pool thread.
Evaluated evaluateFile(const QString &path, const QVector<ComparePair> &pairs, const QString &task,
    const QString &model, const QString &adapter)
{
    Evaluated out;
    const auto predictions = readPredictions(path, model, adapter);
    if (!predictions) {
        out.error = QString::fromStdString(predictions.error().toString());
        return out;
    }
    std::vector<eval::EvaluationSample> samples = compareSamples(pairs, *predictions);
    out.predictions = int(samples.size());
    try {
        out.report = std::make_shared<const eval::TaskReport>(
            eval::evaluateTask(task.toStdString(), std::move(samples)));
    } catch (const std::exception &e) {
        out.error = QStringLiteral("%1: cannot evaluate: %2").arg(path, QString::fromUtf8(e.what()));
    }
    return out;
}

// An <OD> text as bin boxes: strictly parsed when canonical, else what upstream's tolerant
// post-processor keeps (at a 1000 px size bins survive the pixel round trip unchanged).
std::vector<loc::OdBox> odBins(const std::string &text)
{
    if (auto parsed = loc::parseOd(text))
        return *parsed;
    std::vector<loc::OdBox> boxes;
    const loc::ImageSize size {1000, 1000};
    const loc::OdResult r = loc::postProcessOd(text, size);
    for (size_t i = 0; i < r.bboxes.size(); ++i)
        boxes.push_back(
            {i < r.labels.size() ? r.labels[i] : std::string(), loc::quantizeBox(r.bboxes[i], size)});
    return boxes;
}

QString binsText(const loc::OdBox &box)
{
    return QStringLiteral("%1 [%2, %3, %4, %5]")
        .arg(QString::fromStdString(box.label).toHtmlEscaped())
        .arg(box.bins[0])
        .arg(box.bins[1])
        .arg(box.bins[2])
        .arg(box.bins[3]);
}

QString taskFileName(const QString &task)
{
    QString name = task;
    return name.remove(QLatin1Char('<')).remove(QLatin1Char('>')).toLower();
}

} // namespace

CompareView::CompareView(ModelRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("compareView"));

    m_split = new QComboBox(this);
    m_split->setObjectName(QStringLiteral("compareSplitCombo"));
    m_split->addItem(tr("train"), int(Split::Train));
    m_split->addItem(tr("val"), int(Split::Val));
    m_split->addItem(tr("test"), int(Split::Test));
    m_split->setCurrentIndex(1);
    m_task = new QComboBox(this);
    m_task->setObjectName(QStringLiteral("compareTaskCombo"));
    m_task->addItems(
        {QStringLiteral("<CAPTION>"), QStringLiteral("<DETAILED_CAPTION>"), QStringLiteral("<OD>")});
    m_fields = new ModelFields(QStringLiteral("compare"), this);
    m_modelEdit = m_fields->model();
    m_modelButton = m_fields->modelButton();
    m_adapter = m_fields->adapter();
    m_beams = m_fields->beams();
    m_maxTokens = m_fields->maxTokens();
    m_device = m_fields->device();
    m_precision = m_fields->precision();

    m_run = new QPushButton(tr("Run"), this);
    m_run->setObjectName(QStringLiteral("compareRunButton"));
    m_run->setToolTip(tr("Predict the split's pairs not predicted yet, then evaluate (Ctrl+Return)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("compareCancelButton"));
    m_cancel->setToolTip(tr("Stop after the prediction in flight; Run resumes where it stopped (Esc)"));
    m_load = new QPushButton(tr("Show saved"), this);
    m_load->setObjectName(QStringLiteral("compareLoadButton"));
    m_load->setToolTip(tr("Evaluate the predictions already saved for this split and task"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("compareProgressBar"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("compareStatusLabel"));
    m_status->setTextFormat(Qt::PlainText); // task names look like HTML tags
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_metrics = new QTextBrowser(this);
    m_metrics->setObjectName(QStringLiteral("compareMetricsView"));
    m_metrics->setMaximumHeight(160);

    m_worstFirst = new QPushButton(tr("Worst first"), this);
    m_worstFirst->setObjectName(QStringLiteral("compareWorstFirstButton"));
    m_worstFirst->setToolTip(
        tr("Sort worst first: lowest finding F1, then lowest ROUGE-L (<OD>: lowest box F1)"));
    m_export = new QToolButton(this);
    m_export->setObjectName(QStringLiteral("compareExportButton"));
    m_export->setText(tr("Export"));
    m_export->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(m_export);
    m_exportCsv = exportMenu->addAction(tr("CSV…"));
    m_exportCsv->setObjectName(QStringLiteral("compareExportCsvAction"));
    m_exportJson = exportMenu->addAction(tr("JSON…"));
    m_exportJson->setObjectName(QStringLiteral("compareExportJsonAction"));
    m_exportHtml = exportMenu->addAction(tr("HTML…"));
    m_exportHtml->setObjectName(QStringLiteral("compareExportHtmlAction"));
    m_export->setMenu(exportMenu);

    m_model = new CompareTableModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("compareTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    // Selecting a row shows it side by side here; double-click or Enter opens the image.
    connect(m_table, &QTableView::activated, this, &CompareView::onRowActivated);
    m_table->horizontalHeader()->setSectionResizeMode(
        CompareTableModel::ReferenceColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(
        CompareTableModel::GeneratedColumn, QHeaderView::Stretch);

    m_referenceView = new QTextBrowser(this);
    m_referenceView->setObjectName(QStringLiteral("compareReferenceView"));
    m_generatedView = new QTextBrowser(this);
    m_generatedView->setObjectName(QStringLiteral("compareGeneratedView"));
    m_boxesView = new QTextBrowser(this);
    m_boxesView->setObjectName(QStringLiteral("compareBoxesView"));
    m_boxesView->hide();

    // Layout: settings, run row, metrics; then the table above the side-by-side diff.
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_modelEdit);
    modelRow->addWidget(m_modelButton);
    auto *settingsRow = new QHBoxLayout;
    settingsRow->addWidget(new QLabel(tr("Split"), this));
    settingsRow->addWidget(m_split);
    settingsRow->addWidget(new QLabel(tr("Task"), this));
    settingsRow->addWidget(m_task);
    settingsRow->addWidget(new QLabel(tr("Beams"), this));
    settingsRow->addWidget(m_beams);
    settingsRow->addWidget(new QLabel(tr("Max tokens"), this));
    settingsRow->addWidget(m_maxTokens);
    settingsRow->addWidget(m_device);
    settingsRow->addWidget(m_precision);
    settingsRow->addStretch();
    auto *form = new QFormLayout;
    form->addRow(tr("Model"), modelRow);
    auto *adapterRow = new QHBoxLayout;
    adapterRow->addWidget(m_adapter);
    adapterRow->addWidget(m_fields->adapterButton());
    form->addRow(tr("Adapter"), adapterRow);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_run);
    runRow->addWidget(m_cancel);
    runRow->addWidget(m_load);
    runRow->addWidget(m_progress, 1);
    runRow->addWidget(m_worstFirst);
    runRow->addWidget(m_export);

    auto *diff = new QWidget(this);
    auto *diffLayout = new QHBoxLayout(diff);
    diffLayout->setContentsMargins(0, 0, 0, 0);
    auto *referenceBox = new QVBoxLayout;
    referenceBox->addWidget(new QLabel(tr("Reference (removed words struck out)"), diff));
    referenceBox->addWidget(m_referenceView);
    auto *generatedBox = new QVBoxLayout;
    generatedBox->addWidget(new QLabel(tr("Generated (added words highlighted)"), diff));
    generatedBox->addWidget(m_generatedView);
    diffLayout->addLayout(referenceBox);
    diffLayout->addLayout(generatedBox);
    diffLayout->addWidget(m_boxesView);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("compareSplitter"));
    splitter->addWidget(m_table);
    splitter->addWidget(diff);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(settingsRow);
    layout->addLayout(runRow);
    layout->addWidget(m_status);
    layout->addWidget(m_metrics);
    layout->addWidget(splitter, 1);

    auto *runShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    runShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    auto *cancelShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    cancelShortcut->setContext(Qt::WidgetWithChildrenShortcut);

    connect(m_run, &QPushButton::clicked, this, &CompareView::run);
    connect(runShortcut, &QShortcut::activated, this, &CompareView::run);
    connect(m_cancel, &QPushButton::clicked, this, &CompareView::cancel);
    connect(cancelShortcut, &QShortcut::activated, this, &CompareView::cancel);
    connect(m_load, &QPushButton::clicked, this, &CompareView::loadSaved);
    connect(m_worstFirst, &QPushButton::clicked, this,
        [this] { m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder); });
    connect(m_exportCsv, &QAction::triggered, this,
        [this] { exportWithDialog(tr("CSV (*.csv)"), QStringLiteral(".csv")); });
    connect(m_exportJson, &QAction::triggered, this,
        [this] { exportWithDialog(tr("JSON (*.json)"), QStringLiteral(".json")); });
    connect(m_exportHtml, &QAction::triggered, this,
        [this] { exportWithDialog(tr("HTML (*.html)"), QStringLiteral(".html")); });
    connect(m_modelEdit, &QLineEdit::textChanged, this, &CompareView::updateEnabled);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &CompareView::onCurrentRowChanged);
    connect(m_runner, &ModelRunner::batchProgress, this, &CompareView::onProgress);
    connect(m_runner, &ModelRunner::batchFinished, this, &CompareView::onFinished);
    showMetrics();
    updateEnabled();
}

CompareView::~CompareView()
{
    if (m_batchId && m_runner)
        m_runner->cancel(m_batchId);
}

void CompareView::setDocument(DatasetDocument *document)
{
    cancel();
    m_document = document;
    m_pairs.clear();
    ++m_evaluation;
    showReport(nullptr);
    setStatus({});
    updateEnabled();
}

ModelSpec CompareView::modelSpec() const { return m_fields->spec(); }

void CompareView::setModelSpec(const ModelSpec &spec) { m_fields->setSpec(spec); }

DecodingSettings CompareView::decoding() const { return m_fields->decoding(); }

void CompareView::setDecoding(const DecodingSettings &decoding) { m_fields->setDecoding(decoding); }

void CompareView::setSplit(Split split)
{
    m_split->setCurrentIndex(std::max(0, m_split->findData(int(split))));
}

Split CompareView::split() const
{
    return Split(m_split->currentData().toInt());
}

void CompareView::setTask(const QString &task)
{
    m_task->setCurrentText(task);
}

QString CompareView::task() const
{
    return m_task->currentText();
}

QString CompareView::predictionsFile() const
{
    return m_document ? predictionsPath(m_document->rootDir(), split(), task()) : QString();
}

QString CompareView::statusText() const
{
    return m_status->text();
}

void CompareView::run()
{
    if (!m_runner || !m_document || isRunning() || modelSpec().model.isEmpty())
        return;
    m_pairs = collectComparePairs(*m_document, split(), task());
    if (m_pairs.isEmpty()) {
        setStatus(tr("No %1 records in the %2 split.").arg(task(), splitName(split())));
        return;
    }
    m_outPath = predictionsFile();
    BatchRequest request;
    request.spec = modelSpec();
    request.decoding = decoding();
    request.outPath = m_outPath;
    for (const ComparePair &pair : m_pairs)
        request.items.push_back({pair.image, m_document->absoluteImagePath(pair.image), pair.prefix});
    m_progress->setRange(0, int(m_pairs.size()));
    m_progress->setValue(0);
    m_batchId = m_runner->runBatch(request);
    setStatus(tr("Loading the model and predicting %n pair(s)…", nullptr, int(m_pairs.size())));
    updateEnabled();
}

void CompareView::cancel()
{
    if (!m_batchId)
        return;
    if (m_runner)
        m_runner->cancel(m_batchId);
    setStatus(tr("Cancelling after the prediction in flight…"));
}

void CompareView::loadSaved()
{
    if (!m_document || isRunning())
        return;
    m_pairs = collectComparePairs(*m_document, split(), task());
    m_outPath = predictionsFile();
    evaluate({}, {});
}

void CompareView::onProgress(const BatchProgress &progress)
{
    if (progress.id != m_batchId)
        return;
    m_progress->setRange(0, progress.total);
    m_progress->setValue(progress.done);
    QString text = tr("Predicted %1 of %2").arg(progress.done).arg(progress.total);
    if (progress.skipped)
        text += tr(" (%n resumed from the saved predictions)", nullptr, progress.skipped);
    if (progress.failed)
        text += tr(", %n failed", nullptr, progress.failed);
    setStatus(text + QStringLiteral("…"));
}

void CompareView::onFinished(const BatchResult &result)
{
    if (result.id != m_batchId)
        return;
    m_batchId = 0;
    updateEnabled();
    QString text;
    if (!result.fatal.isEmpty()) {
        text = tr("Stopped: %1").arg(result.fatal);
    } else {
        text = result.cancelled ? tr("Cancelled: ") : tr("Done: ");
        text += tr("%1 predicted, %2 resumed, %3 failed of %4.")
                    .arg(result.predicted)
                    .arg(result.skipped)
                    .arg(result.failed)
                    .arg(result.total);
        if (!result.errors.isEmpty())
            text += QLatin1Char('\n') + result.errors.join(QLatin1Char('\n'));
    }
    setStatus(text);
    emit runFinished(result);
    if (result.fatal.isEmpty() || result.predicted + result.skipped > 0)
        evaluate(result.model, result.adapter);
}

void CompareView::evaluate(const QString &model, const QString &adapter)
{
    const int generation = ++m_evaluation;
    auto *watcher = new QFutureWatcher<Evaluated>(this);
    connect(watcher, &QFutureWatcher<Evaluated>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_evaluation)
            return;
        const Evaluated e = watcher->result();
        if (!e.error.isEmpty()) {
            setStatus(m_status->text() + QLatin1Char('\n') + e.error);
            return;
        }
        showReport(e.report);
        emit reportReady();
    });
    watcher->setFuture(QtConcurrent::run(evaluateFile, m_outPath, m_pairs, task(), model, adapter));
}

void CompareView::showReport(std::shared_ptr<const eval::TaskReport> report)
{
    m_report = std::move(report);
    m_model->setReport(m_report);
    // Worst first by default; the header shows no indicator for that order.
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_boxesView->setVisible(m_report && m_report->detection);
    showMetrics();
    showSample(-1);
    updateEnabled();
}

void CompareView::showMetrics()
{
    if (!m_report) {
        m_metrics->setHtml(tr("<p>Run the model over a split to see corpus metrics here.</p>"));
        return;
    }
    QString html = tr("<p><b>%1</b>, %2 split: %n sample(s).</p>", nullptr, int(m_report->samples.size()))
                       .arg(QString::fromStdString(m_report->task).toHtmlEscaped(), splitName(split()));
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"3\">");
    for (const eval::CorpusMetric &m : eval::corpusMetrics(*m_report))
        html += QStringLiteral("<tr><td><b>%1</b></td><td align=\"right\">%2</td><td>%3</td></tr>")
                    .arg(QString::fromStdString(m.name).toHtmlEscaped())
                    .arg(m.value, 0, 'f', 4)
                    .arg(QString::fromStdString(m.definition).toHtmlEscaped());
    html += QStringLiteral("</table><ul>");
    for (const std::string &note : eval::metricNotes())
        html += QStringLiteral("<li>%1</li>").arg(QString::fromStdString(note).toHtmlEscaped());
    m_metrics->setHtml(html + QStringLiteral("</ul>"));
}

void CompareView::onCurrentRowChanged() { showSample(m_model->sampleAt(m_table->currentIndex().row())); }

void CompareView::onRowActivated(const QModelIndex &index)
{
    const int sample = m_model->sampleAt(index.row());
    if (!m_report || sample < 0)
        return;
    const eval::EvaluationSample &s = m_report->samples[size_t(sample)];
    emit sampleActivated(QString::fromStdString(s.image), QString::fromStdString(s.prefix),
        QString::fromStdString(s.prediction));
}

void CompareView::showSample(int sample)
{
    if (!m_report || sample < 0) {
        m_referenceView->clear();
        m_generatedView->clear();
        m_boxesView->clear();
        return;
    }
    const eval::EvaluationSample &s = m_report->samples[size_t(sample)];
    const std::string reference = s.references.empty() ? std::string() : s.references.front();
    const std::vector<eval::DiffOp> ops = eval::diffWords(reference, s.prediction);
    QString referenceHtml = QString::fromStdString(eval::diffHtml(ops, true));
    for (size_t r = 1; r < s.references.size(); ++r)
        referenceHtml += QStringLiteral("<hr>") + QString::fromStdString(eval::htmlEscape(s.references[r]));
    m_referenceView->setHtml(referenceHtml);
    m_generatedView->setHtml(QString::fromStdString(eval::diffHtml(ops, false)));
    if (!m_report->detection)
        return;

    // Predicted vs reference boxes, matched one-to-one as the detection metrics match them.
    const std::vector<loc::OdBox> predicted = odBins(s.prediction);
    const auto parsedReference = loc::parseOd(reference);
    if (!parsedReference) {
        m_boxesView->setHtml(
            tr("<p>The reference does not parse: %1</p>")
                .arg(QString::fromStdString(parsedReference.error().message).toHtmlEscaped()));
        return;
    }
    const std::vector<loc::OdBox> &references = *parsedReference;
    const auto matches = eval::matchBoxes(predicted, references, m_report->detection->iouThreshold);
    std::vector<bool> predictionMatched(predicted.size()), referenceMatched(references.size());
    QString html = tr("<table cellpadding=\"3\"><tr><th>Predicted</th><th>Reference</th><th>IoU</th></tr>");
    for (const eval::BoxMatch &m : matches) {
        predictionMatched[size_t(m.prediction)] = true;
        referenceMatched[size_t(m.reference)] = true;
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td align=\"right\">%3</td></tr>")
                    .arg(binsText(predicted[size_t(m.prediction)]), binsText(references[size_t(m.reference)]))
                    .arg(m.iou, 0, 'f', 3);
    }
    for (size_t p = 0; p < predicted.size(); ++p) {
        if (predictionMatched[p])
            continue;
        double best = 0;
        for (const loc::OdBox &r : references)
            best = std::max(best, eval::boxIou(predicted[p].bins, r.bins));
        html += tr("<tr><td style=\"background:#f8c8c8\">%1</td><td>(false positive)</td><td "
                   "align=\"right\">best %2</td></tr>")
                    .arg(binsText(predicted[p]))
                    .arg(best, 0, 'f', 3);
    }
    for (size_t r = 0; r < references.size(); ++r) {
        if (!referenceMatched[r])
            html += tr("<tr><td>(missed)</td><td style=\"background:#f8c8c8\">%1</td><td></td></tr>")
                        .arg(binsText(references[r]));
    }
    m_boxesView->setHtml(html + QStringLiteral("</table>"));
}

Status CompareView::exportReport(const QString &path) const
{
    if (!m_report)
        return makeError(ErrorCode::InvalidArgument, "nothing to export: run or load a comparison first",
            path.toStdString());
    const auto format = eval::reportFormatForPath(path.toStdString());
    if (!format)
        return format.error();
    const QString title
        = tr("%1 on the %2 split").arg(QString::fromStdString(m_report->task), splitName(split()));
    return eval::writeReport(path.toStdString(), *format, *m_report, title.toStdString());
}

void CompareView::exportWithDialog(const QString &filter, const QString &suffix)
{
    if (!m_report)
        return;
    const QString suggested = m_document
        ? QDir(m_document->rootDir())
              .filePath(
                  QStringLiteral("compare-%1-%2%3").arg(splitName(split()), taskFileName(task()), suffix))
        : QString();
    QString path = QFileDialog::getSaveFileName(this, tr("Export the comparison"), suggested, filter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(suffix, Qt::CaseInsensitive))
        path += suffix;
    const Status written = exportReport(path);
    setStatus(written ? tr("Exported %1.").arg(path)
                      : tr("Export failed: %1").arg(QString::fromStdString(written.error().toString())));
}

QVector<ImageView::Box> CompareView::odBoxes(const QString &odText, QSize size)
{
    QVector<ImageView::Box> boxes;
    const loc::OdResult r
        = loc::postProcessOd(odText.toStdString(), {double(size.width()), double(size.height())});
    for (size_t i = 0; i < r.bboxes.size(); ++i) {
        const loc::BoxPx &b = r.bboxes[i];
        boxes.push_back({i < r.labels.size() ? QString::fromStdString(r.labels[i]) : QString(),
            QRectF(QPointF(b[0], b[1]), QPointF(b[2], b[3]))});
    }
    return boxes;
}

void CompareView::updateEnabled()
{
    const bool running = isRunning();
    m_run->setEnabled(m_document && !running && !m_modelEdit->text().trimmed().isEmpty());
    m_cancel->setEnabled(running);
    m_load->setEnabled(m_document && !running);
    m_split->setEnabled(!running);
    m_task->setEnabled(!running);
    m_export->setEnabled(bool(m_report));
    m_worstFirst->setEnabled(bool(m_report));
}

void CompareView::setStatus(const QString &text)
{
    m_status->setText(text);
}

} // namespace fmw::ui

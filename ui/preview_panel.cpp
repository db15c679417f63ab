#include "ui/preview_panel.h"

#include "ui/model_fields.h"

#include "annotation/loc_codec.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QVBoxLayout>

namespace fmw::ui {

namespace {

const QString kGrounding = QStringLiteral("<CAPTION_TO_PHRASE_GROUNDING>");
const QString kOd = QStringLiteral("<OD>");

} // namespace

PreviewPanel::PreviewPanel(ModelRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("previewPanel"));

    m_fields = new ModelFields(QStringLiteral("preview"), this);
    m_model = m_fields->model();
    m_modelButton = m_fields->modelButton();
    m_adapter = m_fields->adapter();
    m_adapterButton = m_fields->adapterButton();
    m_beams = m_fields->beams();
    m_maxTokens = m_fields->maxTokens();
    m_device = m_fields->device();
    m_precision = m_fields->precision();

    m_task = new QComboBox(this);
    m_task->setObjectName(QStringLiteral("previewTaskCombo"));
    m_task->addItems(tasks());
    m_task->setToolTip(tr("What the model is asked: a short caption (impression), a detailed caption "
                          "(findings), boxes, or boxes for a phrase"));
    m_text = new QLineEdit(this);
    m_text->setObjectName(QStringLiteral("previewTextEdit"));
    m_text->setPlaceholderText(tr("Phrase to ground, e.g. pleural effusion"));

    m_run = new QPushButton(tr("Run"), this);
    m_run->setObjectName(QStringLiteral("previewRunButton"));
    m_run->setToolTip(tr("Run the model on the current image (Ctrl+Return)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("previewCancelButton"));
    m_result = new QPlainTextEdit(this);
    m_result->setObjectName(QStringLiteral("previewResultText"));
    m_result->setPlaceholderText(tr("The model's answer appears here; edit it before accepting if needed."));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("previewStatusLabel"));
    m_status->setTextFormat(Qt::PlainText); // task names look like HTML tags
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_accept = new QPushButton(tr("Accept into dataset"), this);
    m_accept->setObjectName(QStringLiteral("previewAcceptButton"));
    m_accept->setToolTip(tr("Write the answer into this image's record for the task, or add one "
                            "(Ctrl+Shift+Return; undoable)"));

    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model);
    modelRow->addWidget(m_modelButton);
    auto *adapterRow = new QHBoxLayout;
    adapterRow->addWidget(m_adapter);
    adapterRow->addWidget(m_adapterButton);
    auto *decodingRow = new QHBoxLayout;
    decodingRow->addWidget(new QLabel(tr("Beams"), this));
    decodingRow->addWidget(m_beams);
    decodingRow->addWidget(new QLabel(tr("Max tokens"), this));
    decodingRow->addWidget(m_maxTokens);
    auto *form = new QFormLayout;
    form->addRow(tr("Model"), modelRow);
    form->addRow(tr("Adapter"), adapterRow);
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Phrase"), m_text);
    form->addRow(tr("Decoding"), decodingRow);
    auto *deviceRow = new QHBoxLayout;
    deviceRow->addWidget(m_device);
    deviceRow->addWidget(m_precision);
    form->addRow(tr("Device"), deviceRow);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_run);
    runRow->addWidget(m_cancel);
    runRow->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(runRow);
    layout->addWidget(m_result, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_accept);

    auto *runShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    runShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    auto *acceptShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return), this);
    acceptShortcut->setContext(Qt::WidgetWithChildrenShortcut);

    connect(m_run, &QPushButton::clicked, this, &PreviewPanel::run);
    connect(runShortcut, &QShortcut::activated, this, &PreviewPanel::run);
    connect(m_cancel, &QPushButton::clicked, this, &PreviewPanel::cancel);
    connect(m_accept, &QPushButton::clicked, this, [this] { accept(); });
    connect(acceptShortcut, &QShortcut::activated, this, [this] { accept(); });
    connect(m_model, &QLineEdit::textChanged, this, &PreviewPanel::updateEnabled);
    connect(m_task, &QComboBox::currentTextChanged, this, &PreviewPanel::updateEnabled);
    connect(m_result, &QPlainTextEdit::textChanged, this, &PreviewPanel::updateEnabled);
    connect(m_runner, &ModelRunner::predictionFinished, this, &PreviewPanel::onResult);
    connect(m_runner, &ModelRunner::modelLoaded, this, [this](const QString &description) {
        if (isRunning())
            setStatus(tr("Loaded %1; running…").arg(description));
    });
    updateEnabled();
}

PreviewPanel::~PreviewPanel()
{
    if (m_requestId && m_runner)
        m_runner->cancel(m_requestId);
}

QStringList PreviewPanel::tasks()
{
    return {QStringLiteral("<CAPTION>"), QStringLiteral("<DETAILED_CAPTION>"), kOd, kGrounding};
}

QStringList PreviewPanel::acceptableTasks()
{
    return {QStringLiteral("<CAPTION>"), QStringLiteral("<DETAILED_CAPTION>"), kOd};
}

void PreviewPanel::setDocument(DatasetDocument *document)
{
    m_document = document;
    setImage({});
}

QString PreviewPanel::task() const { return m_task->currentText(); }

bool PreviewPanel::setTask(const QString &task)
{
    const int index = m_task->findText(task);
    if (index < 0)
        return false;
    m_task->setCurrentIndex(index);
    return true;
}

void PreviewPanel::setImage(const QString &image)
{
    if (image == m_image && !image.isEmpty())
        return;
    m_image = image;
    cancel(); // a result for the previous image must not land on this one
    clearResult();
    updateEnabled();
}

ModelSpec PreviewPanel::modelSpec() const { return m_fields->spec(); }

void PreviewPanel::setModelSpec(const ModelSpec &spec) { m_fields->setSpec(spec); }

DecodingSettings PreviewPanel::decoding() const { return m_fields->decoding(); }

void PreviewPanel::setDecoding(const DecodingSettings &decoding) { m_fields->setDecoding(decoding); }

QString PreviewPanel::resultText() const
{
    return m_result->toPlainText();
}

QString PreviewPanel::statusText() const
{
    return m_status->text();
}

void PreviewPanel::run()
{
    if (!m_runner || !m_document || m_image.isEmpty() || modelSpec().model.isEmpty() || isRunning())
        return;
    const QString task = m_task->currentText();
    if (task == kGrounding && m_text->text().trimmed().isEmpty()) {
        setStatus(tr("Type the phrase to ground first."));
        return;
    }
    clearResult();
    PredictRequest request;
    request.spec = modelSpec();
    request.decoding = decoding();
    request.imagePath = m_document->absoluteImagePath(m_image);
    request.image = m_image;
    request.task = task;
    request.text = task == kGrounding ? m_text->text().trimmed() : QString();
    m_requestId = m_runner->predict(request);
    setStatus(tr("Running %1 on %2…").arg(task, m_image));
    updateEnabled();
    emit runningChanged(true);
}

void PreviewPanel::cancel()
{
    if (!m_requestId)
        return;
    // The prediction in flight cannot be interrupted; its result is dropped when it arrives.
    if (m_runner)
        m_runner->cancel(m_requestId);
    m_requestId = 0;
    setStatus(tr("Cancelled."));
    updateEnabled();
    emit runningChanged(false);
}

void PreviewPanel::onResult(const PredictResult &result)
{
    if (result.id != m_requestId || result.id == 0)
        return;
    m_requestId = 0;
    emit runningChanged(false);
    if (!result.ok) {
        setStatus(result.cancelled ? tr("Cancelled.") : tr("Failed: %1").arg(result.error));
        updateEnabled();
        return;
    }
    m_hasResult = true;
    m_resultImage = result.image;
    m_resultTask = result.task;
    QString answer = result.answer;
    QString note;
    if (result.task == kOd && !loc::parseOd(answer.toStdString()) && !result.boxes.isEmpty()) {
        // Not canonical (typically cut off mid-box): offer the boxes upstream's tolerant
        // post-processor kept, re-encoded by the codec, so the answer can be accepted.
        std::vector<loc::OdBox> boxes;
        const loc::ImageSize size {double(result.imageSize.width()), double(result.imageSize.height())};
        for (const PredictedBox &b : result.boxes) {
            const QRectF &r = b.rect;
            boxes.push_back({b.label.toStdString(),
                loc::quantizeBox(
                    {float(r.left()), float(r.top()), float(r.right()), float(r.bottom())}, size)});
        }
        answer = QString::fromStdString(loc::formatOd(boxes));
        note = tr(" (tidied: the boxes the post-processor kept)");
    }
    m_result->setPlainText(answer);
    setStatus(
        tr("%1 on %2 in %3 s%4%5")
            .arg(result.task, result.image)
            .arg(result.milliseconds / 1000.0, 0, 'f', 1)
            .arg(result.boxes.isEmpty() ? QString() : tr(", %n box(es)", nullptr, int(result.boxes.size())),
                note));
    m_result->setToolTip(tr("Generated: %1").arg(result.generatedText.toHtmlEscaped()));
    QVector<ImageView::Box> boxes;
    for (const PredictedBox &b : result.boxes)
        boxes.push_back({b.label, b.rect});
    updateEnabled();
    emit predictedBoxesChanged(boxes);
}

QString PreviewPanel::fileForNewRecord(const QString &image, const QString &task) const
{
    const QString variant
        = task == QLatin1String("<DETAILED_CAPTION>") ? QStringLiteral("_detailed_caption") : QString();
    Split split = Split::Train;
    const QVector<RecordId> existing = m_document->recordsForImage(image);
    if (!existing.isEmpty()) {
        const QString file = m_document->record(existing.first()).file;
        split = splitOfFile(QFileInfo(file).fileName());
        if (split == Split::Other)
            return file; // a custom file: keep the image's records together
    }
    return splitFileName(split, variant);
}

RecordId PreviewPanel::accept()
{
    if (!m_document || !m_hasResult || !acceptableTasks().contains(m_resultTask))
        return 0;
    const QString text = m_result->toPlainText().trimmed();
    if (m_resultTask == kOd) {
        const auto boxes = loc::parseOd(text.toStdString());
        if (!boxes) {
            setStatus(tr("Not accepted: the boxes do not parse (%1).")
                          .arg(QString::fromStdString(boxes.error().message)));
            return 0;
        }
    } else if (text.isEmpty()) {
        setStatus(tr("Not accepted: the answer is empty."));
        return 0;
    }
    const QVector<RecordId> ids = m_document->recordsFor(m_resultImage, m_resultTask);
    RecordId id = 0;
    if (!ids.isEmpty()) {
        id = ids.first();
        if (m_document->record(id).suffix != text)
            m_document->setCaption(id, text);
        setStatus(tr("Updated the %1 record of %2.").arg(m_resultTask, m_resultImage));
    } else {
        const QString file = fileForNewRecord(m_resultImage, m_resultTask);
        id = m_document->addRecord(file, m_resultImage, m_resultTask, text);
        setStatus(tr("Added a %1 record for %2 to %3.").arg(m_resultTask, m_resultImage, file));
    }
    emit predictionAccepted(id);
    return id;
}

void PreviewPanel::clearResult()
{
    const bool hadBoxes = m_hasResult;
    m_hasResult = false;
    m_resultImage.clear();
    m_resultTask.clear();
    m_result->clear();
    m_result->setToolTip({});
    if (hadBoxes)
        emit predictedBoxesChanged({});
}

void PreviewPanel::updateEnabled()
{
    const bool ready = m_document && !m_image.isEmpty() && !m_model->text().trimmed().isEmpty();
    m_run->setEnabled(ready && !isRunning());
    m_cancel->setEnabled(isRunning());
    m_text->setEnabled(m_task->currentText() == kGrounding);
    m_accept->setEnabled(m_document && m_hasResult && acceptableTasks().contains(m_resultTask)
        && !m_result->toPlainText().trimmed().isEmpty());
}

void PreviewPanel::setStatus(const QString &text)
{
    m_status->setText(text);
}

} // namespace fmw::ui

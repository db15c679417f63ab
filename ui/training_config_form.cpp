#include "ui/training_config_form.h"

#include "training/training_config.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QTemporaryFile>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace fmw::ui {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

// A YAML double-quoted scalar: reads back as exactly `s`, whatever it holds.
QString quoted(const QString &s)
{
    QString out = QStringLiteral("\"");
    for (const QChar c : s) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            out += QLatin1Char('\\');
        if (c.unicode() < 0x20) {
            out += QStringLiteral("\\x%1").arg(int(c.unicode()), 2, 16, QLatin1Char('0'));
            continue;
        }
        out += c;
    }
    return out + QLatin1Char('"');
}

// "a, b c" -> ["a", "b", "c"] as a YAML flow sequence
QString quotedList(const QString &text)
{
    QStringList items;
    for (const QString &item : text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
        items << quoted(item);
    return QLatin1Char('[') + items.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QString joinedList(const std::vector<std::string> &items)
{
    QStringList out;
    for (const std::string &s : items)
        out << fromStd(s);
    return out.join(QStringLiteral(", "));
}

QString number(double v)
{
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

void setCombo(QComboBox *combo, const QString &text)
{
    const int i = combo->findText(text);
    if (i >= 0)
        combo->setCurrentIndex(i);
    else if (combo->isEditable())
        combo->setEditText(text);
}

} // namespace

TrainingConfigForm::TrainingConfigForm(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("trainingConfigForm"));
    qRegisterMetaType<ModelFolderReport>();
    buildUi();
    fill(training::TrainingOptions {});
    m_trainJson->clear();
    m_imageDir->clear();
    m_model->clear();
    m_outputDir->clear();
    setModified(false);

    // Checking a folder reads files (and may build the demo model): after typing pauses, off-thread.
    m_modelCheckTimer.setSingleShot(true);
    m_modelCheckTimer.setInterval(400);
    connect(&m_modelCheckTimer, &QTimer::timeout, this, &TrainingConfigForm::startModelCheck);
    connect(m_model, &QLineEdit::textChanged, &m_modelCheckTimer, qOverload<>(&QTimer::start));
    connect(&m_modelWatcher, &QFutureWatcher<ModelFolderReport>::finished, this, [this] {
        m_modelReport = m_modelWatcher.result();
        if (m_modelCheckAgain || m_modelReport.spec != m_model->text()) {
            m_modelCheckAgain = false;
            startModelCheck();
            return;
        }
        m_modelInfo->setText(m_modelReport.summary());
        m_modelInfo->setToolTip(m_modelReport.folder);
        m_modelInfo->setProperty("error", !m_modelReport.usable());
        m_modelInfo->setStyleSheet(m_modelReport.usable() ? QString() : QStringLiteral("color: #c0392b;"));
        emit modelChecked(m_modelReport);
    });
}

TrainingConfigForm::~TrainingConfigForm()
{
    m_modelWatcher.waitForFinished();
}

QLineEdit *TrainingConfigForm::addPathRow(QFormLayout *form, const QString &label, const QString &key,
    const QString &objectName, bool directory, const QString &filter)
{
    auto *edit = new QLineEdit(this);
    edit->setObjectName(objectName);
    edit->setToolTip(tr("%1 (relative paths: to the config folder's parent, the project root)").arg(key));
    auto *browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    browse->setObjectName(objectName + QStringLiteral("Browse"));
    browse->setToolTip(tr("Choose %1").arg(key));
    connect(browse, &QToolButton::clicked, this, [=] { browsePath(edit, directory, filter); });
    auto *row = new QHBoxLayout;
    row->setSpacing(2);
    row->addWidget(edit, 1);
    row->addWidget(browse);
    form->addRow(label, row);
    return edit;
}

void TrainingConfigForm::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    // The config file row
    m_configPath = new QLineEdit(this);
    m_configPath->setObjectName(QStringLiteral("configPathEdit"));
    m_configPath->setPlaceholderText(tr("configs/config.yaml"));
    m_configPath->setToolTip(tr("The training config (YAML). Enter loads it."));
    auto *browse = new QToolButton(this);
    browse->setObjectName(QStringLiteral("configBrowseButton"));
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a config file"));
    m_load = new QPushButton(tr("&Load"), this);
    m_load->setObjectName(QStringLiteral("loadConfigButton"));
    m_load->setToolTip(tr("Read the config file into the form"));
    m_save = new QPushButton(tr("&Save"), this);
    m_save->setObjectName(QStringLiteral("saveConfigButton"));
    m_save->setToolTip(tr("Validate and write the config (every key, paths absolute) to the file"));
    m_validate = new QPushButton(tr("&Validate"), this);
    m_validate->setObjectName(QStringLiteral("validateButton"));
    m_validate->setToolTip(tr("Check every value as the trainer will read it"));
    auto *fileRow = new QHBoxLayout;
    fileRow->setSpacing(2);
    fileRow->addWidget(m_configPath, 1);
    fileRow->addWidget(browse);
    layout->addLayout(fileRow);
    auto *fileButtons = new QHBoxLayout;
    fileButtons->addStretch(1);
    fileButtons->addWidget(m_load);
    fileButtons->addWidget(m_save);
    fileButtons->addWidget(m_validate);
    layout->addLayout(fileButtons);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("configStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    connect(browse, &QToolButton::clicked, this, &TrainingConfigForm::browseConfig);
    connect(m_load, &QPushButton::clicked, this, [this] { load(m_configPath->text().trimmed()); });
    connect(m_configPath, &QLineEdit::returnPressed, this, [this] { load(m_configPath->text().trimmed()); });
    connect(m_save, &QPushButton::clicked, this, &TrainingConfigForm::saveClicked);
    connect(m_validate, &QPushButton::clicked, this, &TrainingConfigForm::validateAndShow);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addLayout(form);
    const QString jsonl = tr("JSONL files (*.jsonl *.json);;All files (*)");
    m_trainJson = addPathRow(
        form, tr("Train JSONL"), QStringLiteral("train_json"), QStringLiteral("trainJsonEdit"), false, jsonl);
    m_valJson = addPathRow(form, tr("Validation JSONL"), QStringLiteral("val_json"),
        QStringLiteral("valJsonEdit"), false, jsonl);
    m_valJson->setPlaceholderText(tr("none: no validation"));
    m_imageDir = addPathRow(
        form, tr("Images"), QStringLiteral("image_dir"), QStringLiteral("imageDirEdit"), true, {});

    // The model row: the folder (or hub id), its picker, and what the check found
    m_model = new QLineEdit(this);
    m_model->setObjectName(QStringLiteral("modelFolderEdit"));
    m_model->setPlaceholderText(tr("model folder or microsoft/Florence-2-base-ft"));
    m_model->setToolTip(tr("model_name: a model folder, or a Hugging Face id in the local cache"));
    m_modelBrowse = new QPushButton(tr("Choose…"), this);
    m_modelBrowse->setObjectName(QStringLiteral("modelFolderButton"));
    m_modelBrowse->setToolTip(tr("Choose a model folder (config.json, weights, tokenizer)"));
    connect(m_modelBrowse, &QPushButton::clicked, this, [this] { browsePath(m_model, true, {}); });
    auto *modelRow = new QHBoxLayout;
    modelRow->setSpacing(2);
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(m_modelBrowse);
    form->addRow(tr("Model"), modelRow);
    m_modelInfo = new QLabel(this);
    m_modelInfo->setObjectName(QStringLiteral("modelInfoLabel"));
    m_modelInfo->setWordWrap(true);
    m_modelInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(QString(), m_modelInfo);
    m_processor = new QLineEdit(this);
    m_processor->setObjectName(QStringLiteral("processorNameEdit"));
    m_processor->setPlaceholderText(tr("same as the model"));
    m_processor->setToolTip(tr("processor_name: the folder with the tokenizer and preprocessor config"));
    form->addRow(tr("Processor"), m_processor);
    m_outputDir = addPathRow(
        form, tr("Output folder"), QStringLiteral("output_dir"), QStringLiteral("outputDirEdit"), true, {});

    m_finetune = new QComboBox(this);
    m_finetune->setObjectName(QStringLiteral("finetuneCombo"));
    m_finetune->addItems({QStringLiteral("lora"), QStringLiteral("full")});
    m_finetune->setToolTip(tr("finetune: LoRA adapters, or every parameter"));
    m_randomInit = new QCheckBox(tr("random init"), this);
    m_randomInit->setObjectName(QStringLiteral("randomInitCheck"));
    m_randomInit->setToolTip(tr("random_init: weights missing from the folder start random (demo model)"));
    auto *modeRow = new QHBoxLayout;
    modeRow->addWidget(m_finetune, 1);
    modeRow->addWidget(m_randomInit);
    form->addRow(tr("Fine-tuning"), modeRow);
    m_loraTargets = new QLineEdit(this);
    m_loraTargets->setObjectName(QStringLiteral("loraTargetsEdit"));
    m_loraTargets->setToolTip(
        tr("lora_target_modules, comma-separated (e.g. q_proj, k_proj, v_proj, out_proj)"));
    form->addRow(tr("LoRA targets"), m_loraTargets);

    auto spin = [this](const QString &name, int min, int max, const QString &tip) {
        auto *s = new QSpinBox(this);
        s->setObjectName(name);
        s->setRange(min, max);
        s->setToolTip(tip);
        return s;
    };
    m_batchSize = spin(QStringLiteral("batchSizeSpin"), 1, 4096, tr("batch_size: images per micro-batch"));
    m_gradAccum = spin(QStringLiteral("gradAccumSpin"), 1, 65536,
        tr("gradient_accumulation_steps: micro-batches per optimizer step"));
    auto *batchRow = new QHBoxLayout;
    batchRow->addWidget(m_batchSize, 1);
    batchRow->addWidget(new QLabel(tr("× accumulate"), this));
    batchRow->addWidget(m_gradAccum, 1);
    form->addRow(tr("Batch size"), batchRow);
    m_epochs = spin(QStringLiteral("epochsSpin"), 1, 100000, tr("epochs"));
    form->addRow(tr("Epochs"), m_epochs);
    m_lr = new QLineEdit(this);
    m_lr->setObjectName(QStringLiteral("lrEdit"));
    m_lr->setToolTip(tr("lr: the peak learning rate, e.g. 1e-6"));
    m_scheduler = new QComboBox(this);
    m_scheduler->setObjectName(QStringLiteral("schedulerCombo"));
    m_scheduler->addItems({QStringLiteral("linear"), QStringLiteral("cosine"), QStringLiteral("constant")});
    m_scheduler->setToolTip(tr("lr_scheduler"));
    m_warmupRatio = new QLineEdit(this);
    m_warmupRatio->setObjectName(QStringLiteral("warmupRatioEdit"));
    m_warmupRatio->setToolTip(tr("warmup_ratio: share of the optimizer steps spent warming up"));
    auto *lrRow = new QHBoxLayout;
    lrRow->addWidget(m_lr, 1);
    lrRow->addWidget(m_scheduler);
    lrRow->addWidget(new QLabel(tr("warmup"), this));
    lrRow->addWidget(m_warmupRatio);
    form->addRow(tr("Learning rate"), lrRow);

    m_precision = new QComboBox(this);
    m_precision->setObjectName(QStringLiteral("precisionCombo"));
    m_precision->addItems(
        {QStringLiteral("auto"), QStringLiteral("fp32"), QStringLiteral("bf16"), QStringLiteral("fp16")});
    m_precision->setToolTip(tr("precision: auto picks bf16 where it pays off, fp32 otherwise"));
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("deviceCombo"));
    m_device->setEditable(true);
    m_device->addItems({QStringLiteral("cpu"), QStringLiteral("cuda"), QStringLiteral("cuda:0")});
    m_device->setToolTip(tr("device: cpu, cuda or cuda:N"));
    m_threads = spin(QStringLiteral("threadsSpin"), 0, 4096, tr("threads: CPU threads (0: all cores)"));
    m_threads->setSpecialValueText(tr("all cores"));
    auto *execRow = new QHBoxLayout;
    execRow->addWidget(m_device, 1);
    execRow->addWidget(m_precision, 1);
    execRow->addWidget(m_threads, 1);
    form->addRow(tr("Device"), execRow);

    m_prefixes = new QLineEdit(this);
    m_prefixes->setObjectName(QStringLiteral("prefixesEdit"));
    m_prefixes->setPlaceholderText(tr("all prefixes"));
    m_prefixes->setToolTip(tr("prefixes: train only these tasks, e.g. <CAPTION>, <OD>"));
    form->addRow(tr("Prefixes"), m_prefixes);
    m_previewSamples = spin(QStringLiteral("previewSamplesSpin"), 0, 1000,
        tr("preview_samples: validation images captioned after each epoch"));
    m_seed = new QLineEdit(this);
    m_seed->setObjectName(QStringLiteral("seedEdit"));
    m_seed->setToolTip(tr("seed: one seed for data order, dropout and initialisation"));
    auto *miscRow = new QHBoxLayout;
    miscRow->addWidget(m_previewSamples, 1);
    miscRow->addWidget(new QLabel(tr("seed"), this));
    miscRow->addWidget(m_seed, 1);
    form->addRow(tr("Previews"), miscRow);
    layout->addStretch(1);

    const auto edited = [this] {
        if (!m_filling)
            setModified(true);
    };
    for (QLineEdit *e : {m_trainJson, m_valJson, m_imageDir, m_model, m_processor, m_outputDir, m_loraTargets,
             m_lr, m_warmupRatio, m_prefixes, m_seed})
        connect(e, &QLineEdit::textChanged, this, edited);
    for (QSpinBox *s : {m_batchSize, m_gradAccum, m_epochs, m_threads, m_previewSamples})
        connect(s, &QSpinBox::valueChanged, this, edited);
    for (QComboBox *c : {m_finetune, m_scheduler, m_precision, m_device})
        connect(c, &QComboBox::currentTextChanged, this, edited);
    connect(m_randomInit, &QCheckBox::toggled, this, edited);
    // LoRA targets mean nothing for full fine-tuning
    connect(m_finetune, &QComboBox::currentTextChanged, this,
        [this](const QString &mode) { m_loraTargets->setEnabled(mode == QLatin1String("lora")); });
}

void TrainingConfigForm::fill(const training::TrainingOptions &o)
{
    m_filling = true;
    m_trainJson->setText(fromStd(o.trainJson));
    m_valJson->setText(fromStd(o.valJson));
    m_imageDir->setText(fromStd(o.imageDir));
    m_model->setText(fromStd(o.modelName));
    m_processor->setText(o.processorName == o.modelName ? QString() : fromStd(o.processorName));
    m_outputDir->setText(fromStd(o.outputDir));
    setCombo(m_finetune, fromStd(o.finetune));
    m_loraTargets->setEnabled(o.finetune == "lora");
    m_randomInit->setChecked(o.randomInit);
    m_loraTargets->setText(joinedList(o.loraTargetModules));
    m_batchSize->setValue(static_cast<int>(o.batchSize));
    m_gradAccum->setValue(static_cast<int>(o.gradientAccumulationSteps));
    m_epochs->setValue(static_cast<int>(o.epochs));
    m_lr->setText(number(o.lr));
    setCombo(m_scheduler, fromStd(o.lrScheduler));
    m_warmupRatio->setText(number(o.warmupRatio));
    setCombo(m_precision, fromStd(o.precision));
    setCombo(m_device, fromStd(o.device));
    m_threads->setValue(static_cast<int>(o.threads));
    m_prefixes->setText(joinedList(o.prefixes));
    m_previewSamples->setValue(static_cast<int>(o.previewSamples));
    m_seed->setText(QString::number(o.seed));
    m_filling = false;
}

QStringList TrainingConfigForm::overrides() const
{
    auto kv
        = [](const char *key, const QString &value) { return QLatin1String(key) + QLatin1Char('=') + value; };
    // numbers typed as text go in verbatim: the reader names the key when one is not a number
    const auto verbatim = [](const QLineEdit *e) {
        const QString t = e->text().trimmed();
        return t.isEmpty() ? QStringLiteral("\"\"") : t;
    };
    return {
        kv("train_json", quoted(m_trainJson->text().trimmed())),
        kv("val_json", quoted(m_valJson->text().trimmed())),
        kv("image_dir", quoted(m_imageDir->text().trimmed())),
        kv("model_name", quoted(m_model->text().trimmed())),
        kv("processor_name", quoted(m_processor->text().trimmed())),
        kv("output_dir", quoted(m_outputDir->text().trimmed())),
        kv("finetune", m_finetune->currentText()),
        kv("random_init", m_randomInit->isChecked() ? QStringLiteral("true") : QStringLiteral("false")),
        kv("lora_target_modules", quotedList(m_loraTargets->text())),
        kv("batch_size", QString::number(m_batchSize->value())),
        kv("gradient_accumulation_steps", QString::number(m_gradAccum->value())),
        kv("epochs", QString::number(m_epochs->value())),
        kv("lr", verbatim(m_lr)),
        kv("lr_scheduler", m_scheduler->currentText()),
        kv("warmup_ratio", verbatim(m_warmupRatio)),
        kv("precision", m_precision->currentText()),
        kv("device", quoted(m_device->currentText().trimmed())),
        kv("threads", QString::number(m_threads->value())),
        kv("prefixes", quotedList(m_prefixes->text())),
        kv("preview_samples", QString::number(m_previewSamples->value())),
        kv("seed", verbatim(m_seed)),
    };
}

QByteArray TrainingConfigForm::fieldsYaml() const
{
    QByteArray yaml = "# written by the workbench's training panel\n";
    for (const QString &o : overrides()) {
        const qsizetype eq = o.indexOf(QLatin1Char('='));
        yaml += (o.left(eq) + QStringLiteral(": ") + o.mid(eq + 1) + QLatin1Char('\n')).toUtf8();
    }
    return yaml;
}

Result<training::TrainingOptions> TrainingConfigForm::resolve(const QString &folderHint) const
{
    if (!m_loadedPath.isEmpty())
        return training::loadTrainingConfig(m_loadedPath, overrides());
    // no file yet: the fields alone, from a file where the config will live
    const QString folder
        = folderHint.isEmpty() || !QFileInfo(folderHint).isDir() ? QDir::tempPath() : folderHint;
    QTemporaryFile file(QDir(folder).filePath(QStringLiteral(".training-XXXXXX.yaml")));
    if (!file.open())
        return makeError(ErrorCode::Io,
            tr("cannot write a temporary config in %1: %2").arg(folder, file.errorString()).toStdString());
    file.write(fieldsYaml());
    file.close();
    auto options = training::loadTrainingConfig(file.fileName());
    if (!options) {
        Error e = options.error();
        if (e.path == QDir::toNativeSeparators(file.fileName()).toStdString())
            e.path.clear(); // the temporary file means nothing to a person; the message names the key
        return e;
    }
    return options;
}

Result<training::TrainingOptions> TrainingConfigForm::validate() const
{
    const QString typed = m_configPath->text().trimmed();
    return resolve(typed.isEmpty() ? QString() : QFileInfo(typed).absolutePath());
}

bool TrainingConfigForm::validateAndShow()
{
    const auto options = validate();
    if (!options) {
        showStatus(fromStd(options.error().toString()), true);
        return false;
    }
    // the reader does not look at the disk; say what is missing before a run fails on it
    QStringList missing;
    if (!QFileInfo::exists(fromStd(options->trainJson)))
        missing << tr("train_json %1 does not exist").arg(fromStd(options->trainJson));
    if (!options->valJson.empty() && !QFileInfo::exists(fromStd(options->valJson)))
        missing << tr("val_json %1 does not exist").arg(fromStd(options->valJson));
    if (!QFileInfo(fromStd(options->imageDir)).isDir())
        missing << tr("image_dir %1 is not a folder").arg(fromStd(options->imageDir));
    if (!missing.isEmpty()) {
        showStatus(tr("The values are valid, but %1.").arg(missing.join(QStringLiteral("; "))), true);
        return false;
    }
    showStatus(tr("Valid: %1 epochs of batch %2 × %3, %4 on %5.")
                   .arg(options->epochs)
                   .arg(options->batchSize)
                   .arg(options->gradientAccumulationSteps)
                   .arg(fromStd(options->finetune), fromStd(options->device)),
        false);
    return true;
}

bool TrainingConfigForm::load(const QString &path)
{
    if (path.isEmpty()) {
        showStatus(tr("Enter the path of a training config (YAML) first."), true);
        return false;
    }
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const auto options = training::loadTrainingConfig(absolute);
    if (!options) {
        showStatus(fromStd(options.error().toString()), true);
        return false;
    }
    m_loadedPath = absolute;
    m_configPath->setText(absolute);
    fill(*options);
    setModified(false);
    showStatus(tr("Loaded %1.").arg(QDir::toNativeSeparators(absolute)), false);
    emit loaded(absolute);
    return true;
}

bool TrainingConfigForm::save(const QString &path)
{
    if (path.isEmpty()) {
        showStatus(tr("Enter the path to save the config to."), true);
        return false;
    }
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const auto options = resolve(QFileInfo(absolute).absolutePath());
    if (!options) {
        showStatus(fromStd(options.error().toString()), true);
        return false;
    }
    QDir().mkpath(QFileInfo(absolute).absolutePath());
    QSaveFile file(absolute);
    if (!file.open(QIODevice::WriteOnly) || file.write(training::trainingConfigYaml(*options)) < 0
        || !file.commit()) {
        showStatus(
            tr("%1: cannot write the config: %2").arg(QDir::toNativeSeparators(absolute), file.errorString()),
            true);
        return false;
    }
    m_loadedPath = absolute;
    m_configPath->setText(absolute);
    fill(*options);
    setModified(false);
    showStatus(tr("Saved %1.").arg(QDir::toNativeSeparators(absolute)), false);
    emit saved(absolute);
    return true;
}

void TrainingConfigForm::saveClicked()
{
    QString path = m_configPath->text().trimmed();
    if (path.isEmpty()) {
        path = QFileDialog::getSaveFileName(this, tr("Save training config"),
            m_datasetRoot.isEmpty() ? QString()
                                    : QDir(m_datasetRoot).filePath(QStringLiteral("../training.yaml")),
            tr("YAML (*.yaml *.yml)"));
        if (path.isEmpty())
            return;
    }
    save(path);
}

void TrainingConfigForm::setDatasetRoot(const QString &root)
{
    m_datasetRoot = root;
    if (!m_loadedPath.isEmpty() || root.isEmpty())
        return;
    const QDir dir(root);
    const bool wasModified = m_modified;
    m_filling = true;
    if (m_trainJson->text().isEmpty() && QFileInfo::exists(dir.filePath(QStringLiteral("train.jsonl"))))
        m_trainJson->setText(dir.filePath(QStringLiteral("train.jsonl")));
    if (m_valJson->text().isEmpty() && QFileInfo::exists(dir.filePath(QStringLiteral("val.jsonl"))))
        m_valJson->setText(dir.filePath(QStringLiteral("val.jsonl")));
    if (m_imageDir->text().isEmpty() && QFileInfo(dir.filePath(QStringLiteral("images"))).isDir())
        m_imageDir->setText(dir.filePath(QStringLiteral("images")));
    if (m_outputDir->text().isEmpty())
        m_outputDir->setText(QDir::cleanPath(dir.filePath(QStringLiteral("../runs/run"))));
    m_filling = false;
    setModified(wasModified);
}

QString TrainingConfigForm::modelFolder() const
{
    return m_model->text().trimmed();
}

QString TrainingConfigForm::outputDirText() const
{
    return m_outputDir->text().trimmed();
}

void TrainingConfigForm::setModified(bool modified)
{
    if (m_modified == modified)
        return;
    m_modified = modified;
    emit modifiedChanged(modified);
}

void TrainingConfigForm::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setProperty("error", error);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
    emit statusChanged(text, error);
}

void TrainingConfigForm::browseConfig()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open training config"), m_configPath->text(), tr("YAML (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        load(path);
}

void TrainingConfigForm::browsePath(QLineEdit *edit, bool directory, const QString &filter)
{
    const QString start = edit->text().isEmpty() ? m_datasetRoot : edit->text();
    const QString path = directory ? QFileDialog::getExistingDirectory(this, tr("Choose a folder"), start)
                                   : QFileDialog::getOpenFileName(this, tr("Choose a file"), start, filter);
    if (!path.isEmpty())
        edit->setText(path);
}

void TrainingConfigForm::startModelCheck()
{
    if (m_modelWatcher.isRunning()) {
        m_modelCheckAgain = true;
        return;
    }
    m_modelInfo->setText(tr("Checking the model folder…"));
    m_modelWatcher.setFuture(QtConcurrent::run(checkModelFolder, m_model->text()));
}

} // namespace fmw::ui

#include "ui/settings_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace fmw::ui {

SettingsDialog::SettingsDialog(const WorkbenchSettings &s, bool cudaAvailable, QWidget *parent)
    : QDialog(parent), m_cuda(cudaAvailable)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));

    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("deviceCombo"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_device->addItem(cudaAvailable ? tr("CUDA GPU") : tr("CUDA GPU (not available)"), QStringLiteral("cuda"));
    m_device->setCurrentIndex(m_device->findData(s.device));

    m_threads = new QSpinBox(this);
    m_threads->setObjectName(QStringLiteral("threadsSpin"));
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("Automatic (%1 cores)").arg(QThread::idealThreadCount()));
    m_threads->setValue(s.threads);
    m_threads->setToolTip(tr("Intra-op threads for the model on the CPU."));

    m_precision = new QComboBox(this);
    m_precision->setObjectName(QStringLiteral("precisionCombo"));
    m_precision->addItem(tr("fp32 (exact)"), QStringLiteral("fp32"));
    m_precision->addItem(tr("bf16 (faster, CPU or GPU)"), QStringLiteral("bf16"));
    m_precision->addItem(tr("fp16 (GPU only)"), QStringLiteral("fp16"));
    m_precision->setCurrentIndex(m_precision->findData(s.precision));

    m_model = new QLineEdit(s.defaultModelFolder, this);
    m_model->setObjectName(QStringLiteral("defaultModelEdit"));
    m_model->setPlaceholderText(tr("Folder with config.json, weights and tokenizer"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    browse->setObjectName(QStringLiteral("defaultModelButton"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Default Model Folder"), m_model->text());
        if (!dir.isEmpty())
            m_model->setText(dir);
    });
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(browse);

    m_task = new QComboBox(this);
    m_task->setObjectName(QStringLiteral("defaultTaskCombo"));
    m_task->setEditable(true);
    m_task->addItems({QStringLiteral("<CAPTION>"), QStringLiteral("<DETAILED_CAPTION>"),
                      QStringLiteral("<MORE_DETAILED_CAPTION>"), QStringLiteral("<OD>")});
    m_task->setCurrentText(s.defaultTask);

    m_beams = new QSpinBox(this);
    m_beams->setObjectName(QStringLiteral("numBeamsSpin"));
    m_beams->setRange(0, 16);
    m_beams->setSpecialValueText(tr("Model default"));
    m_beams->setValue(s.numBeams);
    m_beams->setToolTip(tr("1 = greedy decoding; Florence-2 checkpoints default to 3 beams."));

    m_maxTokens = new QSpinBox(this);
    m_maxTokens->setObjectName(QStringLiteral("maxNewTokensSpin"));
    m_maxTokens->setRange(1, 1024);
    m_maxTokens->setValue(s.maxNewTokens);

    m_autosave = new QSpinBox(this);
    m_autosave->setObjectName(QStringLiteral("autosaveSpin"));
    m_autosave->setRange(0, 3600);
    m_autosave->setSuffix(tr(" s"));
    m_autosave->setSpecialValueText(tr("Off"));
    m_autosave->setValue(s.autosaveSeconds);
    m_autosave->setToolTip(tr("How often unsaved edits are written to a recovery file."));

    auto *form = new QFormLayout;
    form->addRow(tr("&Device:"), m_device);
    form->addRow(tr("&Threads:"), m_threads);
    form->addRow(tr("&Precision:"), m_precision);
    form->addRow(tr("Default &model:"), modelRow);
    form->addRow(tr("Default t&ask:"), m_task);
    form->addRow(tr("&Beams:"), m_beams);
    form->addRow(tr("Max &new tokens:"), m_maxTokens);
    form->addRow(tr("&Recovery autosave:"), m_autosave);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("settingsProblemLabel"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #d9534f;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
    m_buttons->setObjectName(QStringLiteral("settingsButtons"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
        const WorkbenchSettings d;
        m_device->setCurrentIndex(m_device->findData(d.device));
        m_threads->setValue(d.threads);
        m_precision->setCurrentIndex(m_precision->findData(d.precision));
        m_model->clear();
        m_task->setCurrentText(d.defaultTask);
        m_beams->setValue(d.numBeams);
        m_maxTokens->setValue(d.maxNewTokens);
        m_autosave->setValue(d.autosaveSeconds);
    });

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_device, &QComboBox::currentIndexChanged, this, &SettingsDialog::revalidate);
    connect(m_precision, &QComboBox::currentIndexChanged, this, &SettingsDialog::revalidate);
    connect(m_task, &QComboBox::editTextChanged, this, &SettingsDialog::revalidate);
    revalidate();
}

WorkbenchSettings SettingsDialog::settings() const
{
    WorkbenchSettings s;
    s.device = m_device->currentData().toString();
    s.threads = m_threads->value();
    s.precision = m_precision->currentData().toString();
    s.defaultModelFolder = m_model->text().trimmed();
    s.defaultTask = m_task->currentText().trimmed();
    s.numBeams = m_beams->value();
    s.maxNewTokens = m_maxTokens->value();
    s.autosaveSeconds = m_autosave->value();
    return s;
}

QString SettingsDialog::problem() const { return m_problem->text(); }

void SettingsDialog::revalidate()
{
    const QString problem = settings().validate(m_cuda);
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

} // namespace fmw::ui

#include "ui/model_fields.h"

#include <QComboBox>
#include <QFileDialog>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace fmw::ui {

ModelFields::ModelFields(const QString &prefix, QWidget *parent) : QObject(parent), m_parent(parent)
{
    const auto named = [&prefix](QWidget *w, const char *suffix) {
        w->setObjectName(prefix + QLatin1String(suffix));
        return w;
    };
    const auto folderButton = [&](const char *suffix, const QString &tip) {
        auto *button = new QPushButton(tr("…"), parent);
        named(button, suffix);
        button->setToolTip(tip);
        button->setMaximumWidth(40);
        return button;
    };

    m_model = new QLineEdit(parent);
    named(m_model, "ModelEdit");
    m_model->setPlaceholderText(tr("Model folder or hub id"));
    m_model->setToolTip(tr("A Florence-2 model folder (config.json, weights, tokenizer) or a hub id in the "
                           "Hugging Face cache"));
    m_modelButton = folderButton("ModelButton", tr("Choose a model folder"));
    m_adapter = new QLineEdit(parent);
    named(m_adapter, "AdapterEdit");
    m_adapter->setPlaceholderText(tr("Optional LoRA adapter folder"));
    m_adapterButton = folderButton("AdapterButton", tr("Choose an adapter folder"));

    m_beams = new QSpinBox(parent);
    named(m_beams, "BeamsSpin");
    m_beams->setRange(0, 16);
    m_beams->setSpecialValueText(tr("model default"));
    m_beams->setToolTip(tr("Beam search width; 1 is greedy, fastest"));
    m_maxTokens = new QSpinBox(parent);
    named(m_maxTokens, "MaxTokensSpin");
    m_maxTokens->setRange(0, 1024);
    m_maxTokens->setSpecialValueText(tr("model default"));
    m_maxTokens->setToolTip(tr("Most tokens to generate"));
    m_device = new QComboBox(parent);
    named(m_device, "DeviceCombo");
    m_device->setEditable(true); // "cuda:1" and the like
    m_device->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    m_device->setToolTip(tr("Where the model runs: cpu, cuda or cuda:N"));
    m_precision = new QComboBox(parent);
    named(m_precision, "PrecisionCombo");
    m_precision->addItems({QStringLiteral("fp32"), QStringLiteral("bf16"), QStringLiteral("fp16")});
    m_precision->setToolTip(tr("Weights and activations precision; fp16 needs CUDA"));

    const auto pickFolder = [this](QLineEdit *edit, const QString &title) {
        const QString dir = QFileDialog::getExistingDirectory(m_parent, title, edit->text());
        if (!dir.isEmpty())
            edit->setText(dir);
    };
    connect(m_modelButton, &QPushButton::clicked, this, [=] { pickFolder(m_model, tr("Model folder")); });
    connect(m_adapterButton, &QPushButton::clicked, this, [=] { pickFolder(m_adapter, tr("Adapter folder")); });
}

ModelSpec ModelFields::spec() const
{
    ModelSpec spec;
    spec.model = m_model->text().trimmed();
    spec.adapter = m_adapter->text().trimmed();
    spec.device = m_device->currentText().trimmed();
    spec.precision = m_precision->currentText();
    return spec;
}

void ModelFields::setSpec(const ModelSpec &spec)
{
    m_model->setText(spec.model);
    m_adapter->setText(spec.adapter);
    m_device->setCurrentText(spec.device);
    m_precision->setCurrentText(spec.precision);
}

DecodingSettings ModelFields::decoding() const { return {m_beams->value(), m_maxTokens->value()}; }

void ModelFields::setDecoding(const DecodingSettings &decoding)
{
    m_beams->setValue(decoding.numBeams);
    m_maxTokens->setValue(decoding.maxNewTokens);
}

} // namespace fmw::ui

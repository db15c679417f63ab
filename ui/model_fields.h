#pragma once
// ModelFields: the model, adapter, decoding and device inputs that the preview panel and the
// compare view share: one definition of their ranges, defaults, tooltips and folder pickers.
// Each panel lays the widgets out itself.

#include "ui/model_runner.h"

#include <QObject>
#include <QString>

class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QWidget;

namespace fmw::ui {

class ModelFields : public QObject {
    Q_OBJECT
public:
    // The widgets are children of `parent`, named "<prefix>ModelEdit", "<prefix>ModelButton",
    // "<prefix>AdapterEdit", "<prefix>AdapterButton", "<prefix>BeamsSpin",
    // "<prefix>MaxTokensSpin", "<prefix>DeviceCombo" and "<prefix>PrecisionCombo".
    ModelFields(const QString &prefix, QWidget *parent);

    QLineEdit *model() const { return m_model; }
    QPushButton *modelButton() const { return m_modelButton; }
    QLineEdit *adapter() const { return m_adapter; }
    QPushButton *adapterButton() const { return m_adapterButton; }
    QSpinBox *beams() const { return m_beams; }
    QSpinBox *maxTokens() const { return m_maxTokens; }
    QComboBox *device() const { return m_device; }
    QComboBox *precision() const { return m_precision; }

    ModelSpec spec() const;
    void setSpec(const ModelSpec &spec);
    DecodingSettings decoding() const;
    void setDecoding(const DecodingSettings &decoding);

private:
    QWidget *m_parent;
    QLineEdit *m_model;
    QPushButton *m_modelButton;
    QLineEdit *m_adapter;
    QPushButton *m_adapterButton;
    QSpinBox *m_beams;
    QSpinBox *m_maxTokens;
    QComboBox *m_device;
    QComboBox *m_precision;
};

} // namespace fmw::ui

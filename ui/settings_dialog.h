#pragma once
// SettingsDialog: edits WorkbenchSettings (device, threads, precision, model and decoding
// defaults, autosave). OK is disabled, with the reason shown, while the choice cannot run.

#include "ui/workbench_settings.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace fmw::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(const WorkbenchSettings &settings, bool cudaAvailable, QWidget *parent = nullptr);

    WorkbenchSettings settings() const;
    // The reason OK is disabled; empty when the settings are valid.
    QString problem() const;

private:
    void revalidate();

    bool m_cuda;
    QComboBox *m_device;
    QSpinBox *m_threads;
    QComboBox *m_precision;
    QLineEdit *m_model;
    QComboBox *m_task;
    QSpinBox *m_beams;
    QSpinBox *m_maxTokens;
    QSpinBox *m_autosave;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
};

} // namespace fmw::ui

#pragma once
// TrainingConfigForm: edits a training run's YAML config — the config file row (path, Load,
// Save, Validate) and fields for the common keys. Fields are applied as `--set` overrides over
// the loaded file, so every key the form does not show is kept; validation and saving go
// through core's config reader (errors name the key and the file's line), and Save writes the
// resolved config (every key, paths absolute) atomically. The model folder field is checked
// off the GUI thread (files present, size, parameters).

#include "common/result.h"
#include "engine/training/training_options.h"
#include "ui/model_folder_check.h"

#include <QFutureWatcher>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace fmw::ui {

class TrainingConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit TrainingConfigForm(QWidget *parent = nullptr);
    ~TrainingConfigForm() override;

    // Reads `path` into the fields (and the path row); false with the error shown when the
    // file does not load. The fields keep their values then.
    bool load(const QString &path);
    // Validates file + fields and writes the resolved config to `path` (QSaveFile); the form
    // then refers to that file. False with the error shown.
    bool save(const QString &path);
    // The file + fields through the config reader: the run's resolved options or the error.
    Result<training::TrainingOptions> validate() const;
    // Validate() and show the outcome in the status label; true when valid.
    bool validateAndShow();

    // The loaded (or saved) file; empty before the first load.
    QString configPath() const { return m_loadedPath; }
    // The fields as "key=value" overrides over configPath().
    QStringList overrides() const;
    // Fields edited since the last load or save.
    bool isModified() const { return m_modified; }

    // With no config loaded: default train_json, val_json, image_dir and output_dir from a
    // dataset folder (train.jsonl, val.jsonl, images/ beside them; runs/run beside the dataset).
    void setDatasetRoot(const QString &root);

    // The model folder field's text and its last check (updated after edits, off-thread).
    QString modelFolder() const;
    const ModelFolderReport &modelReport() const { return m_modelReport; }
    // The output_dir field as typed (may be relative to the project root).
    QString outputDirText() const;

signals:
    void loaded(const QString &path);
    void saved(const QString &path);
    void modifiedChanged(bool modified);
    void modelChecked(const fmw::ui::ModelFolderReport &report);
    // Shown text and whether it is an error, after load, save or validate.
    void statusChanged(const QString &text, bool error);

private:
    void buildUi();
    void fill(const training::TrainingOptions &options);
    void setModified(bool modified);
    void showStatus(const QString &text, bool error);
    void browseConfig();
    void saveClicked();
    void browsePath(QLineEdit *edit, bool directory, const QString &filter);
    void startModelCheck();
    QLineEdit *addPathRow(QFormLayout *form, const QString &label, const QString &key,
        const QString &objectName, bool directory, const QString &filter);
    // The fields as a YAML mapping: the base of a config that has no file yet.
    QByteArray fieldsYaml() const;
    // Loads file + overrides; without a file, a temporary one holding the fields, in
    // `folderHint` (so relative paths resolve as they will for a file saved there).
    Result<training::TrainingOptions> resolve(const QString &folderHint) const;

    QString m_loadedPath;
    bool m_modified = false;
    bool m_filling = false;
    QString m_datasetRoot;

    QLineEdit *m_configPath = nullptr;
    QPushButton *m_load = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_validate = nullptr;
    QLabel *m_status = nullptr;

    QLineEdit *m_trainJson = nullptr;
    QLineEdit *m_valJson = nullptr;
    QLineEdit *m_imageDir = nullptr;
    QLineEdit *m_model = nullptr;
    QPushButton *m_modelBrowse = nullptr;
    QLabel *m_modelInfo = nullptr;
    QLineEdit *m_processor = nullptr;
    QLineEdit *m_outputDir = nullptr;
    QComboBox *m_finetune = nullptr;
    QCheckBox *m_randomInit = nullptr;
    QLineEdit *m_loraTargets = nullptr;
    QSpinBox *m_batchSize = nullptr;
    QSpinBox *m_gradAccum = nullptr;
    QSpinBox *m_epochs = nullptr;
    QLineEdit *m_lr = nullptr;
    QComboBox *m_scheduler = nullptr;
    QLineEdit *m_warmupRatio = nullptr;
    QComboBox *m_precision = nullptr;
    QComboBox *m_device = nullptr;
    QSpinBox *m_threads = nullptr;
    QLineEdit *m_prefixes = nullptr;
    QSpinBox *m_previewSamples = nullptr;
    QLineEdit *m_seed = nullptr;

    QTimer m_modelCheckTimer;
    QFutureWatcher<ModelFolderReport> m_modelWatcher;
    bool m_modelCheckAgain = false;
    ModelFolderReport m_modelReport;
};

} // namespace fmw::ui

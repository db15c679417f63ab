#pragma once
// PreviewPanel: runs the model on the current image in the background (model folder, optional
// LoRA adapter, task, the grounding phrase, decoding settings), shows the answer and emits the
// predicted boxes for the viewer's overlay, and accepts the answer into the dataset as a new or
// updated record (one undo step) for model-assisted annotation.

#include "dataset/dataset_document.h"
#include "ui/image_view.h"
#include "ui/model_runner.h"

#include <QPointer>
#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace fmw::ui {

class ModelFields;

class PreviewPanel : public QWidget {
    Q_OBJECT
public:
    // `runner` is shared (e.g. with the compare view) and must outlive the panel.
    explicit PreviewPanel(ModelRunner *runner, QWidget *parent = nullptr);
    ~PreviewPanel() override;

    void setDocument(DatasetDocument *document);
    // The image the next run uses (relative to images/); empty: none. Clears the last result.
    void setImage(const QString &image);
    QString image() const { return m_image; }

    ModelSpec modelSpec() const;
    void setModelSpec(const ModelSpec &spec);
    DecodingSettings decoding() const;
    void setDecoding(const DecodingSettings &decoding);

    QString task() const;
    // Selects `task` when it is one of tasks(); false otherwise.
    bool setTask(const QString &task);

    // Tasks offered; those in acceptableTasks() can be accepted into the dataset.
    static QStringList tasks();
    static QStringList acceptableTasks();

    // Runs the chosen task on the current image (no-op without an image or a model).
    void run();
    void cancel();
    // Writes the shown answer into the record of (image, task), adding one to the image's
    // split file when there is none. Returns the record, or 0 (the status line says why).
    RecordId accept();

    bool isRunning() const { return m_requestId != 0; }
    QString resultText() const;
    QString statusText() const;

signals:
    // Predicted boxes of the shown result in image pixels (empty: none), for
    // ImageView::setPredictedBoxes.
    void predictedBoxesChanged(const QVector<fmw::ui::ImageView::Box> &boxes);
    void predictionAccepted(fmw::RecordId id);
    void runningChanged(bool running);

private:
    void onResult(const PredictResult &result);
    void updateEnabled();
    void setStatus(const QString &text);
    void clearResult();
    QString fileForNewRecord(const QString &image, const QString &task) const;

    QPointer<ModelRunner> m_runner; // may go first when a parent deletes its children
    QPointer<DatasetDocument> m_document;
    QString m_image;
    quint64 m_requestId = 0;
    bool m_hasResult = false;
    QString m_resultImage, m_resultTask;

    ModelFields *m_fields; // owns none of the widgets below; they are this panel's children
    QLineEdit *m_model;
    QPushButton *m_modelButton;
    QLineEdit *m_adapter;
    QPushButton *m_adapterButton;
    QComboBox *m_task;
    QLineEdit *m_text;
    QSpinBox *m_beams;
    QSpinBox *m_maxTokens;
    QComboBox *m_device;
    QComboBox *m_precision;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPlainTextEdit *m_result;
    QLabel *m_status;
    QPushButton *m_accept;
};

} // namespace fmw::ui

#pragma once
// CompareView: runs the model over a dataset split in the background (progress, cancel, and
// resume from the predictions kept in <root>/.predictions/), evaluates the answers against the
// references, and shows the corpus metrics with their definitions, a per-sample table sortable
// worst first, and a side-by-side panel with a word-level diff (and, for <OD>, predicted vs
// reference boxes with their IoU); the report exports to CSV, JSON or HTML.

#include "common/result.h"
#include "dataset/dataset_document.h"
#include "evaluation/evaluation_report.h"
#include "ui/compare_job.h"
#include "ui/image_view.h"
#include "ui/model_runner.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace fmw::ui {

class CompareTableModel;

class ModelFields;

class CompareView : public QWidget {
    Q_OBJECT
public:
    // `runner` is shared (e.g. with the preview panel) and must outlive the view.
    explicit CompareView(ModelRunner *runner, QWidget *parent = nullptr);
    ~CompareView() override;

    void setDocument(DatasetDocument *document);

    ModelSpec modelSpec() const;
    void setModelSpec(const ModelSpec &spec);
    DecodingSettings decoding() const;
    void setDecoding(const DecodingSettings &decoding);
    void setSplit(Split split);
    Split split() const;
    void setTask(const QString &task);
    QString task() const;

    // Predicts the pairs of the split not yet in its predictions file, then evaluates.
    void run();
    void cancel();
    bool isRunning() const { return m_batchId != 0; }
    // Evaluates what the predictions file holds (any model), without running anything.
    void loadSaved();

    CompareTableModel *tableModel() const { return m_model; }
    QTableView *table() const { return m_table; }
    const eval::TaskReport *report() const { return m_report.get(); }
    QString predictionsFile() const;
    QString statusText() const;

    // Writes the report; the format follows the extension (.csv, .json, .html).
    Status exportReport(const QString &path) const;

    // `<OD>` text as pixel boxes of an image of `size` (upstream's tolerant post-processing).
    static QVector<ImageView::Box> odBoxes(const QString &odText, QSize size);

signals:
    // A row was activated (double-click, Enter): the main window shows `image` (and, for <OD>,
    // odBoxes(prediction, size) as the predicted overlay).
    void sampleActivated(const QString &image, const QString &prefix, const QString &prediction);
    void runFinished(const fmw::ui::BatchResult &result);
    // The table shows a new report (after a run, a cancel or loadSaved()).
    void reportReady();

private:
    void onProgress(const BatchProgress &progress);
    void onFinished(const BatchResult &result);
    void evaluate(const QString &model, const QString &adapter);
    void showReport(std::shared_ptr<const eval::TaskReport> report);
    void showMetrics();
    void showSample(int sample);
    void onCurrentRowChanged();
    void onRowActivated(const QModelIndex &index);
    void exportWithDialog(const QString &filter, const QString &suffix);
    void updateEnabled();
    void setStatus(const QString &text);

    QPointer<ModelRunner> m_runner; // may go first when a parent deletes its children
    QPointer<DatasetDocument> m_document;
    quint64 m_batchId = 0;
    QVector<ComparePair> m_pairs; // of the run or load in progress / shown
    QString m_outPath;
    int m_evaluation = 0; // generation: a stale evaluation's result is dropped
    std::shared_ptr<const eval::TaskReport> m_report;

    QComboBox *m_split;
    QComboBox *m_task;
    ModelFields *m_fields; // the widgets below are this view's children
    QLineEdit *m_modelEdit;
    QPushButton *m_modelButton;
    QLineEdit *m_adapter;
    QSpinBox *m_beams;
    QSpinBox *m_maxTokens;
    QComboBox *m_device;
    QComboBox *m_precision;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPushButton *m_load;
    QProgressBar *m_progress;
    QLabel *m_status;
    QTextBrowser *m_metrics;
    QPushButton *m_worstFirst;
    QToolButton *m_export;
    QAction *m_exportCsv;
    QAction *m_exportJson;
    QAction *m_exportHtml;
    QTableView *m_table;
    CompareTableModel *m_model;
    QTextBrowser *m_referenceView;
    QTextBrowser *m_generatedView;
    QTextBrowser *m_boxesView;
};

} // namespace fmw::ui

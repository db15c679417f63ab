#pragma once
// ModelRunner: runs Florence-2 off the GUI thread for the preview and compare panels. It owns
// one worker QThread holding one loaded engine (reloaded when a request names another model,
// adapter, device or precision), runs requests in the order they were queued, reports results
// as value structs through signals (queued to GUI-thread receivers), cancels cooperatively
// between predictions, and its destructor cancels, quits and waits. One runner can serve both
// panels; the engine itself is never touched outside the worker thread.

#include <QMetaType>
#include <QMutex>
#include <QObject>
#include <QRectF>
#include <QSet>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QVector>

#include <atomic>
#include <functional>
#include <memory>

namespace fmw::ui {

struct ModelSpec {
    QString model; // a model folder or a hub id in the Hugging Face cache
    QString adapter; // a LoRA adapter folder; empty: none
    QString device = QStringLiteral("cpu");
    QString precision = QStringLiteral("fp32");
    bool operator==(const ModelSpec &o) const
    {
        return model == o.model && adapter == o.adapter && device == o.device && precision == o.precision;
    }
    bool operator!=(const ModelSpec &o) const { return !(*this == o); }
};

struct DecodingSettings {
    int numBeams = 0; // 0: the checkpoint's default (3 for Florence-2)
    int maxNewTokens = 0; // 0: the default (1024)
};

// A box in image pixels and its label.
struct PredictedBox {
    QString label;
    QRectF rect;
};

struct PredictRequest {
    ModelSpec spec;
    DecodingSettings decoding;
    QString imagePath; // the file to read
    QString image; // the dataset's name for it, echoed in the result
    QString task; // "<CAPTION>", "<OD>", "<CAPTION_TO_PHRASE_GROUNDING>", ...
    QString text; // the task's input text, e.g. the phrase to ground
};

struct PredictResult {
    quint64 id = 0;
    bool ok = false;
    bool cancelled = false;
    QString error; // names the file and what went wrong
    QString image, task, text;
    // What a dataset record stores: the post-processed answer for text tasks; for <OD> the
    // labels and <loc_N> tokens (the generated text without special tokens, as predict-split).
    QString answer;
    QString generatedText; // decoded with special tokens
    QVector<PredictedBox> boxes; // <OD> and grounding answers
    QSize imageSize;
    double milliseconds = 0;
    QString model, adapter; // as the engine resolved them
};

struct BatchItem {
    QString image; // the dataset's name (relative to images/)
    QString imagePath;
    QString prefix; // the task
};

// Predictions of many pairs appended to `outPath` (the predict-split line format). Resumable:
// pairs already there for the same model and adapter are skipped.
struct BatchRequest {
    ModelSpec spec;
    DecodingSettings decoding;
    QVector<BatchItem> items;
    QString outPath;
};

struct BatchProgress {
    quint64 id = 0;
    int done = 0; // finished so far, skipped ones included
    int total = 0;
    int skipped = 0; // already in the file when the run started
    int failed = 0;
    QString current; // the image just finished
};

struct BatchResult {
    quint64 id = 0;
    bool cancelled = false;
    int total = 0, predicted = 0, skipped = 0, failed = 0;
    QStringList errors; // per image, "image: message" (the first few)
    QString fatal; // set when the run stopped: the model or the output file failed
    QString model, adapter; // as the engine resolved them (empty if it did not load)
};

class ModelRunner : public QObject {
    Q_OBJECT
public:
    explicit ModelRunner(QObject *parent = nullptr);
    ~ModelRunner() override;

    // Loads `spec` ahead of the first prediction (predictions load on demand too); answered by
    // loadFinished. Returns the request id.
    quint64 load(const ModelSpec &spec);
    // Queue a request; returns its id (> 0), echoed in the result.
    quint64 predict(const PredictRequest &request);
    quint64 runBatch(const BatchRequest &request);

    // Cooperative: a queued request is answered as cancelled; a running batch stops after the
    // prediction in flight (what it wrote is kept, so it can resume).
    void cancel(quint64 id);
    void cancelAll();

    bool isBusy() const { return m_pending.load() > 0; }

    // Intra-op threads for the model (0: one per core); applies from the next request.
    void setThreads(int threads) { m_threads.store(threads); }
    int threads() const { return m_threads.load(); }

    // At most this often a batch reports progress (plus its first and last item).
    static constexpr int kProgressIntervalMs = 100;

signals:
    // Emitted from the worker thread: connect with a context object in the GUI thread (queued).
    void predictionFinished(const fmw::ui::PredictResult &result);
    void batchProgress(const fmw::ui::BatchProgress &progress);
    void batchFinished(const fmw::ui::BatchResult &result);
    void modelLoaded(const QString &description);
    // `message`: the model's description, or the error naming the folder.
    void loadFinished(quint64 id, bool ok, const QString &message);
    void busyChanged(bool busy);

private:
    struct Worker;
    // Runs `job` on the worker thread after the requests before it; returns the request id.
    quint64 enqueue(std::function<void(quint64 id, Worker &worker)> job);
    bool isCancelled(quint64 id) const;
    void submitted();
    void finishedOne();

    QThread m_thread;
    QObject *m_context; // lives in m_thread; queued lambdas run there
    std::shared_ptr<Worker> m_worker;
    std::atomic<quint64> m_nextId {1}; // next request id
    std::atomic<int> m_threads {0};
    std::atomic<int> m_pending {0};
    std::atomic<quint64> m_cancelledUpTo {0};
    mutable QMutex m_mutex;
    QSet<quint64> m_cancelled; // guarded by m_mutex
};

} // namespace fmw::ui

Q_DECLARE_METATYPE(fmw::ui::PredictResult)
Q_DECLARE_METATYPE(fmw::ui::BatchProgress)
Q_DECLARE_METATYPE(fmw::ui::BatchResult)

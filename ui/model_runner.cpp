#include "ui/model_runner.h"

#include "engine/runtime.h"

#include "ui/compare_job.h"

#include "annotation/loc_codec.h"
#include "engine/florence2_engine.h"
#include "imaging/model_image.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMutexLocker>

#include <nlohmann/json.hpp>

#include <exception>
#include <optional>

namespace fmw::ui {

namespace {

using Json = nlohmann::json;


// The pixel boxes of an answer that has them ({"bboxes": [[x1, y1, x2, y2]...], "labels"|
// "bboxes_labels": [...]}).
QVector<PredictedBox> answerBoxes(const engine::Prediction &r)
{
    QVector<PredictedBox> boxes;
    const Json answer = Json::parse(r.answerJson, nullptr, false);
    if (!answer.is_object() || !answer.contains(r.task) || !answer[r.task].is_object())
        return boxes;
    const Json &value = answer[r.task];
    if (!value.contains("bboxes") || !value["bboxes"].is_array())
        return boxes;
    const Json *labels = value.contains("labels") ? &value["labels"]
        : value.contains("bboxes_labels")         ? &value["bboxes_labels"]
                                                  : nullptr;
    const Json &bboxes = value["bboxes"];
    for (size_t i = 0; i < bboxes.size(); ++i) {
        const Json &b = bboxes[i];
        if (!b.is_array() || b.size() != 4)
            continue;
        PredictedBox box;
        box.rect = QRectF(
            QPointF(b[0].get<double>(), b[1].get<double>()), QPointF(b[2].get<double>(), b[3].get<double>()));
        if (labels && labels->is_array() && i < labels->size() && (*labels)[i].is_string())
            box.label = QString::fromStdString((*labels)[i].get<std::string>());
        boxes.push_back(box);
    }
    return boxes;
}

engine::DecodingOptions decodingOptions(const DecodingSettings &s)
{
    engine::DecodingOptions d;
    if (s.numBeams > 0)
        d.numBeams = s.numBeams;
    if (s.maxNewTokens > 0)
        d.maxNewTokens = s.maxNewTokens;
    return d;
}

} // namespace

// The worker thread's state: the loaded engine and what it was loaded with.
struct ModelRunner::Worker {
    std::unique_ptr<engine::Florence2Engine> engine;
    ModelSpec loaded;
    QString description; // of the loaded engine, for the status lines

    // The engine for `spec`, loading it when another one (or none) is loaded.
    Result<engine::Florence2Engine *> ensure(const ModelSpec &spec, ModelRunner *runner)
    {
        // Every request: the user's thread count (Settings) may have changed, and loading
        // resets it to the default.
        struct ApplyThreads {
            ModelRunner *runner;
            ~ApplyThreads() { engine::configureThreads(runner->threads()); }
        } applyThreads {runner};
        if (engine && loaded == spec)
            return engine.get();
        engine.reset();
        if (spec.model.trimmed().isEmpty())
            return makeError(ErrorCode::InvalidArgument, "no model chosen: pick a model folder first");
        const auto precision = engine::parsePrecision(spec.precision.toStdString());
        if (!precision)
            return precision.error();
        engine::EngineOptions options;
        options.device = spec.device.toStdString();
        options.precision = *precision;
        options.adapterDir = spec.adapter.toStdString();
        try {
            auto loadedEngine = engine::Florence2Engine::load(spec.model.toStdString(), options);
            if (!loadedEngine)
                return loadedEngine.error();
            engine = std::move(*loadedEngine);
        } catch (const std::exception &e) { // the engine translates its errors; this is a backstop
            return makeError(ErrorCode::Internal, std::string("cannot load the model: ") + e.what(),
                spec.model.toStdString());
        }
        loaded = spec;
        const engine::ModelInfo &info = engine->info();
        description
            = QStringLiteral("%1%2 on %3, %4, %5 M parameters")
                  .arg(QString::fromStdString(info.folder),
                      info.adapter.empty() ? QString()
                                           : QStringLiteral(" + ") + QString::fromStdString(info.adapter),
                      QString::fromStdString(info.device),
                      QLatin1String(engine::precisionName(info.precision)))
                  .arg(double(info.parameters) / 1e6, 0, 'f', 1);
        emit runner->modelLoaded(description);
        return engine.get();
    }

    PredictResult run(engine::Florence2Engine *e, const PredictRequest &request)
    {
        PredictResult result;
        result.image = request.image;
        result.task = request.task;
        result.text = request.text;
        result.model = QString::fromStdString(e->info().folder);
        result.adapter = QString::fromStdString(e->info().adapter);
        QElapsedTimer timer;
        timer.start();
        const auto image = imaging::loadModelImage(request.imagePath);
        if (!image) {
            result.error = QString::fromStdString(image.error().toString());
            return result;
        }
        std::optional<Result<engine::Prediction>> predicted;
        try {
            predicted.emplace(e->predict(*image, request.task.toStdString(), request.text.toStdString(),
                decodingOptions(request.decoding)));
        } catch (const std::exception &error) {
            result.error = request.imagePath + QStringLiteral(": ") + QString::fromUtf8(error.what());
            return result;
        }
        const Result<engine::Prediction> &prediction = *predicted;
        if (!prediction) {
            result.error = request.imagePath + QStringLiteral(": ")
                + QString::fromStdString(prediction.error().toString());
            return result;
        }
        result.ok = true;
        result.answer = QString::fromStdString(engine::evaluatedText(*prediction));
        result.generatedText = QString::fromStdString(prediction->generatedText);
        result.boxes = answerBoxes(*prediction);
        result.imageSize = QSize(int(prediction->imageWidth), int(prediction->imageHeight));
        result.milliseconds = double(timer.elapsed());
        return result;
    }
};

ModelRunner::ModelRunner(QObject *parent)
    : QObject(parent)
    , m_context(new QObject)
    , m_worker(std::make_shared<Worker>())
{
    qRegisterMetaType<fmw::ui::PredictResult>();
    qRegisterMetaType<fmw::ui::BatchProgress>();
    qRegisterMetaType<fmw::ui::BatchResult>();
    m_thread.setObjectName(QStringLiteral("ModelRunner"));
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

ModelRunner::~ModelRunner()
{
    cancelAll();
    m_thread.quit();
    m_thread.wait();
}

bool ModelRunner::isCancelled(quint64 id) const
{
    if (id <= m_cancelledUpTo.load())
        return true;
    QMutexLocker lock(&m_mutex);
    return m_cancelled.contains(id);
}

void ModelRunner::cancel(quint64 id)
{
    QMutexLocker lock(&m_mutex);
    m_cancelled.insert(id);
}

void ModelRunner::cancelAll()
{
    m_cancelledUpTo.store(m_nextId.load() - 1);
}

void ModelRunner::submitted()
{
    if (m_pending.fetch_add(1) == 0)
        emit busyChanged(true);
}

void ModelRunner::finishedOne()
{
    // Called on the worker thread; the signal is queued to GUI receivers after the result's.
    if (m_pending.fetch_sub(1) == 1)
        emit busyChanged(false);
}

quint64 ModelRunner::load(const ModelSpec &spec)
{
    return enqueue([this, spec](quint64 id, Worker &worker) {
        if (isCancelled(id))
            emit loadFinished(id, false, QStringLiteral("cancelled"));
        else if (auto e = worker.ensure(spec, this); !e)
            emit loadFinished(id, false, QString::fromStdString(e.error().toString()));
        else
            emit loadFinished(id, true, worker.description);
    });
}

quint64 ModelRunner::predict(const PredictRequest &request)
{
    return enqueue([this, request](quint64 id, Worker &worker) {
        PredictResult result;
        if (isCancelled(id)) {
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
        } else if (auto e = worker.ensure(request.spec, this); !e) {
            result.error = QString::fromStdString(e.error().toString());
        } else {
            result = worker.run(*e, request);
        }
        result.id = id;
        emit predictionFinished(result);
    });
}

quint64 ModelRunner::runBatch(const BatchRequest &request)
{
    return enqueue([this, request](quint64 id, Worker &worker) {
        BatchResult result;
        result.id = id;
        result.total = int(request.items.size());
        auto finish = [&] { emit batchFinished(result); };
        if (isCancelled(id)) {
            result.cancelled = true;
            return finish();
        }
        auto e = worker.ensure(request.spec, this);
        if (!e) {
            result.fatal = QString::fromStdString(e.error().toString());
            return finish();
        }
        result.model = QString::fromStdString((*e)->info().folder);
        result.adapter = QString::fromStdString((*e)->info().adapter);

        QDir().mkpath(QFileInfo(request.outPath).absolutePath());
        if (const Status repaired = repairPartialLastLine(request.outPath); !repaired) {
            result.fatal = QString::fromStdString(repaired.error().toString());
            return finish();
        }
        const auto done = readPredictions(request.outPath, result.model, result.adapter);
        if (!done) {
            result.fatal = QString::fromStdString(done.error().toString());
            return finish();
        }
        QFile out(request.outPath);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Append)) {
            result.fatal
                = request.outPath + QStringLiteral(": cannot write the file: ") + out.errorString();
            return finish();
        }

        BatchProgress progress;
        progress.id = id;
        progress.total = result.total;
        QElapsedTimer sinceReport;
        sinceReport.start();
        bool reported = false;
        for (const BatchItem &item : request.items) {
            if (done->contains(pairKey(item.image, item.prefix))) {
                ++result.skipped;
                ++progress.skipped;
                ++progress.done;
                continue;
            }
            if (isCancelled(id)) {
                result.cancelled = true;
                break;
            }
            const PredictResult r = worker.run(
                *e, {request.spec, request.decoding, item.imagePath, item.image, item.prefix, {}});
            if (r.ok) {
                // One write per line, flushed at once: a kill leaves at most a partial last line.
                const QByteArray line = predictionLine(
                    {item.image, item.prefix, r.answer, r.generatedText, result.model, result.adapter});
                if (out.write(line) != line.size() || !out.flush()) {
                    result.fatal = request.outPath + QStringLiteral(": cannot write the file: ")
                        + out.errorString();
                    break;
                }
                ++result.predicted;
            } else {
                ++result.failed;
                ++progress.failed;
                if (result.errors.size() < 20)
                    result.errors << item.image + QStringLiteral(": ") + r.error;
            }
            ++progress.done;
            progress.current = item.image;
            if (!reported || sinceReport.elapsed() >= kProgressIntervalMs) {
                emit batchProgress(progress);
                reported = true;
                sinceReport.restart();
            }
        }
        emit batchProgress(progress);
        finish();
    });
}

quint64 ModelRunner::enqueue(std::function<void(quint64 id, Worker &worker)> job)
{
    const quint64 id = m_nextId.fetch_add(1);
    submitted();
    std::shared_ptr<Worker> worker = m_worker;
    QMetaObject::invokeMethod(
        m_context,
        [this, worker, job = std::move(job), id] {
            job(id, *worker);
            finishedOne();
        },
        Qt::QueuedConnection);
    return id;
}

} // namespace fmw::ui

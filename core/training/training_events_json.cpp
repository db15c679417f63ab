#include "training/training_events_json.h"

#include <QJsonArray>

namespace fmw::training {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

std::string toStd(const QJsonValue &v)
{
    return v.toString().toStdString();
}

qint64 integer(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger();
}

QJsonValue big(int64_t v)
{
    return QJsonValue(static_cast<qint64>(v));
}

double number(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toDouble();
}

} // namespace

QJsonObject stepToJson(const StepReport &s)
{
    return {{"event", "step"}, {"epoch", big(s.epoch)}, {"epochs", big(s.epochs)}, {"batch", big(s.batch)},
        {"batches_in_epoch", big(s.batchesInEpoch)}, {"step", big(s.optimizerStep)}, {"total_steps", big(s.totalOptimizerSteps)},
        {"loss", s.loss}, {"lr", s.lr}, {"grad_norm", s.gradNorm}, {"samples", big(s.samples)},
        {"samples_per_second", s.samplesPerSecond}, {"eta_seconds", s.etaSeconds}, {"skipped", s.skipped},
        {"communication_seconds", s.communicationSeconds}};
}

StepReport stepFromJson(const QJsonObject &o)
{
    StepReport s;
    s.epoch = integer(o, "epoch");
    s.epochs = integer(o, "epochs");
    s.batch = integer(o, "batch");
    s.batchesInEpoch = integer(o, "batches_in_epoch");
    s.optimizerStep = integer(o, "step");
    s.totalOptimizerSteps = integer(o, "total_steps");
    s.loss = number(o, "loss");
    s.lr = number(o, "lr");
    s.gradNorm = number(o, "grad_norm");
    s.samples = integer(o, "samples");
    s.samplesPerSecond = number(o, "samples_per_second");
    s.etaSeconds = number(o, "eta_seconds");
    s.skipped = o.value(QLatin1String("skipped")).toBool();
    s.communicationSeconds = number(o, "communication_seconds");
    return s;
}

QJsonObject epochToJson(const EpochReport &e)
{
    QJsonArray previews;
    for (const PreviewSample &p : e.previews)
        previews.append(QJsonObject {{"origin", fromStd(p.origin)}, {"prefix", fromStd(p.prefix)},
            {"reference", fromStd(p.reference)}, {"generated", fromStd(p.generated)}});
    return {{"event", "epoch"}, {"epoch", big(e.epoch)}, {"epochs", big(e.epochs)}, {"train_loss", e.trainLoss},
        {"val_loss", e.valLoss ? QJsonValue(*e.valLoss) : QJsonValue()}, {"improved", e.improved},
        {"checkpoint", fromStd(e.checkpoint)}, {"previews", previews}, {"skipped_samples", big(e.skippedSamples)},
        {"seconds", e.seconds}};
}

EpochReport epochFromJson(const QJsonObject &o)
{
    EpochReport e;
    e.epoch = integer(o, "epoch");
    e.epochs = integer(o, "epochs");
    e.trainLoss = number(o, "train_loss");
    if (o.value(QLatin1String("val_loss")).isDouble())
        e.valLoss = number(o, "val_loss");
    e.improved = o.value(QLatin1String("improved")).toBool();
    e.checkpoint = toStd(o.value(QLatin1String("checkpoint")));
    for (const QJsonValue &v : o.value(QLatin1String("previews")).toArray()) {
        const QJsonObject p = v.toObject();
        e.previews.push_back({toStd(p.value(QLatin1String("origin"))), toStd(p.value(QLatin1String("prefix"))),
            toStd(p.value(QLatin1String("reference"))), toStd(p.value(QLatin1String("generated")))});
    }
    e.skippedSamples = integer(o, "skipped_samples");
    e.seconds = number(o, "seconds");
    return e;
}

QJsonObject outcomeToJson(const TrainingOutcome &t)
{
    const TrainingResult &r = t.result;
    const char *end = r.end == RunEnd::Finished ? "finished" : r.end == RunEnd::EarlyStopped ? "early_stopped" : "stopped";
    return {{"event", "finished"}, {"ok", t.ok}, {"error", t.error}, {"run_dir", t.runDir}, {"end", end},
        {"epochs_done", big(r.epochsDone)}, {"optimizer_steps", big(r.optimizerSteps)},
        {"best_val_loss", r.bestValLoss ? QJsonValue(*r.bestValLoss) : QJsonValue()},
        {"best_checkpoint", fromStd(r.bestCheckpoint)}, {"last_checkpoint", fromStd(r.lastCheckpoint)},
        {"skipped_samples", big(r.skippedSamples)}};
}

TrainingOutcome outcomeFromJson(const QJsonObject &o)
{
    TrainingOutcome t;
    t.ok = o.value(QLatin1String("ok")).toBool();
    t.error = o.value(QLatin1String("error")).toString();
    t.runDir = o.value(QLatin1String("run_dir")).toString();
    const QString end = o.value(QLatin1String("end")).toString();
    t.result.end = end == QLatin1String("early_stopped") ? RunEnd::EarlyStopped
        : end == QLatin1String("stopped")                ? RunEnd::Stopped
                                                         : RunEnd::Finished;
    t.result.epochsDone = integer(o, "epochs_done");
    t.result.optimizerSteps = integer(o, "optimizer_steps");
    if (o.value(QLatin1String("best_val_loss")).isDouble())
        t.result.bestValLoss = number(o, "best_val_loss");
    t.result.bestCheckpoint = toStd(o.value(QLatin1String("best_checkpoint")));
    t.result.lastCheckpoint = toStd(o.value(QLatin1String("last_checkpoint")));
    t.result.skippedSamples = integer(o, "skipped_samples");
    return t;
}

} // namespace fmw::training

#include "training/training_session.h"

#include "training/jsonl_sample_source.h"
#include "training/training_config.h"

#include <QElapsedTimer>
#include <QFileInfo>

namespace fmw::training {

QString formatDuration(double seconds)
{
    const qint64 s = static_cast<qint64>(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}


namespace {

void registerTypes()
{
    static const bool done = [] {
        qRegisterMetaType<StepReport>();
        qRegisterMetaType<QVector<StepReport>>();
        qRegisterMetaType<EpochReport>();
        qRegisterMetaType<TrainingOutcome>();
        return true;
    }();
    Q_UNUSED(done);
}

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

TrainingSession::TrainingSession(QObject *parent)
    : QObject(parent)
{
    registerTypes();
}

TrainingSession::~TrainingSession()
{
    requestStop();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

bool TrainingSession::start(const TrainingRequest &request, QString *error)
{
    if (m_running.load()) {
        if (error)
            *error = tr("a training run is already in progress");
        return false;
    }
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    m_stop = false;
    m_running = true;
    m_thread = QThread::create([this, request] { runWorker(request); });
    m_thread->setObjectName(QStringLiteral("training"));
    m_thread->start();
    return true;
}

void TrainingSession::requestStop()
{
    m_stop = true;
}

bool TrainingSession::isRunning() const
{
    return m_running.load();
}

bool TrainingSession::wait(unsigned long ms)
{
    return m_thread ? m_thread->wait(QDeadlineTimer(ms)) : true;
}

void TrainingSession::runWorker(const TrainingRequest &request)
{
    TrainingOutcome outcome;
    auto finish = [&] {
        m_running = false;
        emit finished(outcome);
    };
    auto options = loadTrainingConfig(request.configPath, request.overrides);
    if (!options) {
        outcome.error = fromStd(options.error().toString());
        finish();
        return;
    }
    outcome.runDir = fromStd(options->outputDir);

    TrainerSetup setup;
    setup.options = *options;
    setup.configYaml = trainingConfigYaml(*options).toStdString();
    setup.resumeFrom = request.resumeFrom.toStdString();
    QStringList prefixes;
    for (const std::string &p : options->prefixes)
        prefixes << fromStd(p);
    const QString imageDir = fromStd(options->imageDir);
    auto train
        = std::make_shared<JsonlSampleSource>(QStringList {fromStd(options->trainJson)}, imageDir, prefixes);
    setup.train = train;
    setup.sourceProblems = train->problems();
    if (!options->valJson.empty()) {
        auto val = std::make_shared<JsonlSampleSource>(
            QStringList {fromStd(options->valJson)}, imageDir, prefixes);
        setup.val = val;
        for (std::string &p : val->problems())
            setup.sourceProblems.push_back(std::move(p));
    }

    QElapsedTimer sinceStep;
    sinceStep.start();
    QVector<StepReport> pending;
    auto flush = [&] {
        if (!pending.isEmpty()) {
            emit stepProgress(pending);
            pending.clear();
        }
        sinceStep.restart();
    };
    TrainerEvents events;
    events.log = [this](const std::string &line) { emit logLine(fromStd(line)); };
    events.step = [&](const StepReport &step) {
        pending.push_back(step);
        if (sinceStep.elapsed() >= m_stepIntervalMs || step.optimizerStep == step.totalOptimizerSteps)
            flush();
    };
    events.epoch = [&](const EpochReport &epoch) {
        flush();
        emit epochFinished(epoch);
    };
    events.stopRequested = [this] { return m_stop.load(); };

    auto trainer = Trainer::create(setup, events);
    if (!trainer) {
        outcome.error = fromStd(trainer.error().toString());
        finish();
        return;
    }
    auto result = (*trainer)->run();
    flush();
    if (!result) {
        outcome.error = fromStd(result.error().toString());
    } else {
        outcome.ok = true;
        outcome.result = *result;
    }
    trainer->reset();
    finish();
}

} // namespace fmw::training

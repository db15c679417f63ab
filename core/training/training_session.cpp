#include "training/training_session.h"

#include "training/jsonl_sample_source.h"
#include "training/training_config.h"
#include "training/training_events_json.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>

#include <csignal>

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

QString epochSummary(const EpochReport &e)
{
    QString line = QStringLiteral("epoch %1/%2 done in %3: train loss %4")
                       .arg(e.epoch)
                       .arg(e.epochs)
                       .arg(formatDuration(e.seconds))
                       .arg(e.trainLoss, 0, 'f', 4);
    if (e.valLoss)
        line += QStringLiteral(", val loss %1%2")
                    .arg(*e.valLoss, 0, 'f', 4)
                    .arg(e.improved ? QStringLiteral(" (best)") : QString());
    return line + QStringLiteral(" -> ") + QString::fromStdString(e.checkpoint);
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
    if (m_process) {
        m_process->disconnect(this);
        m_process->waitForFinished(-1);
    }
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
    if (request.processes > 1)
        return startProcesses(request, error);
    m_running = true;
    m_thread = QThread::create([this, request] { runWorker(request); });
    m_thread->setObjectName(QStringLiteral("training"));
    m_thread->start();
    return true;
}

void TrainingSession::requestStop()
{
    m_stop = true;
    if (m_process && m_process->state() == QProcess::Running)
        ::kill(static_cast<pid_t>(m_process->processId()), SIGINT);
}

bool TrainingSession::isRunning() const
{
    return m_running.load();
}

bool TrainingSession::wait(unsigned long ms)
{
    if (m_process && m_process->state() != QProcess::NotRunning)
        return m_process->waitForFinished(ms == ULONG_MAX ? -1 : static_cast<int>(ms));
    return m_thread ? m_thread->wait(QDeadlineTimer(ms)) : true;
}

bool TrainingSession::startProcesses(const TrainingRequest &request, QString *error)
{
    const QString program = request.program.isEmpty()
        ? QCoreApplication::applicationDirPath() + QStringLiteral("/florence-cli")
        : request.program;
    if (!QFileInfo(program).isExecutable()) {
        if (error)
            *error = tr("cannot start %1 training processes: %2 is not an executable program")
                         .arg(request.processes)
                         .arg(program);
        return false;
    }
    QStringList args {QStringLiteral("train"), QStringLiteral("--config"), request.configPath,
        QStringLiteral("--nproc"), QString::number(request.processes), QStringLiteral("--progress-jsonl")};
    for (const QString &o : request.overrides)
        args << QStringLiteral("--set") << o;
    if (!request.resumeFrom.isEmpty())
        args << QStringLiteral("--resume") << request.resumeFrom;

    delete m_process;
    m_process = new QProcess(this);
    m_stdout.clear();
    m_stderr.clear();
    m_errorLines.clear();
    m_processOutcome.reset();
    connect(m_process, &QProcess::readyReadStandardOutput, this, &TrainingSession::readProcessOutput);
    connect(m_process, &QProcess::readyReadStandardError, this, &TrainingSession::readProcessErrors);
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        processEnded(status == QProcess::CrashExit ? tr("the training processes' launcher crashed")
                : code != 0                        ? tr("the training processes ended with exit code %1").arg(code)
                                                   : QString());
    });
    connect(m_process, &QProcess::errorOccurred, this, [this, program](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            processEnded(tr("cannot run %1: %2").arg(program, m_process->errorString()));
    });
    m_running = true;
    emit logLine(tr("starting %1 processes: %2 %3").arg(request.processes).arg(program, args.join(QLatin1Char(' '))));
    m_process->start(program, args);
    return true;
}

void TrainingSession::readProcessOutput()
{
    m_stdout += m_process->readAllStandardOutput();
    QVector<StepReport> steps;
    for (int end = m_stdout.indexOf('\n'); end >= 0; end = m_stdout.indexOf('\n')) {
        const QByteArray line = m_stdout.left(end);
        m_stdout.remove(0, end + 1);
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        const QString event = o.value(QLatin1String("event")).toString();
        if (event == QLatin1String("step")) {
            steps.push_back(stepFromJson(o));
        } else if (event == QLatin1String("epoch")) {
            if (!steps.isEmpty())
                emit stepProgress(steps);
            steps.clear();
            emit epochFinished(epochFromJson(o));
        } else if (event == QLatin1String("finished")) {
            m_processOutcome = outcomeFromJson(o);
        } else if (!line.trimmed().isEmpty()) {
            emit logLine(QString::fromUtf8(line));
        }
    }
    if (!steps.isEmpty())
        emit stepProgress(steps);
}

void TrainingSession::readProcessErrors()
{
    m_stderr += m_process->readAllStandardError();
    for (int end = m_stderr.indexOf('\n'); end >= 0; end = m_stderr.indexOf('\n')) {
        const QString line = QString::fromUtf8(m_stderr.left(end));
        m_stderr.remove(0, end + 1);
        m_errorLines << line;
        if (m_errorLines.size() > 8)
            m_errorLines.removeFirst();
        emit logLine(line);
    }
}

void TrainingSession::processEnded(const QString &failure)
{
    if (!m_running.load())
        return;
    readProcessOutput();
    readProcessErrors();
    TrainingOutcome outcome = m_processOutcome.value_or(TrainingOutcome());
    if (!failure.isEmpty() && outcome.ok) {
        outcome.ok = false; // rank 0 finished, another rank did not
        outcome.error = failure;
    } else if (!m_processOutcome) {
        QStringList errors;
        for (const QString &l : m_errorLines)
            if (l.contains(QLatin1String("error")) || l.contains(QLatin1String("rank ")))
                errors << l;
        outcome.error = (failure.isEmpty() ? tr("the training processes ended without a result") : failure)
            + (errors.isEmpty() ? QString() : QStringLiteral(": ") + errors.join(QStringLiteral("; ")));
    }
    m_running = false;
    emit finished(outcome);
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
    setup.distributed = request.distributed;
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

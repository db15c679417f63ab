// florence-cli train / export: fine-tuning through core's TrainingSession (the same worker the
// workbench uses), and merging an adapter into plain model weights.

#include "cli_commands.h"
#include "cli_util.h"
#include "rank_launcher.h"

#include "engine/training/export_model.h"
#include "training/training_config.h"
#include "training/training_events_json.h"
#include "training/training_session.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QMap>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <cstdio>

#include <unistd.h>

namespace fmw::cli {

namespace {

std::atomic<int> g_interrupts {0};

void onInterrupt(int)
{
    // the first Ctrl+C stops gracefully (step finished, checkpoint written); the second kills
    if (g_interrupts.fetch_add(1) >= 1) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}


QString stepLine(const training::StepReport &s)
{
    return QStringLiteral("epoch %1/%2  step %3/%4  loss %5  lr %6  %7 samples/s  ETA %8%9")
        .arg(s.epoch)
        .arg(s.epochs)
        .arg(s.optimizerStep)
        .arg(s.totalOptimizerSteps)
        .arg(s.loss, 0, 'f', 4)
        .arg(s.lr, 0, 'g', 3)
        .arg(s.samplesPerSecond, 0, 'f', 2)
        .arg(training::formatDuration(s.etaSeconds))
        .arg(s.skipped ? QStringLiteral("  (skipped)") : QString());
}

} // namespace

int train(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Fine-tune Florence-2 (LoRA or full) as a YAML config says. Writes metrics.jsonl, metrics.csv and "
        "checkpoints/epoch_N (with best and last links) under output_dir. Ctrl+C stops after the current "
        "step and writes a checkpoint to resume from."));
    p.addOption({QStringLiteral("config"), QStringLiteral("The YAML config (see configs/config.yaml)."),
        QStringLiteral("FILE")});
    p.addOption({QStringLiteral("resume"),
        QStringLiteral(
            "Continue from a checkpoint (a checkpoint folder, its checkpoints folder or the run folder)."),
        QStringLiteral("DIR")});
    p.addOption(
        {QStringLiteral("set"), QStringLiteral("Override a config key, e.g. --set lr=1e-4 (repeatable)."),
            QStringLiteral("KEY=VALUE")});
    p.addOption({QStringLiteral("nproc"),
        QStringLiteral("Data parallel: start N processes on this machine (CPU: Gloo, sharing the cores; "
                       "CUDA: one per GPU with NCCL). batch_size is per process. Default 1."),
        QStringLiteral("N")});
    p.addOption({QStringLiteral("nnodes"),
        QStringLiteral("Machines in the run (each runs this command with its --node-rank). Default 1."),
        QStringLiteral("M")});
    p.addOption({QStringLiteral("node-rank"), QStringLiteral("This machine's place, 0 .. nnodes-1 (0: the one at "
                                                             "--master-addr). Default 0."),
        QStringLiteral("K")});
    p.addOption({QStringLiteral("master-addr"),
        QStringLiteral("Address of machine 0, where rank 0 serves the rendezvous. Default 127.0.0.1."),
        QStringLiteral("HOST")});
    p.addOption({QStringLiteral("master-port"),
        QStringLiteral("Its TCP port. Default: a free port (one machine) or 29500."), QStringLiteral("PORT")});
    p.addOption({QStringLiteral("progress-jsonl"),
        QStringLiteral("Progress as JSON lines on stdout (rank 0): one object per step, epoch and the end, "
                       "with \"event\": step, epoch or finished (for programs such as the workbench).")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    if (!p.isSet(QStringLiteral("config"))) {
        err(QStringLiteral("error: --config is required"));
        return ExitUsage;
    }
    training::TrainingRequest request;
    request.configPath = p.value(QStringLiteral("config"));
    request.overrides = p.values(QStringLiteral("set"));
    request.resumeFrom = p.value(QStringLiteral("resume"));

    // one rank of a data-parallel run (torchrun's variables, as --nproc or torchrun set them)
    auto dist = training::distributedFromEnvironment();
    if (!dist)
        return fail(dist.error());
    request.distributed = *dist;
    if (!dist->launched) {
        qint64 nproc = 1, nnodes = 1, nodeRank = 0, port = 0;
        // an option left out keeps its default; a bad one is a usage error naming it
        const auto intOption = [&](const char *name, qint64 lo, qint64 hi, qint64 *value) {
            const QString key = QString::fromLatin1(name);
            return !p.isSet(key) || readInt(p.value(key), QStringLiteral("--") + key, lo, hi, value);
        };
        if (!intOption("nproc", 1, 1024, &nproc) || !intOption("nnodes", 1, 4096, &nnodes)
            || !intOption("node-rank", 0, nnodes - 1, &nodeRank) || !intOption("master-port", 1, 65535, &port))
            return ExitUsage;
        if (nnodes > 1 && !p.isSet(QStringLiteral("master-addr"))) {
            err(QStringLiteral("error: --nnodes %1 needs --master-addr (machine 0's address)").arg(nnodes));
            return ExitUsage;
        }
        if (nproc * nnodes > 1) {
            // the launcher: the config is read here too, for its dist_timeout and early errors
            auto options = training::loadTrainingConfig(request.configPath, request.overrides);
            if (!options)
                return fail(options.error());
            RankLaunch launch;
            launch.program = QCoreApplication::applicationFilePath();
            launch.arguments = QCoreApplication::arguments().mid(1);
            launch.nproc = static_cast<int>(nproc);
            launch.nnodes = static_cast<int>(nnodes);
            launch.nodeRank = static_cast<int>(nodeRank);
            if (p.isSet(QStringLiteral("master-addr")))
                launch.masterAddr = p.value(QStringLiteral("master-addr"));
            launch.masterPort = port > 0 ? static_cast<int>(port) : nnodes > 1 ? 29500 : 0;
            launch.timeoutSeconds = options->distTimeoutSeconds;
            return launchRanks(launch);
        }
    }
    // ranks other than 0 stay quiet but for their errors (rank 0 speaks for the run)
    const bool speaks = dist->rank == 0;
    const bool jsonl = p.isSet(QStringLiteral("progress-jsonl"));
    auto emitJson = [](const QJsonObject &o) {
        const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
        std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
        std::fflush(stdout); // a pipe: the reader wants each line now
    };
    const QString rankTag = dist->launched && dist->worldSize > 1
        ? QStringLiteral("[rank %1] ").arg(dist->rank) : QString();

    training::TrainingSession session;
    session.setStepInterval(0); // the CLI prints every step
    const bool tty = ::isatty(STDERR_FILENO);
    bool lineOpen = false;
    auto endLine = [&] {
        if (lineOpen) {
            std::fputc('\n', stderr);
            lineOpen = false;
        }
    };
    QObject::connect(&session, &training::TrainingSession::logLine, [&](const QString &line) {
        if (!speaks && !line.startsWith(QStringLiteral("warning")))
            return;
        endLine();
        err(rankTag + line);
    });
    QObject::connect(
        &session, &training::TrainingSession::stepProgress, [&](const QVector<training::StepReport> &steps) {
            if (!speaks)
                return;
            if (jsonl) {
                for (const training::StepReport &s : steps)
                    emitJson(training::stepToJson(s));
                return;
            }
            for (const training::StepReport &s : steps) {
                const QByteArray text = stepLine(s).toLocal8Bit();
                if (tty) {
                    std::fprintf(stderr, "\r\033[K%s", text.constData());
                    lineOpen = true;
                } else {
                    std::fprintf(stderr, "%s\n", text.constData());
                }
            }
            std::fflush(stderr);
        });
    QObject::connect(
        &session, &training::TrainingSession::epochFinished, [&](const training::EpochReport &e) {
            if (!speaks)
                return;
            if (jsonl) {
                emitJson(training::epochToJson(e));
                return;
            }
            endLine();
            out(training::epochSummary(e));
            // exact matches per task prefix: captions are judged apart from <OD> box strings
            QMap<QString, QPair<int, int>> exact;
            for (const training::PreviewSample &s : e.previews) {
                auto &[hits, total] = exact[QString::fromStdString(s.prefix)];
                hits += s.generated == s.reference ? 1 : 0;
                ++total;
                out(QStringLiteral("  %1 %2\n    reference: %3\n    generated: %4")
                        .arg(QString::fromStdString(s.origin), QString::fromStdString(s.prefix),
                            QString::fromStdString(s.reference), QString::fromStdString(s.generated)));
            }
            QStringList parts;
            for (auto it = exact.begin(); it != exact.end(); ++it)
                parts << QStringLiteral("%1 %2 of %3")
                             .arg(it.key())
                             .arg(it.value().first)
                             .arg(it.value().second);
            if (!parts.isEmpty())
                out(QStringLiteral("  previews equal to the reference: ") + parts.join(QStringLiteral(", ")));
        });
    int exitCode = ExitOk;
    QObject::connect(&session, &training::TrainingSession::finished, [&](const training::TrainingOutcome &o) {
        endLine();
        if (jsonl && speaks)
            emitJson(training::outcomeToJson(o));
        if (!o.ok) {
            err(rankTag + QStringLiteral("error: ") + o.error);
            exitCode = ExitBadInput;
        } else if (speaks && !jsonl) {
            const auto &r = o.result;
            const char *how = r.end == training::RunEnd::Finished ? "finished"
                : r.end == training::RunEnd::EarlyStopped         ? "stopped early (no improvement)"
                                                                  : "stopped on request";
            QString line = QStringLiteral("training %1 after %2 epochs, %3 optimizer steps")
                               .arg(QString::fromLatin1(how))
                               .arg(r.epochsDone)
                               .arg(r.optimizerSteps);
            if (r.bestValLoss)
                line += QStringLiteral("; best val loss %1 (%2)")
                            .arg(*r.bestValLoss, 0, 'f', 4)
                            .arg(QString::fromStdString(r.bestCheckpoint));
            if (r.skippedSamples)
                line += QStringLiteral("; %1 records or images skipped (listed above)").arg(r.skippedSamples);
            out(line);
            if (!r.lastCheckpoint.empty())
                out(QStringLiteral("last checkpoint: %1").arg(QString::fromStdString(r.lastCheckpoint)));
        }
        QCoreApplication::exit(exitCode);
    });

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (g_interrupts.load() > 0 && session.isRunning()) {
            static bool said = false;
            if (!said) {
                endLine();
                err(QStringLiteral("stopping after the current step (Ctrl+C again to kill)..."));
                said = true;
            }
            session.requestStop();
        }
    });
    poll.start(100);
    QString error;
    if (!session.start(request, &error)) {
        err(QStringLiteral("error: ") + error);
        return ExitBadInput;
    }
    QCoreApplication::exec();
    session.wait();
    return exitCode;
}

int exportModel(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Merge a LoRA adapter into the model's weights and write a plain model folder "
                       "(model.safetensors with "
                       "the original key names, config, tokenizer and processor files) that --model loads."));
    p.addOption(
        {QStringLiteral("model"), QStringLiteral("The base model folder or hub id."), QStringLiteral("M")});
    p.addOption({QStringLiteral("adapter"), QStringLiteral("The adapter folder (e.g. a checkpoint)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("out"), QStringLiteral("The new model folder (must not exist or be empty)."),
        QStringLiteral("DIR")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    for (const char *required : {"model", "adapter", "out"}) {
        if (!p.isSet(QString::fromLatin1(required))) {
            err(QStringLiteral("error: --%1 is required").arg(QString::fromLatin1(required)));
            return ExitUsage;
        }
    }
    auto summary = training::exportMergedModel(p.value(QStringLiteral("model")).toStdString(),
        p.value(QStringLiteral("adapter")).toStdString(), p.value(QStringLiteral("out")).toStdString());
    if (!summary)
        return fail(summary.error());
    out(QStringLiteral("wrote %1: %2 tensors, %3 adapted layers merged")
            .arg(QString::fromStdString(summary->outDir))
            .arg(summary->tensors)
            .arg(summary->mergedLayers));
    return ExitOk;
}

} // namespace fmw::cli

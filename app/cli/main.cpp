// florence-cli: headless entry point; dispatches to the subcommands in cli_commands.h.

#include "cli_commands.h"
#include "cli_util.h"

#include "engine/process_setup.h"
#include "engine/runtime.h"

#include <QCoreApplication>

#include <functional>
#include <string>

namespace {

struct Command {
    QStringList words;  // e.g. {"dataset", "check"}
    QString synopsis;
    std::function<int(const QStringList &)> run;
};

const QList<Command> &commands()
{
    using namespace fmw::cli;
    static const QList<Command> list = {
        {{"image-info"}, "image-info FILE [--json]      size, bits, photometric, window, PHI tags", imageInfo},
        {{"render"}, "render FILE --out PNG [--window C,W] [--invert]  the pixels the viewer shows", render},
        {{"dataset", "check"}, "dataset check DIR [--json]   every problem with file, line and reason", datasetCheck},
        {{"dataset", "stats"}, "dataset stats DIR [--json]   records per split and prefix", datasetStats},
        {{"make-demo-dataset"}, "make-demo-dataset --out DIR [--count N] [--seed S] [--size PX] [--dicom-fraction F]  synthetic chest X-rays", makeDemoDataset},
        {{"make-demo-model"}, "make-demo-model --out DIR [--dataset DIR] [--image-size PX] [--vocab-size N]  tiny untrained Florence-2 + tokenizer for the demo", makeDemoModel},
        {{"predict"}, "predict --model M --image FILE [--task T] [--text T] [--num-beams K] [--max-new-tokens N] [--device cpu|cuda] [--dtype fp32|bf16|fp16] [--json]  run Florence-2", predict},
        {{"forward"}, "forward --model DIR --inputs IN.safetensors --out OUT.safetensors  teacher-forced pass, every intermediate", forward},
        {{"generate"}, "generate --model DIR --inputs IN.safetensors --max-new-tokens N [--num-beams K] ... --out OUT.safetensors  decoder ids", generate},
        {{"tokenize"}, "tokenize --tokenizer DIR      JSONL {\"text\"} on stdin -> {\"ids\"}", tokenize},
        {{"detokenize"}, "detokenize --tokenizer DIR [--skip-special-tokens]  JSONL {\"ids\"} -> {\"text\"}", detokenize},
        {{"train"}, "train --config FILE [--resume DIR] [--set KEY=VALUE ...] [--nproc N [--nnodes M --node-rank K --master-addr HOST]]  fine-tune Florence-2 (LoRA or full; data parallel), checkpoints per epoch", train},
        {{"predict-split"}, "predict-split --model M [--adapter DIR] --dataset DIR --split val [--task T] --out P.jsonl  predictions for a split, resumable", predictSplit},
        {{"evaluate"}, "evaluate --predictions P.jsonl --references R.jsonl [--task T] --out report.json [--html report.html]  report metrics", evaluate},
        {{"export"}, "export --model M --adapter DIR --out DIR  merge a LoRA adapter into a plain model folder", exportModel},
        {{"postprocess"}, "postprocess --task T --image-size W,H  generated text on stdin -> parsed JSON", postprocess},
    };
    return list;
}

// To stdout when asked for (--help), to stderr when it accompanies a usage error.
void usage(bool asError)
{
    QString text = QStringLiteral("Usage: florence-cli COMMAND [OPTIONS]\n\nCommands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  ") + c.synopsis + QLatin1Char('\n');
    text += QStringLiteral("\n  --version                    print the version\n"
                           "\nRun 'florence-cli COMMAND --help' for a command's options.\n"
                           "Exit codes: 0 ok, 1 bad input or problems found, 2 usage.");
    asError ? fmw::cli::err(text) : fmw::cli::out(text);
}

} // namespace

int main(int argc, char **argv)
{
    // Commands that run the model re-execute once with huge-page malloc (much faster on the
    // CPU); the others skip the second start-up.
    if (argc > 1) {
        const std::string command = argv[1];
        if (command == "predict" || command == "predict-split" || command == "forward" || command == "generate"
            || command == "train")
            fmw::engine::enableHugePageMalloc(argc, argv);
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("florence-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FMW_VERSION));
    fmw::engine::configureThreads();

    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2 || args[1] == QLatin1String("--help") || args[1] == QLatin1String("-h")) {
        const bool missing = args.size() < 2;
        usage(missing);
        return missing ? fmw::cli::ExitUsage : fmw::cli::ExitOk;
    }
    if (args[1] == QLatin1String("--version")) {
        fmw::cli::out(QStringLiteral("florence-cli %1 (LibTorch %2, Qt %3)")
                          .arg(QStringLiteral(FMW_VERSION),
                               QString::fromStdString(fmw::engine::torchVersion()),
                               QString::fromLatin1(qVersion())));
        return fmw::cli::ExitOk;
    }
    for (const Command &c : commands()) {
        if (args.size() - 1 < c.words.size() || args.mid(1, c.words.size()) != c.words)
            continue;
        // Hand the command "florence-cli <words>" as its program name plus its own options.
        QStringList rest = args.mid(1 + c.words.size());
        rest.prepend(QStringLiteral("florence-cli ") + c.words.join(QLatin1Char(' ')));
        return c.run(rest);
    }
    fmw::cli::err(QStringLiteral("error: unknown command '%1'").arg(args.mid(1).join(QLatin1Char(' '))));
    usage(true);
    return fmw::cli::ExitUsage;
}

// make-demo-model: writes the tiny, untrained Florence-2 model folder the demo trains from
// scratch, with a tokenizer learned from a dataset's texts.

#include "cli_commands.h"
#include "cli_util.h"

#include "dataset/jsonl_codec.h"
#include "demo/bundled_demo.h"
#include "engine/training/demo_model.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QDir>

#include <string>
#include <vector>

namespace fmw::cli {

namespace {

// Every `suffix` of every *.jsonl file in `dir` (file names in order, lines in order).
Result<std::vector<std::string>> readSuffixes(const QString &dir)
{
    const QStringList files = QDir(dir).entryList({QStringLiteral("*.jsonl")}, QDir::Files, QDir::Name);
    if (files.isEmpty())
        return makeError(ErrorCode::Io,
            "no *.jsonl files here; --dataset needs a dataset folder (train.jsonl, val.jsonl, ...)",
            dir.toStdString());
    std::vector<std::string> suffixes;
    for (const QString &name : files) {
        const QString path = QDir(dir).filePath(name);
        const Status read = forEachJsonlLine(path, [&](const jsonl::ParsedLine &parsed, int number) -> Status {
            if (parsed.status != jsonl::ParsedLine::Status::Record)
                return makeError(ErrorCode::Parse, parsed.message.toStdString(), path.toStdString(), number);
            suffixes.push_back(parsed.suffix.toStdString());
            return {};
        });
        if (!read)
            return read.error();
    }
    return suffixes;
}

} // namespace

int makeDemoModel(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a tiny, untrained Florence-2 model folder (config.json, tokenizer.json learned from the "
        "dataset's texts, tokenizer_config.json, preprocessor_config.json; no weights) into a new or "
        "empty folder. Train it from scratch with random_init: true (configs/demo.yaml). The same "
        "options and dataset always give byte-identical files."));
    const QCommandLineOption outOpt(
        QStringLiteral("out"), QStringLiteral("Output folder (new or empty)."), QStringLiteral("DIR"));
    const QCommandLineOption datasetOpt(QStringLiteral("dataset"),
        QStringLiteral("Dataset folder whose *.jsonl suffixes the tokenizer learns from (default: the "
                       "bundled demo dataset)."),
        QStringLiteral("DIR"));
    const QCommandLineOption sizeOpt(QStringLiteral("image-size"),
        QStringLiteral("Model input width and height in pixels, a multiple of 32 (default 128)."),
        QStringLiteral("PX"), QStringLiteral("128"));
    const QCommandLineOption vocabOpt(QStringLiteral("vocab-size"),
        QStringLiteral("Learned BPE vocabulary: 4 special tokens + 256 bytes + merges (default 660); "
                       "Florence-2's <mask> and 1024 task and <loc_N> tokens come on top."),
        QStringLiteral("N"), QStringLiteral("660"));
    parser.addOptions({outOpt, datasetOpt, sizeOpt, vocabOpt});
    int exitCode = ExitOk;
    if (!parseArgs(parser, args, 0, &exitCode))
        return exitCode;
    if (!parser.isSet(outOpt) || parser.value(outOpt).isEmpty()) {
        err(QStringLiteral("error: --out DIR is required"));
        err(parser.helpText());
        return ExitUsage;
    }

    training::DemoModelOptions options;
    qint64 value = 0;
    if (!readInt(parser.value(sizeOpt), QStringLiteral("image-size"), 32, 2048, &value))
        return ExitUsage;
    if (value % 32 != 0) {
        err(QStringLiteral("error: --image-size must be a multiple of 32 (DaViT downsamples by 32), got %1")
                .arg(value));
        return ExitUsage;
    }
    options.imageSize = int(value);
    if (!readInt(parser.value(vocabOpt), QStringLiteral("vocab-size"), 260, 100000, &value))
        return ExitUsage;
    options.vocabSize = int(value);

    const bool bundled = !parser.isSet(datasetOpt);
    const QString datasetDir = bundled ? demo::bundledDemoResourceRoot() : parser.value(datasetOpt);
    options.corpusSource
        = bundled ? std::string("the bundled demo dataset") : QDir(datasetDir).absolutePath().toStdString();
    const Result<std::vector<std::string>> corpus = readSuffixes(datasetDir);
    if (!corpus)
        return fail(corpus.error());

    const QString dir = parser.value(outOpt);
    training::DemoModelSummary summary;
    if (const Status s = training::writeDemoModel(dir.toStdString(), corpus.value(), options, &summary); !s)
        return fail(s.error());
    out(QStringLiteral(
        "wrote a demo model (%1 parameters, untrained) to %2: tokenizer of %3 ids with %4 merges "
        "learned from %5 texts, images %6 x %6")
            .arg(summary.parameters)
            .arg(dir)
            .arg(summary.tokenizerSize)
            .arg(summary.merges)
            .arg(corpus.value().size())
            .arg(options.imageSize));
    return ExitOk;
}

} // namespace fmw::cli

// florence-cli predict-split: runs the model on every distinct (image, prefix) of a dataset
// split and appends one JSON line per prediction, in the form `evaluate` compares with the
// references. Resumable: pairs already in --out are skipped, a partial last line left by a
// killed run is cut off first.

#include "cli_commands.h"
#include "cli_util.h"
#include "engine_cli.h"

#include "dataset/jsonl_codec.h"
#include "engine/florence2_engine.h"
#include "imaging/model_image.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace fmw::cli {

namespace {

using Json = nlohmann::ordered_json;

// One (image, prefix) to predict and the first record that asked for it.
struct Pair {
    QString image, prefix;
    QString file; // the split file, as a path under --dataset
    int line = 0;
};

QString pairKey(const QString &image, const QString &prefix)
{
    return image + QLatin1Char('\n') + prefix;
}

// The distinct pairs of the split's files in file and line order (only prefix `task` when
// it is not empty). A malformed record is reported and counted in *skipped; a missing file
// is fine as long as one of them exists.
Result<std::vector<Pair>> readSplit(
    const QString &dataset, const QString &split, const QString &task, int *skipped)
{
    std::vector<Pair> pairs;
    QSet<QString> seen;
    int filesFound = 0;
    for (const QString &name :
        {split + QStringLiteral(".jsonl"), split + QStringLiteral("_detailed_caption.jsonl")}) {
        const QString path = QDir(dataset).filePath(name);
        if (!QFileInfo::exists(path))
            continue;
        ++filesFound;
        const Status read = forEachJsonlLine(path, [&](const jsonl::ParsedLine &parsed, int number) -> Status {
            if (parsed.status != jsonl::ParsedLine::Status::Record) {
                fail(makeError(ErrorCode::Parse, parsed.message.toStdString() + " (record skipped)",
                    path.toStdString(), number));
                ++*skipped;
            } else if ((task.isEmpty() || parsed.prefix == task)
                && !seen.contains(pairKey(parsed.image, parsed.prefix))) {
                seen.insert(pairKey(parsed.image, parsed.prefix));
                pairs.push_back({parsed.image, parsed.prefix, path, number});
            }
            return {};
        });
        if (!read)
            return read.error();
    }
    if (filesFound == 0)
        return makeError(ErrorCode::Io,
            "no " + split.toStdString() + ".jsonl or " + split.toStdString()
                + "_detailed_caption.jsonl here; --dataset needs a dataset folder",
            dataset.toStdString());
    return pairs;
}

// The pairs already in `path` (absent: none). A last line without its newline is what a
// killed run leaves behind: it is cut off so the next append starts on a fresh line.
Result<QSet<QString>> readDone(const QString &path)
{
    QSet<QString> done;
    QFile file(path);
    if (!file.exists())
        return done;
    if (!file.open(QIODevice::ReadOnly))
        return makeError(
            ErrorCode::Io, "cannot read the file: " + file.errorString().toStdString(), path.toStdString());
    const QByteArray content = file.readAll();
    const std::vector<jsonl::LineSpan> lines = jsonl::splitLines(content);
    for (size_t i = 0; i < lines.size(); ++i) {
        const jsonl::LineSpan &span = lines[i];
        if (span.end == jsonl::LineEnd::None) {
            file.close();
            if (!file.resize(span.offset))
                return makeError(ErrorCode::Io,
                    "cannot cut off the partial last line: " + file.errorString().toStdString(),
                    path.toStdString(), int(i) + 1);
            err(QStringLiteral("%1:%2: dropped a partial last line (an interrupted run)")
                    .arg(path)
                    .arg(i + 1));
            break;
        }
        const std::string line(content.constData() + span.offset, size_t(span.length));
        if (QByteArrayView(line.data(), qsizetype(line.size())).trimmed().isEmpty())
            continue;
        const Json j = Json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("image") || !j["image"].is_string() || !j.contains("prefix")
            || !j["prefix"].is_string())
            return makeError(ErrorCode::Parse,
                "not a prediction line ({\"image\", \"prefix\", ...}); is --out the right file?",
                path.toStdString(), int(i) + 1);
        done.insert(pairKey(QString::fromStdString(j["image"].get<std::string>()),
            QString::fromStdString(j["prefix"].get<std::string>())));
    }
    return done;
}


QString seconds(double ms)
{
    return QString::number(ms / 1000.0, 'f', 1) + QStringLiteral(" s");
}

} // namespace

int predictSplit(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Run the model on every distinct (image, prefix) of a dataset split ({split}.jsonl and "
        "{split}_detailed_caption.jsonl, file and line order), one image at a time (the engine has no "
        "batched predict), and append one JSON line per prediction to --out: image, prefix, prediction "
        "(<OD>: labels + <loc_N> tokens as in the dataset; other tasks: the post-processed answer), "
        "generated_text, model (and adapter). Resumable: pairs already in --out are skipped. Bad records "
        "and unreadable images are reported and skipped; the exit code is then 1."));
    addModelOptions(p);
    p.addOption({QStringLiteral("dataset"), QStringLiteral("Dataset folder (images/ + *.jsonl)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("split"), QStringLiteral("train, val or test."), QStringLiteral("S")});
    p.addOption({QStringLiteral("task"), QStringLiteral("Only records with this prefix, e.g. <OD>."),
        QStringLiteral("T")});
    p.addOption(
        {QStringLiteral("out"), QStringLiteral("Predictions JSONL, appended to."), QStringLiteral("FILE")});
    addDecodingOptions(p);
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    for (const char *required : {"model", "dataset", "split", "out"}) {
        if (p.value(QLatin1String(required)).isEmpty())
            return usageError(QStringLiteral("--%1 is required").arg(QLatin1String(required)));
    }
    engine::DecodingOptions decoding;
    if (!readDecodingOptions(p, &decoding))
        return ExitUsage;
    const QString dataset = p.value(QStringLiteral("dataset"));
    const QString outPath = p.value(QStringLiteral("out"));
    if (!QFileInfo(dataset).isDir())
        return fail(makeError(
            ErrorCode::Io, "not a folder; --dataset needs a dataset folder", dataset.toStdString()));

    int skipped = 0;
    const auto pairs
        = readSplit(dataset, p.value(QStringLiteral("split")), p.value(QStringLiteral("task")), &skipped);
    if (!pairs)
        return fail(pairs.error());
    const auto done = readDone(outPath);
    if (!done)
        return fail(done.error());
    std::vector<Pair> todo;
    for (const Pair &pair : *pairs) {
        if (!done->contains(pairKey(pair.image, pair.prefix)))
            todo.push_back(pair);
    }
    if (todo.size() < pairs->size())
        err(QStringLiteral("skipping %1 of %2 prediction(s) already in %3")
                .arg(pairs->size() - todo.size())
                .arg(pairs->size())
                .arg(outPath));

    if (!todo.empty()) {
        auto engine = loadEngine(p, true, &code);
        if (!engine)
            return code;
        QFile out(outPath);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Append))
            return fail(makeError(ErrorCode::Io, "cannot write the file: " + out.errorString().toStdString(),
                outPath.toStdString()));
        const QDir images(QDir(dataset).filePath(QStringLiteral("images")));
        double totalMs = 0;
        int predicted = 0;
        for (size_t k = 0; k < todo.size(); ++k) {
            const Pair &pair = todo[k];
            const std::string where = pair.image.toStdString() + ": ";
            QElapsedTimer timer;
            timer.start();
            auto image = imaging::loadModelImage(images.filePath(pair.image));
            if (!image) {
                fail(makeError(
                    image.error().code, where + image.error().message, pair.file.toStdString(), pair.line));
                ++skipped;
                continue;
            }
            auto prediction = engine->predict(*image, pair.prefix.toStdString(), {}, decoding);
            if (!prediction) {
                fail(makeError(prediction.error().code, where + prediction.error().toString(),
                    pair.file.toStdString(), pair.line));
                ++skipped;
                continue;
            }
            Json j;
            j["image"] = pair.image.toStdString();
            j["prefix"] = pair.prefix.toStdString();
            j["prediction"] = engine::evaluatedText(*prediction);
            j["generated_text"] = prediction->generatedText;
            j["model"] = engine->info().folder;
            if (!engine->info().adapter.empty())
                j["adapter"] = engine->info().adapter;
            // One write per line, flushed at once: a kill leaves at most a partial last line.
            // Invalid UTF-8 from an untrained model becomes U+FFFD instead of aborting the run.
            const QByteArray line
                = QByteArray::fromStdString(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n';
            if (out.write(line) != line.size() || !out.flush())
                return fail(makeError(ErrorCode::Io,
                    "cannot write the file: " + out.errorString().toStdString(), outPath.toStdString()));
            const double ms = double(timer.elapsed());
            totalMs += ms;
            ++predicted;
            err(QStringLiteral("[%1/%2] %3 %4: %5 ms, ETA %6")
                    .arg(k + 1)
                    .arg(todo.size())
                    .arg(pair.image, pair.prefix)
                    .arg(qint64(ms))
                    .arg(seconds(totalMs / predicted * double(todo.size() - k - 1))));
        }
    }
    if (skipped > 0) {
        err(QStringLiteral("%1 record(s) or image(s) skipped, see above").arg(skipped));
        return ExitBadInput;
    }
    return ExitOk;
}

} // namespace fmw::cli

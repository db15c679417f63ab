// florence-cli dataset check / dataset stats: the dataset core's problems and figures.

#include "cli_commands.h"
#include "cli_util.h"

#include "dataset/dataset_document.h"
#include "dataset/dataset_stats.h"

#include <nlohmann/json.hpp>

namespace fmw::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string str(const QString &s)
{
    return s.toStdString();
}

// Parses "<command> DIR [--json]"; returns false with *exitCode set when it should stop.
bool parseDatasetArgs(
    const QStringList &args, const QString &description, QString *dir, bool *json, int *exitCode)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(description);
    parser.addPositionalArgument(
        QStringLiteral("DIR"), QStringLiteral("dataset folder: images/ and the split .jsonl files"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(jsonOption);
    if (!parseArgs(parser, args, 1, exitCode))
        return false;
    *dir = parser.positionalArguments().first();
    *json = parser.isSet(jsonOption);
    return true;
}

template <typename Map> Json toJson(const Map &map)
{
    Json out = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out[str(it.key())] = it.value();
    return out;
}

} // namespace

int datasetCheck(const QStringList &args)
{
    QString dir;
    bool json = false;
    int exitCode = ExitOk;
    if (!parseDatasetArgs(args,
            QStringLiteral("Lists every problem of a dataset: malformed or invalid UTF-8 lines, "
                           "missing fields, invalid <OD> boxes, missing images, images without "
                           "records. Exit code 1 if there is any."),
            &dir, &json, &exitCode))
        return exitCode;

    auto doc = DatasetDocument::open(dir);
    if (!doc.ok())
        return fail(doc.error());
    const QVector<DatasetProblem> problems = (*doc)->problems();
    const int records = (*doc)->recordCount();
    const int images = int((*doc)->images().size());

    if (json) {
        Json report;
        report["dataset"] = str(dir);
        report["records"] = records;
        report["images"] = images;
        report["problems"] = Json::array();
        for (const DatasetProblem &p : problems)
            report["problems"].push_back(Json {{"file", str(p.file)}, {"line", p.line},
                {"kind", str(problemKindName(p.kind))}, {"message", str(p.message)}});
        cli::out(QString::fromStdString(report.dump(2, ' ', false, Json::error_handler_t::replace)));
    } else {
        for (const DatasetProblem &p : problems) {
            const QString where = p.line > 0 ? QStringLiteral("%1:%2").arg(p.file).arg(p.line) : p.file;
            cli::out(QStringLiteral("%1: %2: %3").arg(where, problemKindName(p.kind), p.message));
        }
        cli::out(QStringLiteral("%1: %2 records, %3 images, %4 problem(s)")
                     .arg(dir)
                     .arg(records)
                     .arg(images)
                     .arg(problems.size()));
    }
    return problems.isEmpty() ? ExitOk : ExitBadInput;
}

int datasetStats(const QStringList &args)
{
    QString dir;
    bool json = false;
    int exitCode = ExitOk;
    if (!parseDatasetArgs(args,
            QStringLiteral("Prints records per file, split and prefix, images, images with "
                           "boxes, boxes per label and mean caption words per prefix."),
            &dir, &json, &exitCode))
        return exitCode;

    auto doc = DatasetDocument::open(dir);
    if (!doc.ok())
        return fail(doc.error());
    const DatasetStats s = computeStats(**doc);

    if (json) {
        Json report;
        report["dataset"] = str(dir);
        report["records"] = s.records;
        report["images"] = s.images;
        report["images_with_boxes"] = s.imagesWithBoxes;
        report["boxes"] = s.boxes;
        report["invalid_od_records"] = s.invalidOdRecords;
        report["records_per_file"] = toJson(s.recordsPerFile);
        report["records_per_split"] = toJson(s.recordsPerSplit);
        report["records_per_prefix"] = toJson(s.recordsPerPrefix);
        report["boxes_per_label"] = toJson(s.boxesPerLabel);
        report["mean_words_per_prefix"] = toJson(s.meanWordsPerPrefix);
        cli::out(QString::fromStdString(report.dump(2, ' ', false, Json::error_handler_t::replace)));
        return ExitOk;
    }

    auto section = [](const QString &title, const auto &map, int precision) {
        cli::out(title);
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            cli::out(
                QStringLiteral("  %1  %2").arg(it.key(), -28).arg(double(it.value()), 0, 'f', precision));
    };
    cli::out(QStringLiteral("dataset            %1").arg(dir));
    cli::out(QStringLiteral("records            %1").arg(s.records));
    cli::out(QStringLiteral("images             %1").arg(s.images));
    cli::out(QStringLiteral("images with boxes  %1").arg(s.imagesWithBoxes));
    cli::out(QStringLiteral("boxes              %1").arg(s.boxes));
    if (s.invalidOdRecords > 0)
        cli::out(QStringLiteral("invalid <OD>       %1 (run 'dataset check')").arg(s.invalidOdRecords));
    section(QStringLiteral("records per file"), s.recordsPerFile, 0);
    section(QStringLiteral("records per split"), s.recordsPerSplit, 0);
    section(QStringLiteral("records per prefix"), s.recordsPerPrefix, 0);
    section(QStringLiteral("boxes per label"), s.boxesPerLabel, 0);
    section(QStringLiteral("mean caption words per prefix"), s.meanWordsPerPrefix, 1);
    return ExitOk;
}

} // namespace fmw::cli

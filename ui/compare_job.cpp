#include "ui/compare_job.h"

#include "dataset/dataset_document.h"
#include "dataset/jsonl_codec.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

namespace fmw::ui {

using Json = nlohmann::ordered_json;

QString pairKey(const QString &image, const QString &prefix)
{
    return image + QLatin1Char('\n') + prefix;
}

QVector<ComparePair> collectComparePairs(const DatasetDocument &document, Split split, const QString &task)
{
    QVector<ComparePair> pairs;
    QHash<QString, int> index;
    for (RecordId id : document.recordIds()) {
        const DatasetRecord &r = document.record(id);
        if (r.prefix != task || splitOfFile(QFileInfo(r.file).fileName()) != split)
            continue;
        const QString key = pairKey(r.image, r.prefix);
        auto it = index.find(key);
        if (it == index.end()) {
            it = index.insert(key, int(pairs.size()));
            pairs.push_back({r.image, r.prefix, {}});
        }
        pairs[*it].references << r.suffix;
    }
    return pairs;
}

QString predictionsPath(const QString &root, Split split, const QString &task)
{
    QString name = task;
    name.remove(QLatin1Char('<')).remove(QLatin1Char('>'));
    return QDir(root).filePath(
        QStringLiteral(".predictions/%1-%2.jsonl").arg(splitName(split), name.toLower()));
}

Result<QHash<QString, StoredPrediction>> readPredictions(
    const QString &path, const QString &model, const QString &adapter)
{
    QHash<QString, StoredPrediction> out;
    QFile file(path);
    if (!file.exists())
        return out;
    if (!file.open(QIODevice::ReadOnly))
        return makeError(
            ErrorCode::Io, "cannot read the file: " + file.errorString().toStdString(), path.toStdString());
    const QByteArray content = file.readAll();
    const std::vector<jsonl::LineSpan> lines = jsonl::splitLines(content);
    for (size_t i = 0; i < lines.size(); ++i) {
        const jsonl::LineSpan &span = lines[i];
        if (span.end == jsonl::LineEnd::None)
            break; // a killed run's partial line
        const QByteArray line = content.mid(span.offset, span.length);
        if (line.trimmed().isEmpty())
            continue;
        const Json j = Json::parse(line.toStdString(), nullptr, false);
        auto text = [&](const char *key) {
            return j.contains(key) && j[key].is_string() ? QString::fromStdString(j[key].get<std::string>())
                                                         : QString();
        };
        if (!j.is_object() || !j.contains("image") || !j["image"].is_string() || !j.contains("prefix")
            || !j["prefix"].is_string() || !j.contains("prediction") || !j["prediction"].is_string())
            return makeError(ErrorCode::Parse,
                "not a prediction line ({\"image\", \"prefix\", \"prediction\", ...})", path.toStdString(),
                int(i) + 1);
        StoredPrediction p {text("image"), text("prefix"), text("prediction"), text("generated_text"),
            text("model"), text("adapter")};
        if (!model.isEmpty() && (p.model != model || p.adapter != adapter))
            continue;
        out.insert(pairKey(p.image, p.prefix), p);
    }
    return out;
}

Status repairPartialLastLine(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return {};
    if (!file.open(QIODevice::ReadOnly))
        return makeError(
            ErrorCode::Io, "cannot read the file: " + file.errorString().toStdString(), path.toStdString());
    const QByteArray content = file.readAll();
    file.close();
    const std::vector<jsonl::LineSpan> lines = jsonl::splitLines(content);
    if (lines.empty() || lines.back().end != jsonl::LineEnd::None)
        return {};
    if (!file.resize(lines.back().offset))
        return makeError(ErrorCode::Io,
            "cannot cut off the partial last line: " + file.errorString().toStdString(), path.toStdString(),
            int(lines.size()));
    return {};
}

QByteArray predictionLine(const StoredPrediction &p)
{
    Json j;
    j["image"] = p.image.toStdString();
    j["prefix"] = p.prefix.toStdString();
    j["prediction"] = p.prediction.toStdString();
    j["generated_text"] = p.generatedText.toStdString();
    j["model"] = p.model.toStdString();
    if (!p.adapter.isEmpty())
        j["adapter"] = p.adapter.toStdString();
    return QByteArray::fromStdString(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n';
}

std::vector<eval::EvaluationSample> compareSamples(
    const QVector<ComparePair> &pairs, const QHash<QString, StoredPrediction> &predictions)
{
    std::vector<eval::EvaluationSample> samples;
    for (const ComparePair &pair : pairs) {
        const auto it = predictions.constFind(pairKey(pair.image, pair.prefix));
        if (it == predictions.constEnd() || pair.references.isEmpty())
            continue;
        eval::EvaluationSample s;
        s.image = pair.image.toStdString();
        s.prefix = pair.prefix.toStdString();
        s.prediction = it->prediction.toStdString();
        for (const QString &r : pair.references)
            s.references.push_back(r.toStdString());
        samples.push_back(std::move(s));
    }
    return samples;
}

} // namespace fmw::ui

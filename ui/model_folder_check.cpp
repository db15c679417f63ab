#include "ui/model_folder_check.h"

#include "engine/training/demo_model.h"
#include "engine/weights/model_locator.h"
#include "ui/model_parameter_count.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QtEndian>

#include <limits>

namespace fmw::ui {

namespace {

// Tensor element count from a safetensors file's JSON header (the 8-byte length, then JSON);
// the tensor data is never read. -1 when the header is unreadable.
qint64 safetensorsParameters(const QString &path, QString *problem)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *problem = QObject::tr("cannot read %1: %2").arg(path, f.errorString());
        return -1;
    }
    const QByteArray head = f.read(8);
    if (head.size() != 8) {
        *problem = QObject::tr("%1 is too short to be a safetensors file").arg(path);
        return -1;
    }
    const quint64 length = qFromLittleEndian<quint64>(head.constData());
    if (length == 0 || length > 100u * 1024 * 1024 || static_cast<qint64>(length) > f.size() - 8) {
        *problem = QObject::tr("%1 has a damaged header (length %2)").arg(path).arg(length);
        return -1;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.read(static_cast<qint64>(length)), &error);
    if (!doc.isObject()) {
        *problem = QObject::tr("%1: the header is not JSON: %2").arg(path, error.errorString());
        return -1;
    }
    qint64 total = 0;
    const QJsonObject tensors = doc.object();
    for (auto it = tensors.begin(); it != tensors.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__"))
            continue;
        qint64 n = 1;
        for (const QJsonValue &d : it.value().toObject().value(QLatin1String("shape")).toArray())
            n *= d.toInteger();
        total += n;
    }
    return total;
}

} // namespace

bool ModelFolderReport::usable() const
{
    return !configFile.isEmpty() && !tokenizerFile.isEmpty() && !preprocessorFile.isEmpty()
        && (!weightsFile.isEmpty() || demo);
}

QString ModelFolderReport::summary() const
{
    QStringList parts;
    if (!weightsFile.isEmpty())
        parts << QStringLiteral("%1, %2").arg(QFileInfo(weightsFile).fileName(), formatBytes(weightsBytes));
    else if (demo)
        parts << QObject::tr("demo model (no weights: trains from random initialisation)");
    if (parameters >= 0)
        parts << QObject::tr("%1 parameters").arg(formatCount(parameters));
    if (!tokenizerFile.isEmpty())
        parts << QObject::tr("tokenizer %1").arg(QFileInfo(tokenizerFile).fileName());
    QString text = parts.join(QStringLiteral(" · "));
    if (!problems.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + problems.join(QLatin1Char('\n'));
    return text;
}

QString formatBytes(qint64 bytes)
{
    const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes)
                  : QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(QLatin1String(units[u]));
}

QString formatCount(qint64 count)
{
    if (count >= 1'000'000'000)
        return QStringLiteral("%1 B").arg(count / 1e9, 0, 'f', 2);
    if (count >= 1'000'000)
        return QStringLiteral("%1 M").arg(count / 1e6, 0, 'f', 1);
    if (count >= 1'000)
        return QStringLiteral("%1 K").arg(count / 1e3, 0, 'f', 1);
    return QString::number(count);
}

ModelFolderReport checkModelFolder(const QString &spec)
{
    ModelFolderReport r;
    r.spec = spec;
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty()) {
        r.problems << QObject::tr("No model folder given.");
        return r;
    }
    if (QFileInfo(trimmed).isDir()) {
        r.folder = QFileInfo(trimmed).absoluteFilePath();
    } else if (weights::looksLikeHubId(trimmed.toStdString())) {
        // a cached hub id: locateModel finds the snapshot (and explains a missing one)
        auto located = weights::locateModel(trimmed.toStdString());
        if (!located) {
            r.problems << QString::fromStdString(located.error().message);
            return r;
        }
        r.folder = QString::fromStdString(located->folder);
    } else {
        r.problems << QObject::tr("%1 is not a folder (nor a Hugging Face id such as "
                                  "microsoft/Florence-2-base-ft in the local cache).")
                          .arg(trimmed);
        return r;
    }
    const QDir dir(r.folder);

    // config.json
    if (QFile config(dir.filePath(QStringLiteral("config.json"))); config.open(QIODevice::ReadOnly)) {
        r.configFile = config.fileName();
        const QByteArray text = config.readAll();
        QJsonParseError error;
        if (!QJsonDocument::fromJson(text, &error).isObject())
            r.problems << QObject::tr("config.json is not a JSON object: %1 (offset %2).")
                              .arg(error.errorString())
                              .arg(error.offset);
        r.demo = training::isDemoModelConfig(text.toStdString());
    } else {
        r.problems << QObject::tr("config.json is missing.");
    }

    // weights, in the model loader's order of preference
    for (const char *name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
             "pytorch_model.bin.index.json"}) {
        const QString path = dir.filePath(QLatin1String(name));
        if (QFileInfo(path).isFile()) {
            r.weightsFile = path;
            break;
        }
    }
    QString problem;
    if (r.weightsFile.endsWith(QLatin1String(".index.json"))) {
        // sharded: the index's weight_map names the shards
        QFile index(r.weightsFile);
        QSet<QString> shards;
        if (index.open(QIODevice::ReadOnly)) {
            const QJsonObject map = QJsonDocument::fromJson(index.readAll())
                                        .object()
                                        .value(QLatin1String("weight_map"))
                                        .toObject();
            for (auto it = map.begin(); it != map.end(); ++it)
                shards.insert(it.value().toString());
        }
        if (shards.isEmpty())
            r.problems
                << QObject::tr("%1 names no shards (weight_map).").arg(QFileInfo(r.weightsFile).fileName());
        qint64 parameters = 0;
        for (const QString &shard : shards) {
            const QFileInfo info(dir.filePath(shard));
            if (!info.isFile()) {
                r.problems << QObject::tr("The shard %1 is missing.").arg(shard);
                parameters = -1;
                continue;
            }
            r.weightsBytes += info.size();
            if (parameters >= 0 && shard.endsWith(QLatin1String(".safetensors"))) {
                const qint64 n = safetensorsParameters(info.filePath(), &problem);
                parameters = n < 0 ? -1 : parameters + n;
            } else {
                parameters = -1;
            }
        }
        r.parameters = shards.isEmpty() ? -1 : parameters;
    } else if (!r.weightsFile.isEmpty()) {
        r.weightsBytes = QFileInfo(r.weightsFile).size();
        if (r.weightsFile.endsWith(QLatin1String(".safetensors")))
            r.parameters = safetensorsParameters(r.weightsFile, &problem);
    } else if (r.demo && !r.configFile.isEmpty()) {
        // no weights by design: build the (small) model once to count
        auto counted = countParametersFromConfig(r.configFile.toStdString());
        if (counted)
            r.parameters = *counted;
        else
            r.problems << QString::fromStdString(counted.error().toString());
    } else {
        r.problems << QObject::tr("No weights file (model.safetensors or pytorch_model.bin): "
                                  "only random_init: true trains without one.");
    }
    if (!problem.isEmpty())
        r.problems << problem;

    // tokenizer and image processor
    if (QFileInfo(dir.filePath(QStringLiteral("tokenizer.json"))).isFile())
        r.tokenizerFile = dir.filePath(QStringLiteral("tokenizer.json"));
    else if (QFileInfo(dir.filePath(QStringLiteral("vocab.json"))).isFile()
        && QFileInfo(dir.filePath(QStringLiteral("merges.txt"))).isFile())
        r.tokenizerFile = dir.filePath(QStringLiteral("vocab.json"));
    else
        r.problems << QObject::tr("The tokenizer is missing (tokenizer.json, or vocab.json and merges.txt).");
    if (QFileInfo(dir.filePath(QStringLiteral("preprocessor_config.json"))).isFile())
        r.preprocessorFile = dir.filePath(QStringLiteral("preprocessor_config.json"));
    else
        r.problems << QObject::tr("preprocessor_config.json is missing.");
    return r;
}

} // namespace fmw::ui

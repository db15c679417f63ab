#pragma once
// The compare job's data: which (image, prefix) pairs of a split the model is run on (with every
// reference), where their predictions are kept so a run can resume (<root>/.predictions/
// <split>-<task>.jsonl, the same line format as `florence-cli predict-split`), and the samples
// handed to evaluateTask. Pure functions over values; the file functions are safe on a worker.

#include "common/result.h"
#include "dataset/dataset_record.h"
#include "evaluation/evaluation_report.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

#include <vector>

namespace fmw {
class DatasetDocument;
}

namespace fmw::ui {

struct ComparePair {
    QString image; // relative to images/
    QString prefix;
    QStringList references; // the suffixes of every record of the pair in the split, file order
};

// The distinct (image, `task`) pairs of the records in `split`'s files, in document order.
QVector<ComparePair> collectComparePairs(const DatasetDocument &document, Split split, const QString &task);

// <root>/.predictions/<split>-<task>.jsonl, task without its brackets, lower case.
QString predictionsPath(const QString &root, Split split, const QString &task);

QString pairKey(const QString &image, const QString &prefix);

struct StoredPrediction {
    QString image, prefix;
    QString prediction; // what is scored: the answer text, or <OD> labels + <loc_N>
    QString generatedText;
    QString model, adapter;
};

// The predictions in `path` by pairKey, the last line of a pair winning; `model` non-empty:
// only lines of that model and `adapter`. A missing file is empty. A partial last line (a run
// killed mid-write) is ignored; any other bad line is an error naming it.
Result<QHash<QString, StoredPrediction>> readPredictions(
    const QString &path, const QString &model = {}, const QString &adapter = {});

// Cuts off a last line without its newline so the next append starts on a fresh line.
Status repairPartialLastLine(const QString &path);

// One JSONL line (with its newline) for `prediction`; invalid UTF-8 becomes U+FFFD.
QByteArray predictionLine(const StoredPrediction &prediction);

// The pairs that have a prediction, as evaluation samples (pairs without one are left out).
std::vector<eval::EvaluationSample> compareSamples(
    const QVector<ComparePair> &pairs, const QHash<QString, StoredPrediction> &predictions);

} // namespace fmw::ui

#include "dataset/dataset_stats.h"

#include "dataset/dataset_document.h"

#include <QSet>

namespace fmw {

namespace {

int wordCount(const QString &text)
{
    int words = 0;
    bool inWord = false;
    for (QChar c : text) {
        const bool space = c.isSpace();
        words += !space && !inWord;
        inWord = !space;
    }
    return words;
}

} // namespace

DatasetStats computeStats(const DatasetDocument &doc)
{
    DatasetStats stats;
    QSet<QString> imagesWithBoxes;
    QMap<QString, qint64> wordsPerPrefix;
    for (RecordId id : doc.recordIds()) {
        const DatasetRecord &rec = doc.record(id);
        ++stats.records;
        ++stats.recordsPerFile[rec.file];
        ++stats.recordsPerSplit[splitName(splitOfFile(rec.file))];
        ++stats.recordsPerPrefix[rec.prefix];
        if (rec.prefix != QLatin1String("<OD>")) {
            wordsPerPrefix[rec.prefix] += wordCount(rec.suffix);
            continue;
        }
        const auto boxes = doc.boxes(id);
        if (!boxes.ok()) {
            ++stats.invalidOdRecords;
            continue;
        }
        for (const loc::OdBox &box : *boxes)
            ++stats.boxesPerLabel[QString::fromStdString(box.label)];
        stats.boxes += int(boxes->size());
        if (!boxes->empty())
            imagesWithBoxes.insert(rec.image);
    }
    for (auto it = wordsPerPrefix.cbegin(); it != wordsPerPrefix.cend(); ++it)
        stats.meanWordsPerPrefix[it.key()] = double(it.value()) / stats.recordsPerPrefix.value(it.key());
    stats.images = int(doc.images().size());
    stats.imagesWithBoxes = int(imagesWithBoxes.size());
    return stats;
}

} // namespace fmw

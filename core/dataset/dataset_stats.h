#pragma once
// Summary figures of a dataset (what `florence-cli dataset stats` prints): records per file,
// split and prefix, images, boxes per label, caption length per prefix.

#include <QMap>
#include <QString>

namespace fmw {

class DatasetDocument;

struct DatasetStats {
    int records = 0;
    int images = 0; // distinct images: files under images/ plus images named by records
    int imagesWithBoxes = 0; // images with at least one box in a valid <OD> record
    int boxes = 0;
    int invalidOdRecords = 0; // <OD> records whose suffix does not parse (not counted in boxes)
    QMap<QString, int> recordsPerFile; // "train.jsonl" -> n
    QMap<QString, int> recordsPerSplit; // "train", "val", "test", "other"
    QMap<QString, int> recordsPerPrefix; // "<CAPTION>" -> n
    QMap<QString, int> boxesPerLabel;
    QMap<QString, double> meanWordsPerPrefix; // every prefix but <OD>: mean words in the suffix
};

DatasetStats computeStats(const DatasetDocument &doc);

} // namespace fmw

#pragma once
// Value types of the curation model: one JSONL record, a split, a dataset problem.

#include <QString>
#include <QtGlobal>

namespace fmw {

using RecordId = quint64;  // stable for the document's lifetime; never reused; 0 = none

enum class Split { Train, Val, Test, Other };

// "train.jsonl" -> Train, "val_detailed_caption.jsonl" -> Val, "notes.jsonl" -> Other.
Split splitOfFile(const QString &fileName);
// "train_detailed_caption.jsonl" -> "_detailed_caption"; "train.jsonl" -> "".
QString variantOfFile(const QString &fileName);
// Split::Val + "_detailed_caption" -> "val_detailed_caption.jsonl".
QString splitFileName(Split split, const QString &variant);
QString splitName(Split split);  // "train", "val", "test", "other"

// One `{"image", "prefix", "suffix"}` record. Unknown JSON fields are kept by the
// document alongside it (never dropped), not here.
struct DatasetRecord {
    RecordId id = 0;
    QString image;   // relative to <dataset>/images/, '/'-separated
    QString prefix;  // task prefix: "<CAPTION>", "<DETAILED_CAPTION>", "<OD>", or custom
    QString suffix;  // target text; for "<OD>" the `<loc_N>` box text
    QString file;    // split file relative to the dataset root, e.g. "train.jsonl"
    int line = 0;    // 1-based line in `file` when loaded; 0 for records added since
};

struct DatasetProblem {
    enum class Kind {
        UnreadableFile,     // cannot read a split file
        MalformedLine,      // not a JSON object; kept verbatim, never dropped
        InvalidUtf8,        // line is not valid UTF-8; kept verbatim
        MissingField,       // image/prefix/suffix absent or not a string
        InvalidOd,          // "<OD>" suffix fails the strict loc codec
        MissingImage,       // record's image is not under images/
        ImageWithoutRecord, // file under images/ that no record mentions
    };
    Kind kind = Kind::MalformedLine;
    QString file;        // relative to the dataset root ("images/x.png" for image problems)
    int line = 0;        // 1-based, 0 if not line-bound
    QString message;     // human-readable reason
    RecordId record = 0; // record involved, 0 if none
};

QString problemKindName(DatasetProblem::Kind kind);  // "malformed-line", "missing-image", ...

} // namespace fmw

#include "dataset/dataset_record.h"

namespace fmw {

namespace {

const QLatin1String kJsonl(".jsonl");

QString baseName(const QString &fileName)
{
    return fileName.endsWith(kJsonl, Qt::CaseInsensitive) ? fileName.left(fileName.size() - kJsonl.size())
                                                          : fileName;
}

// Length of the split word that starts `base` ("val" in "val_detailed_caption"), 0 if none.
int splitWordLength(const QString &base, Split *split)
{
    static const struct {
        QLatin1String word;
        Split split;
    } kWords[] = {{QLatin1String("train"), Split::Train}, {QLatin1String("val"), Split::Val},
        {QLatin1String("test"), Split::Test}};
    for (const auto &w : kWords) {
        if (base.startsWith(w.word, Qt::CaseInsensitive)
            && (base.size() == w.word.size() || base.at(w.word.size()) == QLatin1Char('_'))) {
            *split = w.split;
            return int(w.word.size());
        }
    }
    *split = Split::Other;
    return 0;
}

} // namespace

Split splitOfFile(const QString &fileName)
{
    Split split = Split::Other;
    splitWordLength(baseName(fileName), &split);
    return split;
}

QString variantOfFile(const QString &fileName)
{
    const QString base = baseName(fileName);
    Split split = Split::Other;
    const int n = splitWordLength(base, &split);
    return split == Split::Other ? QString() : base.mid(n);
}

QString splitFileName(Split split, const QString &variant)
{
    return splitName(split) + variant + kJsonl;
}

QString splitName(Split split)
{
    switch (split) {
    case Split::Train:
        return QStringLiteral("train");
    case Split::Val:
        return QStringLiteral("val");
    case Split::Test:
        return QStringLiteral("test");
    case Split::Other:
        break;
    }
    return QStringLiteral("other");
}

QString problemKindName(DatasetProblem::Kind kind)
{
    using K = DatasetProblem::Kind;
    switch (kind) {
    case K::UnreadableFile:
        return QStringLiteral("unreadable-file");
    case K::MalformedLine:
        return QStringLiteral("malformed-line");
    case K::InvalidUtf8:
        return QStringLiteral("invalid-utf8");
    case K::MissingField:
        return QStringLiteral("missing-field");
    case K::InvalidOd:
        return QStringLiteral("invalid-od");
    case K::MissingImage:
        return QStringLiteral("missing-image");
    case K::ImageWithoutRecord:
        return QStringLiteral("image-without-record");
    }
    return QStringLiteral("unknown");
}

} // namespace fmw

#include "training/jsonl_sample_source.h"

#include "annotation/loc_codec.h"
#include "dataset/jsonl_codec.h"
#include "imaging/model_image.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <exception>

namespace fmw::training {

std::string SkippedRecord::toString() const
{
    QString s = file;
    if (line > 0)
        s += QLatin1Char(':') + QString::number(line);
    return (s + QStringLiteral(": ") + reason).toStdString();
}

JsonlSampleSource::JsonlSampleSource(
    const QStringList &jsonlFiles, const QString &imageDir, const QStringList &prefixes)
{
    for (const QString &file : jsonlFiles) {
        try {
            readFile(file, imageDir, prefixes);
        } catch (const std::exception &e) {
            m_skipped.push_back(
                {file, 0, QStringLiteral("could not be read: %1").arg(QString::fromUtf8(e.what()))});
        }
    }
}

void JsonlSampleSource::readFile(const QString &file, const QString &imageDir, const QStringList &prefixes)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        m_skipped.push_back({file, 0, QStringLiteral("cannot open: %1").arg(f.errorString())});
        return;
    }
    const QByteArray content = f.readAll();
    if (f.error() != QFileDevice::NoError) {
        m_skipped.push_back({file, 0, QStringLiteral("cannot read: %1").arg(f.errorString())});
        return;
    }
    const QString fileName = QFileInfo(file).fileName();
    const QDir images(imageDir);
    QHash<QString, bool> exists; // images are often named by several records
    const std::vector<jsonl::LineSpan> lines = jsonl::splitLines(content);
    for (size_t i = 0; i < lines.size(); ++i) {
        const int lineNo = static_cast<int>(i) + 1;
        const QByteArrayView bytes(content.constData() + lines[i].offset, lines[i].length);
        const jsonl::ParsedLine parsed = jsonl::parseLine(bytes);
        using Status = jsonl::ParsedLine::Status;
        if (parsed.status == Status::Blank)
            continue;
        if (parsed.status != Status::Record) {
            m_skipped.push_back({file, lineNo, parsed.message});
            continue;
        }
        if (!prefixes.isEmpty() && !prefixes.contains(parsed.prefix)) {
            ++m_filteredOut;
            continue;
        }
        if (parsed.image.isEmpty()) {
            m_skipped.push_back({file, lineNo, QStringLiteral("\"image\" is empty")});
            continue;
        }
        if (parsed.prefix == QLatin1String("<OD>")) {
            auto boxes = loc::parseOd(parsed.suffix.toStdString());
            if (!boxes) {
                m_skipped.push_back({file, lineNo,
                    QStringLiteral("<OD> suffix rejected: %1")
                        .arg(QString::fromStdString(boxes.error().message))});
                continue;
            }
        }
        const QString path = QDir::cleanPath(images.filePath(parsed.image));
        auto known = exists.constFind(path);
        if (known == exists.constEnd())
            known = exists.insert(path, QFileInfo(path).isFile());
        if (!known.value()) {
            m_skipped.push_back({file, lineNo, QStringLiteral("image not found: %1").arg(path)});
            continue;
        }
        Sample s;
        s.text.prefix = parsed.prefix.toStdString();
        s.text.suffix = parsed.suffix.toStdString();
        s.text.origin
            = QStringLiteral("%1:%2 (%3)").arg(fileName).arg(lineNo).arg(parsed.image).toStdString();
        s.imagePath = path;
        m_samples.push_back(std::move(s));
    }
}

size_t JsonlSampleSource::size() const
{
    return m_samples.size();
}

const SampleText &JsonlSampleSource::text(size_t index) const
{
    return m_samples.at(index).text;
}

const QString &JsonlSampleSource::imagePath(size_t index) const
{
    return m_samples.at(index).imagePath;
}

Result<RawSample> JsonlSampleSource::load(size_t index) const
{
    if (index >= m_samples.size())
        return makeError(ErrorCode::InvalidArgument,
            "sample " + std::to_string(index) + " out of range (" + std::to_string(m_samples.size())
                + " samples)");
    const Sample &s = m_samples[index];
    auto image = imaging::loadModelImage(s.imagePath);
    if (!image) {
        Error e = image.error();
        if (e.path.empty())
            e.path = s.imagePath.toStdString();
        return e;
    }
    RawSample out;
    out.image = std::move(*image);
    out.prefix = s.text.prefix;
    out.suffix = s.text.suffix;
    out.origin = s.text.origin;
    return out;
}

std::vector<std::string> JsonlSampleSource::problems() const
{
    std::vector<std::string> out;
    out.reserve(m_skipped.size());
    for (const SkippedRecord &r : m_skipped)
        out.push_back(r.toString());
    return out;
}

} // namespace fmw::training

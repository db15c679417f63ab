#pragma once
// JsonlSampleSource: the trainer's examples from the users' JSONL files ({"image", "prefix",
// "suffix"} per line, images relative to an image folder). Every line is checked once, at
// construction, and what cannot be trained on (malformed JSON, invalid UTF-8, missing fields,
// an <OD> suffix the strict <loc_N> codec rejects, an image that does not exist) is listed as
// a skipped record with "file:line: reason" instead of failing the run. Images are decoded on
// demand through imaging::loadModelImage, exactly as the CLI's predict sees them.

#include "common/result.h"
#include "engine/training/sample_source.h"

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace fmw::training {

// A line (or a whole file, line 0) that yields no sample.
struct SkippedRecord {
    QString file; // as given to the source
    int line = 0; // 1-based; 0 when the whole file is concerned
    QString reason;

    // "file:line: reason"
    std::string toString() const;
};

class JsonlSampleSource : public SampleSource {
public:
    // Reads `jsonlFiles` in order. Relative `image` fields resolve against `imageDir`
    // (absolute ones are kept). With `prefixes` non-empty only records with one of those
    // prefixes are kept; the others are counted in filteredOut(), not reported. Never throws.
    JsonlSampleSource(
        const QStringList &jsonlFiles, const QString &imageDir, const QStringList &prefixes = {});

    size_t size() const override;
    const SampleText &text(size_t index) const override;
    // The image through imaging::loadModelImage; an Error names the image file.
    Result<RawSample> load(size_t index) const override;

    // The image file of sample `index`.
    const QString &imagePath(size_t index) const;
    const std::vector<SkippedRecord> &skipped() const { return m_skipped; }
    // skipped() as "file:line: reason" lines.
    std::vector<std::string> problems() const;
    // Records left out by the prefix filter.
    int filteredOut() const { return m_filteredOut; }

private:
    void readFile(const QString &file, const QString &imageDir, const QStringList &prefixes);

    struct Sample {
        SampleText text;
        QString imagePath;
    };
    std::vector<Sample> m_samples;
    std::vector<SkippedRecord> m_skipped;
    int m_filteredOut = 0;
};

} // namespace fmw::training

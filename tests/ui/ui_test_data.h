#pragma once
// Small datasets for the GUI tests and the thumbnail benchmark, written into a temporary
// folder: 16-bit PNGs (QImage Grayscale16), DICOMs through the demo writer, JSONL files.

#include "demo/dicom_writer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QString>
#include <QtTest/QTest>

#include <opencv2/core.hpp>

#include <cmath>

namespace fmwtest {

inline void writeBytes(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write test file %s", qPrintable(path));
}

inline QByteArray readBytes(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read test file %s", qPrintable(path));
    return file.readAll();
}

// A 16-bit gray PNG: a diagonal ramp over the full 0..65535 range (so any window change is
// visible) with a brighter square in the middle; `seed` varies the pattern.
inline void writeGray16Png(const QString &path, int width, int height, int seed = 0)
{
    QImage image(width, height, QImage::Format_Grayscale16);
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<quint16 *>(image.scanLine(y));
        for (int x = 0; x < width; ++x) {
            const double t = double(x + y) / double(width + height - 2);
            double v = 65535.0 * t;
            if (std::abs(x - width / 2) < width / 6 && std::abs(y - height / 2) < height / 6)
                v = std::min(65535.0, v + 12000.0 + 97.0 * (seed % 50));
            line[x] = quint16(v);
        }
    }
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (!image.save(path, "PNG"))
        qFatal("cannot write test PNG %s", qPrintable(path));
}

// A 16-bit DX DICOM (12 bits stored) with a brightness ramp, via the demo writer.
inline void writeDicom(const QString &path, int width, int height, bool monochrome1 = false, int seed = 0)
{
    cv::Mat brightness(height, width, CV_32FC1);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            brightness.at<float>(y, x) = float((x + y + seed % 7) % (width + height)) / float(width + height);
    fmw::demo::DemoDicomOptions options;
    options.monochrome1 = monochrome1;
    options.seed = quint32(seed);
    options.index = seed;
    QDir().mkpath(QFileInfo(path).absolutePath());
    const fmw::Status written = fmw::demo::writeDemoDicom(path, brightness, options);
    if (!written)
        qFatal("cannot write test DICOM: %s", written.error().toString().c_str());
}

// The dataset the GUI tests open:
//   images/chest_a.png  64x48 16-bit, <CAPTION>, <DETAILED_CAPTION> and two <OD> boxes
//   images/chest_b.png  40x40 16-bit, <CAPTION>
//   images/chest_c.dcm  32x32 DICOM,  <CAPTION>
struct UiDataset {
    static QByteArray trainJsonl()
    {
        return "{\"image\": \"chest_a.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"No acute findings.\", \"reviewer\": 7}\n"
               "{\"image\": \"chest_b.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Small left pleural effusion.\"}\n"
               "{\"image\": \"chest_a.png\", \"prefix\": \"<OD>\", \"suffix\": \"nodule<loc_100><loc_200><loc_300><loc_400>pleural effusion<loc_500><loc_600><loc_900><loc_950>\"}\n"
               "{\"image\": \"chest_c.dcm\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Cardiomegaly.\"}\n";
    }
    static QByteArray detailedJsonl()
    {
        return "{\"image\": \"chest_a.png\", \"prefix\": \"<DETAILED_CAPTION>\", \"suffix\": \"The lungs are clear.\"}\r\n";
    }

    static void write(const QString &root)
    {
        writeGray16Png(root + QStringLiteral("/images/chest_a.png"), 64, 48, 1);
        writeGray16Png(root + QStringLiteral("/images/chest_b.png"), 40, 40, 2);
        writeDicom(root + QStringLiteral("/images/chest_c.dcm"), 32, 32);
        writeBytes(root + QStringLiteral("/train.jsonl"), trainJsonl());
        writeBytes(root + QStringLiteral("/train_detailed_caption.jsonl"), detailedJsonl());
    }
};

} // namespace fmwtest

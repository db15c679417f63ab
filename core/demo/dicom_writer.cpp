#include "demo/dicom_writer.h"

#include "demo/demo_rng.h"

#include <QFile>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

namespace fmw::demo {

namespace {

// Decimal digits of the 128-bit unsigned integer hi:lo.
std::string toDecimal(std::uint64_t hi, std::uint64_t lo)
{
    std::array<std::uint32_t, 4> limbs = {std::uint32_t(hi >> 32), std::uint32_t(hi),
                                           std::uint32_t(lo >> 32), std::uint32_t(lo)};
    std::string digits;
    for (;;) {
        bool zero = true;
        std::uint64_t rem = 0;
        for (std::uint32_t &limb : limbs) {
            const std::uint64_t cur = (rem << 32) | limb;
            limb = std::uint32_t(cur / 10);
            rem = cur % 10;
            zero = zero && limb == 0;
        }
        digits.push_back(char('0' + rem));
        if (zero)
            break;
    }
    std::reverse(digits.begin(), digits.end());
    return digits;
}

Error dicomError(const QString &path, const OFCondition &cond, const char *what)
{
    return makeError(ErrorCode::Io,
                     std::string("cannot write DICOM (") + what + "): " + cond.text()
                         + "; check that the folder is writable and has space",
                     path.toStdString());
}

QString ds(double value) { return QString::number(value, 'g', 10); }

} // namespace

QString demoUid(quint32 seed, int index, int kind)
{
    const std::uint64_t key = (std::uint64_t(seed) << 32) | std::uint32_t(index);
    std::uint64_t hi = splitMix64(key ^ splitMix64(0x5EEDULL + std::uint64_t(kind)));
    std::uint64_t lo = splitMix64(hi ^ 0xD1C0ULL);
    hi = (hi & ~0xF000ULL) | 0x8000ULL;                           // UUID version 8 (custom)
    lo = (lo & ~(0x3ULL << 62)) | (0x2ULL << 62);                 // RFC 4122 variant
    return QStringLiteral("2.25.") + QString::fromStdString(toDecimal(hi, lo));
}

DemoDicomScale demoDicomScale(int bitsStored)
{
    DemoDicomScale s;
    const int max = (1 << bitsStored) - 1;
    // Leave head room on both sides so the file's window, not the full range, sets contrast.
    s.low = int(std::lround(0.06 * max));
    s.high = int(std::lround(0.90 * max));
    if (bitsStored > 12) {
        s.slope = 0.25;
        s.intercept = -512;
    }
    return s;
}

Status writeDemoDicom(const QString &path, const cv::Mat &image, const DemoDicomOptions &o)
{
    if (image.type() != CV_32FC1 || image.empty())
        return makeError(ErrorCode::InvalidArgument, "demo DICOM needs a float gray image", path.toStdString());
    if (o.bitsStored != 12 && o.bitsStored != 16)
        return makeError(ErrorCode::InvalidArgument, "BitsStored must be 12 or 16", path.toStdString());

    const DemoDicomScale scale = demoDicomScale(o.bitsStored);
    const int max = (1 << o.bitsStored) - 1;
    std::vector<Uint16> pixels(size_t(image.rows) * size_t(image.cols));
    for (int y = 0; y < image.rows; ++y) {
        const float *row = image.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
            const double p = std::min(1.0, std::max(0.0, double(row[x])));
            long value = std::lround(scale.low + (scale.high - scale.low) * p);
            if (o.monochrome1)
                value = max - value;
            pixels[size_t(y) * image.cols + x] = Uint16(value);
        }
    }
    // Window over the brightness range, in modality units; MONOCHROME1 stores it mirrored.
    const double midStored = o.monochrome1 ? max - (scale.low + scale.high) / 2.0
                                           : (scale.low + scale.high) / 2.0;
    const double center = scale.slope * midStored + scale.intercept;
    const double width = scale.slope * (scale.high - scale.low);
    const QString number = QStringLiteral("%1").arg(o.index + 1, 4, 10, QLatin1Char('0'));
    const double spacing = 350.0 / image.cols;  // a 35 cm detector

    DcmFileFormat file;
    DcmDataset *d = file.getDataset();
    const auto put = [d](const DcmTagKey &tag, const QString &value) {
        return d->putAndInsertString(tag, value.toLatin1().constData());
    };
    OFCondition cond = EC_Normal;
    const std::pair<DcmTagKey, QString> strings[] = {
        {DCM_SpecificCharacterSet, QStringLiteral("ISO_IR 100")},
        {DCM_ImageType, QStringLiteral("DERIVED\\PRIMARY")},
        {DCM_SOPClassUID, QString::fromLatin1(UID_DigitalXRayImageStorageForPresentation)},
        {DCM_SOPInstanceUID, demoUid(o.seed, o.index, 3)},
        {DCM_StudyInstanceUID, demoUid(o.seed, o.index, 1)},
        {DCM_SeriesInstanceUID, demoUid(o.seed, o.index, 2)},
        {DCM_StudyDate, QStringLiteral("20000101")},
        {DCM_StudyTime, QStringLiteral("120000")},
        {DCM_AccessionNumber, QStringLiteral("DEMO") + number},
        {DCM_Modality, QStringLiteral("DX")},
        {DCM_PresentationIntentType, QStringLiteral("FOR PRESENTATION")},
        {DCM_Manufacturer, QStringLiteral("Florence Medical Workbench (synthetic)")},
        {DCM_InstitutionName, QStringLiteral("SYNTHETIC DEMO DATA")},
        {DCM_ReferringPhysicianName, QStringLiteral("DEMO^REFERRER")},
        {DCM_StudyDescription, QStringLiteral("SYNTHETIC DEMO CHEST PA")},
        {DCM_SeriesDescription, QStringLiteral("SYNTHETIC")},
        {DCM_PatientName, QStringLiteral("DEMO^SYNTHETIC")},
        {DCM_PatientID, QStringLiteral("DEMO-") + number},
        {DCM_PatientBirthDate, QStringLiteral("19000101")},
        {DCM_PatientSex, QStringLiteral("O")},
        {DCM_BodyPartExamined, QStringLiteral("CHEST")},
        {DCM_ViewPosition, QStringLiteral("PA")},
        {DCM_StudyID, QStringLiteral("DEMO")},
        {DCM_SeriesNumber, QStringLiteral("1")},
        {DCM_InstanceNumber, QString::number(o.index + 1)},
        {DCM_PatientOrientation, QStringLiteral("L\\F")},
        {DCM_BurnedInAnnotation, QStringLiteral("NO")},
        {DCM_PhotometricInterpretation,
         o.monochrome1 ? QStringLiteral("MONOCHROME1") : QStringLiteral("MONOCHROME2")},
        {DCM_PixelSpacing, ds(spacing) + QLatin1Char('\\') + ds(spacing)},
        {DCM_ImagerPixelSpacing, ds(spacing) + QLatin1Char('\\') + ds(spacing)},
        {DCM_WindowCenter, ds(center)},
        {DCM_WindowWidth, ds(width)},
        {DCM_WindowCenterWidthExplanation, QStringLiteral("SYNTHETIC")},
        {DCM_RescaleIntercept, ds(scale.intercept)},
        {DCM_RescaleSlope, ds(scale.slope)},
        {DCM_RescaleType, QStringLiteral("US")},
    };
    for (const auto &[tag, value] : strings) {
        cond = put(tag, value);
        if (cond.bad())
            return dicomError(path, cond, "attribute");
    }
    const std::pair<DcmTagKey, Uint16> shorts[] = {
        {DCM_SamplesPerPixel, 1},
        {DCM_Rows, Uint16(image.rows)},
        {DCM_Columns, Uint16(image.cols)},
        {DCM_BitsAllocated, 16},
        {DCM_BitsStored, Uint16(o.bitsStored)},
        {DCM_HighBit, Uint16(o.bitsStored - 1)},
        {DCM_PixelRepresentation, 0},
    };
    for (const auto &[tag, value] : shorts) {
        cond = d->putAndInsertUint16(tag, value);
        if (cond.bad())
            return dicomError(path, cond, "attribute");
    }
    cond = d->putAndInsertUint16Array(DCM_PixelData, pixels.data(), unsigned(pixels.size()));
    if (cond.bad())
        return dicomError(path, cond, "pixel data");

    // Write next to the target, then rename over it: readers never see a partial file.
    const QString temp = path + QStringLiteral(".part");
    cond = file.saveFile(OFFilename(QFile::encodeName(temp).constData()), EXS_LittleEndianExplicit,
                         EET_ExplicitLength, EGL_recalcGL, EPD_noChange);
    if (cond.bad()) {
        QFile::remove(temp);
        return dicomError(path, cond, "save");
    }
    if (std::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) != 0) {
        QFile::remove(temp);
        return makeError(ErrorCode::Io, "cannot rename the temporary DICOM file into place",
                         path.toStdString());
    }
    return {};
}

} // namespace fmw::demo

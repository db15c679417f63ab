// DCMTK's configuration header must precede every other DCMTK (and ideally system) header.
#include <dcmtk/config/osconfig.h>

#include "imaging/dicom_reader.h"

#include "imaging/dicom_pixels.h"
#include "imaging/phi_tags.h"
#include "imaging/raster_header.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <QFile>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

namespace fmw::imaging {

namespace {

// Values larger than this stay on disk until read, so metadata reads never load pixel data.
constexpr Uint32 kLazyLoadBytes = 4096;

void registerCodecs()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // DCMTK logs to stderr, sometimes quoting element values (PHI); errors reach the
        // caller through OFCondition instead.
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        DcmRLEDecoderRegistration::registerCodecs();
        // No colour conversion in the codec: jpegCodedAsYcc() decides per file, since neither
        // the DICOM label nor libjpeg's guess is right for every writer.
        DJDecoderRegistration::registerCodecs(EDC_never);
        DJLSDecoderRegistration::registerCodecs();
    });
}

Error fail(ErrorCode code, const QString &path, const QString &message)
{
    return makeError(code, message.toStdString(), path.toStdString());
}

QString text(DcmItem &item, const DcmTagKey &key)
{
    OFString value;
    if (item.findAndGetOFString(key, value).bad())
        return {};
    return QString::fromLatin1(value.c_str()).trimmed();
}

// US, SS or IS attribute as an integer.
std::optional<long> integer(DcmItem &item, const DcmTagKey &key)
{
    Uint16 u = 0;
    if (item.findAndGetUint16(key, u).good())
        return u;
    Sint32 s = 0;
    if (item.findAndGetSint32(key, s).good())
        return s;
    Sint16 ss = 0;
    if (item.findAndGetSint16(key, ss).good())
        return ss;
    return std::nullopt;
}

// A DS value from the dataset, else from the shared or the first per-frame functional group:
// enhanced multi-frame objects keep rescale and window there.
std::optional<double> number(DcmDataset &ds, const DcmTagKey &key, unsigned long pos = 0)
{
    Float64 v = 0;
    if (ds.findAndGetFloat64(key, v, pos).good())
        return v;
    for (const DcmTagKey &group :
        {DCM_SharedFunctionalGroupsSequence, DCM_PerFrameFunctionalGroupsSequence}) {
        DcmItem *item = nullptr;
        if (ds.findAndGetSequenceItem(group, item, 0).good() && item
            && item->findAndGetFloat64(key, v, pos, OFTrue).good())
            return v;
    }
    return std::nullopt;
}

bool isJpeg2000(const QString &uid)
{
    static const QStringList uids = {
        QStringLiteral("1.2.840.10008.1.2.4.90"),
        QStringLiteral("1.2.840.10008.1.2.4.91"),
        QStringLiteral("1.2.840.10008.1.2.4.92"),
        QStringLiteral("1.2.840.10008.1.2.4.93"),
        QStringLiteral("1.2.840.10008.1.2.4.201"),
        QStringLiteral("1.2.840.10008.1.2.4.202"),
        QStringLiteral("1.2.840.10008.1.2.4.203"),
    };
    return uids.contains(uid);
}

bool isNative(E_TransferSyntax xs)
{
    return xs == EXS_LittleEndianImplicit || xs == EXS_LittleEndianExplicit || xs == EXS_BigEndianExplicit
        || xs == EXS_DeflatedLittleEndianExplicit;
}

// The compressed syntaxes the registered RLE, JPEG and JPEG-LS decoders handle.
bool isDecodable(E_TransferSyntax xs)
{
    switch (xs) {
    case EXS_RLELossless:
    case EXS_JPEGProcess1:
    case EXS_JPEGProcess2_4:
    case EXS_JPEGProcess6_8:
    case EXS_JPEGProcess10_12:
    case EXS_JPEGProcess14:
    case EXS_JPEGProcess14SV1:
    case EXS_JPEGLSLossless:
    case EXS_JPEGLSLossy:
        return true;
    default:
        return false;
    }
}

bool isLossyJpeg(E_TransferSyntax xs)
{
    return xs == EXS_JPEGProcess1 || xs == EXS_JPEGProcess2_4 || xs == EXS_JPEGProcess6_8
        || xs == EXS_JPEGProcess10_12;
}

bool isJpeg(E_TransferSyntax xs)
{
    return isLossyJpeg(xs) || xs == EXS_JPEGProcess14 || xs == EXS_JPEGProcess14SV1;
}

// Whether a three-component JPEG stream holds YCbCr. A JFIF header or an Adobe marker with a
// colour transform says so; without an Adobe marker, component ids 1, 2, 3 are the JFIF
// convention (GDCM writes such streams labelled RGB); anything else is taken as coded RGB.
bool jpegCodedAsYcc(const Uint8 *p, Uint32 size)
{
    bool adobe = false;
    Uint32 pos = 2;
    while (pos + 4 <= size && p[pos] == 0xFF) {
        const int marker = p[pos + 1];
        const Uint32 len = (Uint32(p[pos + 2]) << 8) | p[pos + 3];
        const Uint8 *body = p + pos + 4;
        if (marker == 0xE0 && len >= 7 && pos + 9 <= size && std::equal(body, body + 5, "JFIF"))
            return true;
        if (marker == 0xEE && len >= 14 && pos + 4 + 12 <= size) {
            adobe = true;
            if (body[11] != 0)
                return true;
        }
        const bool sof
            = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof && pos + 4 + 6 + 9 <= size && body[5] == 3)
            return !adobe && body[6] == 1 && body[9] == 2 && body[12] == 3;
        if (marker == 0xDA || len < 2)
            break;
        pos += 2 + len;
    }
    return false;
}

// The first fragment of the first frame (item 0 of the sequence is the offset table).
bool firstFragment(DcmPixelSequence &sequence, Uint8 *&data, Uint32 &size)
{
    DcmPixelItem *item = nullptr;
    if (sequence.getItem(item, 1).bad() || !item || item->getUint8Array(data).bad() || !data)
        return false;
    size = item->getLength();
    return true;
}

QStringList presentPhiTags(DcmDataset &ds)
{
    QStringList present;
    for (const PhiTag &tag : phiTags()) {
        if (ds.tagExistsWithValue(DcmTagKey(tag.group, tag.element), OFTrue))
            present << QString::fromLatin1(tag.keyword);
    }
    // Burned-in text means the pixels themselves may show identity.
    if (text(ds, DCM_BurnedInAnnotation).compare(QLatin1String("YES"), Qt::CaseInsensitive) == 0)
        present << QStringLiteral("BurnedInAnnotation");
    return present;
}

// The first VOI LUT of the VOI LUT Sequence; leaves `image` untouched if it is malformed.
void readVoiLut(DcmDataset &ds, bool signedInput, DecodedImage &image)
{
    DcmItem *item = nullptr;
    if (ds.findAndGetSequenceItem(DCM_VOILUTSequence, item, 0).bad() || !item)
        return;
    DcmElement *descriptor = nullptr;
    if (item->findAndGetElement(DCM_LUTDescriptor, descriptor).bad() || !descriptor
        || descriptor->getVM() < 3)
        return;
    long d[3] = {0, 0, 0};
    for (unsigned long i = 0; i < 3; ++i) {
        Uint16 u = 0;
        Sint16 s = 0;
        if (descriptor->getUint16(u, i).good())
            d[i] = u;
        else if (descriptor->getSint16(s, i).good())
            d[i] = s;
        else
            return;
    }
    const long entries = d[0] == 0 ? 65536 : d[0];
    // The first mapped value is SS when the LUT's input (the modality values) can be negative.
    long first = d[1];
    if (descriptor->ident() == EVR_SS || (signedInput && first > 32767))
        first = static_cast<Sint16>(static_cast<Uint16>(d[1]));
    int bits = static_cast<int>(d[2]);
    if (bits < 1 || bits > 16)
        return;

    DcmElement *data = nullptr;
    const Uint16 *words = nullptr;
    if (item->findAndGetElement(DCM_LUTData, data).bad() || !data
        || data->getUint16Array(OFconst_cast(Uint16 *&, words)).bad() || !words)
        return;
    const long count = static_cast<long>(data->getLength() / 2);
    std::vector<quint16> lut(static_cast<size_t>(entries));
    if (count >= entries) {
        std::copy(words, words + entries, lut.begin());
    } else if (bits <= 8 && count * 2 >= entries) {
        // 8-bit entries packed two per word, first entry in the low byte.
        for (long i = 0; i < entries; ++i)
            lut[static_cast<size_t>(i)] = (words[i / 2] >> ((i % 2) * 8)) & 0xFF;
    } else {
        return;
    }
    // Some writers declare fewer bits than the entries use; widen rather than saturate.
    const quint16 largest = *std::max_element(lut.begin(), lut.end());
    while (bits < 16 && largest >= (1u << bits))
        ++bits;
    image.voiLut = std::move(lut);
    image.voiLutFirstMapped = static_cast<int>(first);
    image.voiLutBits = bits;
    image.meta.hasVoiLut = true;
}

} // namespace

bool hasDicomPreamble(const QByteArray &head)
{
    return head.size() >= 132 && head.mid(128, 4) == "DICM";
}

Result<DecodedImage> readDicom(const QString &path, bool decodePixels, bool *parsed)
{
    registerCodecs();
    if (parsed)
        *parsed = false;
    DcmFileFormat file;
    const OFCondition loaded = file.loadFile(OFFilename(QFile::encodeName(path).constData()), EXS_Unknown,
        EGL_noChange, kLazyLoadBytes, ERM_autoDetect);
    if (loaded.bad())
        return fail(ErrorCode::Parse, path,
            QStringLiteral("cannot read DICOM (%1): the file is truncated, corrupt or "
                           "not DICOM")
                .arg(QString::fromLatin1(loaded.text())));
    DcmDataset &ds = *file.getDataset();
    // Arbitrary bytes can parse as a few bogus elements; a real dataset has one of these.
    if (parsed)
        *parsed = ds.tagExists(DCM_SOPClassUID) || ds.tagExists(DCM_PixelData) || ds.tagExists(DCM_Rows);

    DecodedImage image;
    ImageMetadata &meta = image.meta;
    meta.isDicom = true;
    meta.format = QStringLiteral("DICOM");
    meta.modality = text(ds, DCM_Modality);
    meta.viewPosition = text(ds, DCM_ViewPosition);
    meta.phiTags = presentPhiTags(ds);

    // The syntax the dataset was read with; the meta header's UID names ones DCMTK lacks.
    const E_TransferSyntax xs = ds.getOriginalXfer();
    const DcmXfer xfer(xs);
    QString uid = text(*file.getMetaInfo(), DCM_TransferSyntaxUID);
    if (uid.isEmpty())
        uid = QString::fromLatin1(xfer.getXferID());
    meta.transferSyntax = uid;
    meta.transferSyntaxName = xs == EXS_Unknown ? uid : QString::fromLatin1(xfer.getXferName());

    DcmElement *pixelElement = nullptr;
    if (ds.findAndGetElement(DCM_PixelData, pixelElement).bad() || !pixelElement) {
        const QString sop = text(ds, DCM_SOPClassUID);
        const QString sopName = sop.isEmpty()
            ? QStringLiteral("unknown")
            : QString::fromLatin1(dcmFindNameOfUID(sop.toLatin1().constData(), sop.toLatin1().constData()));
        return fail(ErrorCode::Unsupported, path,
            QStringLiteral("DICOM file has no Pixel Data, nothing to show (SOP class: %1)").arg(sopName));
    }
    auto *pixelData = OFstatic_cast(DcmPixelData *, pixelElement);

    // Transfer syntax: check it ourselves, DCMTK reports a missing codec as a missing attribute.
    if (isJpeg2000(uid))
        return fail(ErrorCode::Unsupported, path,
            QStringLiteral("JPEG 2000 is not supported (transfer syntax %1, %2); convert "
                           "the file to an uncompressed or JPEG-LS syntax first, e.g. "
                           "with 'gdcmconv --raw'")
                .arg(uid, meta.transferSyntaxName));
    const bool native = isNative(xs);
    if (!native && !isDecodable(xs))
        return fail(ErrorCode::Unsupported, path,
            QStringLiteral("transfer syntax %1 (%2) is not supported; supported are the "
                           "uncompressed, deflate, RLE, JPEG and JPEG-LS syntaxes")
                .arg(uid, meta.transferSyntaxName));

    // Image Pixel module.
    const std::optional<long> rows = integer(ds, DCM_Rows);
    const std::optional<long> cols = integer(ds, DCM_Columns);
    if (!rows || !cols)
        return fail(
            ErrorCode::Parse, path, QStringLiteral("DICOM image lacks %1").arg(!rows ? "Rows" : "Columns"));
    if (Status s = checkImageSize(*cols, *rows, path, QStringLiteral("DICOM Rows/Columns")); !s)
        return s.error();
    const std::optional<long> bitsAllocated = integer(ds, DCM_BitsAllocated);
    if (!bitsAllocated)
        return fail(ErrorCode::Parse, path, QStringLiteral("DICOM image lacks BitsAllocated"));
    PixelLayout layout;
    layout.rows = static_cast<int>(*rows);
    layout.cols = static_cast<int>(*cols);
    layout.samples = static_cast<int>(integer(ds, DCM_SamplesPerPixel).value_or(1));
    layout.bitsAllocated = static_cast<int>(*bitsAllocated);
    layout.bitsStored = static_cast<int>(integer(ds, DCM_BitsStored).value_or(*bitsAllocated));
    layout.highBit = static_cast<int>(integer(ds, DCM_HighBit).value_or(layout.bitsStored - 1));
    layout.isSigned = integer(ds, DCM_PixelRepresentation).value_or(0) == 1;
    layout.planar = integer(ds, DCM_PlanarConfiguration).value_or(0) == 1;
    layout.photometric = text(ds, DCM_PhotometricInterpretation).toUpper();
    if (layout.photometric.isEmpty())
        layout.photometric = layout.samples == 1 ? QStringLiteral("MONOCHROME2") : QStringLiteral("RGB");
    // Missing or malformed NumberOfFrames means one frame (PS3.3 C.7.6.6).
    const long frames = integer(ds, DCM_NumberOfFrames).value_or(1);
    const int frameCount = frames >= 1 ? static_cast<int>(std::min<long>(frames, 1 << 24)) : 1;

    meta.width = layout.cols;
    meta.height = layout.rows;
    meta.frames = frameCount;
    meta.samplesPerPixel = layout.samples;
    meta.bitsAllocated = layout.bitsAllocated;
    meta.bitsStored = layout.bitsStored;
    meta.isSigned = layout.isSigned;
    meta.photometric = layout.photometric;
    if (std::optional<double> slope = number(ds, DCM_RescaleSlope); slope && *slope != 0)
        meta.rescaleSlope = *slope;
    if (std::optional<double> intercept = number(ds, DCM_RescaleIntercept))
        meta.rescaleIntercept = *intercept;
    const std::optional<double> center = number(ds, DCM_WindowCenter);
    const std::optional<double> width = number(ds, DCM_WindowWidth);
    if (center && width && *width > 0)
        meta.window = Window {*center, *width};
    const bool signedModality = layout.isSigned || meta.rescaleSlope < 0 || meta.rescaleIntercept < 0;
    readVoiLut(ds, signedModality, image);

    if (Status s = validateLayout(layout, path); !s)
        return s.error();

    const qint64 frameBytes = nativeFrameBytes(layout);
    DcmPixelSequence *sequence = nullptr;
    if (native) {
        // Validate before touching the value: a hostile header cannot make us allocate more
        // than the file holds.
        const qint64 needed = nativeTotalBytes(layout, frameCount);
        const qint64 have = pixelData->getLength();
        if (have < needed)
            return fail(ErrorCode::Parse, path,
                QStringLiteral("pixel data is truncated: %1 bytes, but %2 x %3 pixels x %4 "
                               "samples x %5 bits x %6 frame(s) need %7 bytes")
                    .arg(have)
                    .arg(layout.cols)
                    .arg(layout.rows)
                    .arg(layout.samples)
                    .arg(layout.bitsAllocated)
                    .arg(frameCount)
                    .arg(needed));
    } else {
        if (pixelData->getEncapsulatedRepresentation(xs, nullptr, sequence).bad() || !sequence
            || sequence->card() < 2)
            return fail(ErrorCode::Parse, path,
                QStringLiteral("compressed pixel data (%1) has no fragments").arg(meta.transferSyntaxName));
    }

    if (!decodePixels)
        return image;

    std::unique_ptr<unsigned char[]> raw;
    std::size_t rawSize = 0;
    bool rawBigEndian = false;
    QString decodedPhotometric = layout.photometric;
    if (native && canReadInPlace(layout, xs == EXS_BigEndianExplicit)) {
        cv::Mat frame = allocateGrayFrame(layout);
        const OFCondition read = pixelData->getPartialValue(
            frame.data, 0, static_cast<Uint32>(frameBytes), nullptr, EBO_LittleEndian);
        if (read.bad())
            return fail(ErrorCode::Io, path,
                QStringLiteral("cannot read pixel data: %1").arg(QString::fromLatin1(read.text())));
        applyStoredBits(frame, layout);
        image.pixels = std::move(frame);
        return image;
    }
    if (native) {
        // In the file's own byte order, so the samples decode the same on any host.
        rawBigEndian = xs == EXS_BigEndianExplicit;
        const Uint32 length = pixelData->getLength();
        const Uint32 wanted = static_cast<Uint32>(std::min<qint64>(frameBytes + (frameBytes & 1), length));
        rawSize = static_cast<std::size_t>(std::max<qint64>(wanted, frameBytes));
        raw.reset(new unsigned char[rawSize]);
        const OFCondition read = pixelData->getPartialValue(
            raw.get(), 0, wanted, nullptr, rawBigEndian ? EBO_BigEndian : EBO_LittleEndian);
        if (read.bad())
            return fail(ErrorCode::Io, path,
                QStringLiteral("cannot read pixel data: %1").arg(QString::fromLatin1(read.text())));
    } else {
        Uint32 size = 0;
        if (pixelData->getUncompressedFrameSize(&ds, size).bad() || size == 0)
            return fail(ErrorCode::Parse, path, QStringLiteral("cannot size the decoded frame"));
        // Left uninitialised: a hostile header with a tiny stream reserves address space the
        // decoder never touches before it fails.
        rawSize = size + (size & 1);
        raw.reset(new unsigned char[rawSize]);
        Uint32 startFragment = 0;
        OFString colourModel;
        const OFCondition decoded = pixelData->getUncompressedFrame(
            &ds, 0, startFragment, raw.get(), static_cast<Uint32>(rawSize), colourModel);
        if (decoded.bad())
            return fail(ErrorCode::Parse, path,
                QStringLiteral("cannot decode the %1 pixel data (DCMTK: %2): the compressed "
                               "stream is corrupt, truncated, or does not match the "
                               "declared Rows, Columns and bits")
                    .arg(meta.transferSyntaxName, QString::fromLatin1(decoded.text())));
        // Decoders write samples in host order, chroma upsampled to full resolution.
        rawBigEndian = QSysInfo::ByteOrder == QSysInfo::BigEndian;
        if (!colourModel.empty())
            decodedPhotometric = QString::fromLatin1(colourModel.c_str()).toUpper();
        if (layout.samples == 3 && isJpeg(xs)) {
            Uint8 *fragment = nullptr;
            Uint32 fragmentSize = 0;
            const bool ycc = layout.photometric.startsWith(QLatin1String("YBR"))
                || (isLossyJpeg(xs) && firstFragment(*sequence, fragment, fragmentSize)
                    && jpegCodedAsYcc(fragment, fragmentSize));
            decodedPhotometric = ycc ? QStringLiteral("YBR_FULL") : QStringLiteral("RGB");
        } else if (decodedPhotometric == QLatin1String("YBR_FULL_422")) {
            decodedPhotometric = QStringLiteral("YBR_FULL");
        }
    }

    Result<cv::Mat> pixels = unpackFrame(raw.get(), rawSize, layout, decodedPhotometric, rawBigEndian, path);
    if (!pixels)
        return pixels.error();
    image.pixels = std::move(pixels.value());
    return image;
}

} // namespace fmw::imaging

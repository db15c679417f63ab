// DCMTK's configuration header must precede every other DCMTK (and ideally system) header.
#include <dcmtk/config/osconfig.h>

#include "imaging/dicom_tags.h"

#include "imaging/dicom_reader.h"
#include "imaging/phi_tags.h"
#include "imaging/raster_header.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/oflog/oflog.h>

#include <QFile>

#include <algorithm>
#include <mutex>

namespace fmw::imaging {

namespace {

// Values larger than this stay on disk: a tag listing never loads pixel data.
constexpr Uint32 kLazyLoadBytes = 4096;
// Non-string values with more numbers than this are summarised instead of printed.
constexpr unsigned long kMaxNumbers = 16;
// String values longer than this are summarised without being read.
constexpr Uint32 kMaxStringBytes = 64 * 1024;

void quietDcmtk()
{
    static std::once_flag once;
    // DCMTK logs to stderr, sometimes quoting element values (PHI).
    std::call_once(once, [] { OFLog::configure(OFLogger::OFF_LOG_LEVEL); });
}

bool isPhiTag(quint16 group, quint16 element)
{
    const std::vector<PhiTag> &tags = phiTags();
    return std::any_of(tags.begin(), tags.end(),
                       [&](const PhiTag &t) { return t.group == group && t.element == element; });
}

bool isBinaryVr(DcmEVR vr)
{
    switch (vr) {
    case EVR_OB:
    case EVR_OW:
    case EVR_OF:
    case EVR_OD:
    case EVR_OL:
    case EVR_OV:
    case EVR_UN:
    case EVR_ox:
    case EVR_px:
    case EVR_lt:
    case EVR_pixelSQ:
        return true;
    default:
        return false;
    }
}

QString truncated(QString text)
{
    text.replace(QLatin1Char('\r'), QLatin1Char(' ')).replace(QLatin1Char('\n'), QLatin1Char(' '));
    if (text.size() <= kMaxDicomTagValueChars)
        return text;
    return text.left(kMaxDicomTagValueChars - 1) + QStringLiteral("… (%1 characters)").arg(text.size());
}

QString valueText(DcmElement &el, bool utf8)
{
    const DcmEVR vr = el.getTag().getEVR();
    const Uint32 length = el.getLength();
    if (vr == EVR_SQ) {
        auto *seq = dynamic_cast<DcmSequenceOfItems *>(&el);
        const unsigned long items = seq ? seq->card() : 0;
        return items == 1 ? QStringLiteral("(sequence, 1 item)")
                          : QStringLiteral("(sequence, %1 items)").arg(items);
    }
    if (vr == EVR_pixelSQ || dynamic_cast<DcmPixelSequence *>(&el))
        return QStringLiteral("(encapsulated pixel data)");
    if (isBinaryVr(vr))
        return QStringLiteral("(binary, %1 bytes)").arg(length);
    if (length == 0)
        return {};
    const bool string = el.getTag().getVR().isaString();
    if ((string && length > kMaxStringBytes) || (!string && el.getVM() > kMaxNumbers))
        return QStringLiteral("(%1 bytes, %2 values)").arg(length).arg(el.getVM());
    OFString value;
    if (el.getOFStringArray(value).bad())
        return QStringLiteral("(unreadable value)");
    const QByteArray bytes(value.c_str(), int(value.length()));
    return truncated(utf8 ? QString::fromUtf8(bytes).trimmed() : QString::fromLatin1(bytes).trimmed());
}

void appendItem(DcmItem &item, bool utf8, std::vector<DicomTag> *out)
{
    for (unsigned long i = 0; i < item.card(); ++i) {
        DcmElement *el = item.getElement(i);
        if (!el)
            continue;
        DcmTag tag = el->getTag();
        DicomTag row;
        row.group = tag.getGTag();
        row.element = tag.getETag();
        const char *name = tag.getTagName();
        // DCMTK's name for tags missing from its dictionary.
        if (name && qstrcmp(name, DcmTag_ERROR_TagName) != 0)
            row.keyword = QString::fromLatin1(name);
        row.vr = QString::fromLatin1(tag.getVR().getValidVRName());
        row.value = valueText(*el, utf8);
        // Private attributes (odd groups) may hold anything a vendor chose, names included:
        // hidden like PHI, as the de-identification profiles (PS3.15 E.1) remove them.
        row.isPhi = isPhiTag(row.group, row.element) || (row.group % 2 == 1 && row.group > 0x0008);
        out->push_back(std::move(row));
    }
}

} // namespace

QString DicomTag::tagText() const
{
    return QStringLiteral("(%1,%2)")
        .arg(group, 4, 16, QLatin1Char('0'))
        .arg(element, 4, 16, QLatin1Char('0'))
        .toUpper();
}

Result<DicomTagList> readDicomTags(const QString &path)
{
    quietDcmtk();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, QStringLiteral("cannot open: %1").arg(file.errorString()).toStdString(),
                         path.toStdString());
    const QByteArray head = file.read(132);
    file.close();
    const bool preamble = hasDicomPreamble(head);
    if (!preamble && (head.isEmpty() || !sniffRasterFormat(head).isEmpty()))
        return DicomTagList {};

    DcmFileFormat dicom;
    const OFCondition loaded = dicom.loadFile(OFFilename(QFile::encodeName(path).constData()), EXS_Unknown,
                                              EGL_noChange, kLazyLoadBytes, ERM_autoDetect);
    DcmDataset *ds = dicom.getDataset();
    if (!preamble) {
        // No signature: a bare data set, or just another kind of file.
        const bool looksDicom = loaded.good() && ds
            && (ds->tagExists(DCM_SOPClassUID) || ds->tagExists(DCM_PixelData) || ds->tagExists(DCM_Rows));
        if (!looksDicom)
            return DicomTagList {};
    }
    if (loaded.bad() || !ds)
        return makeError(ErrorCode::Parse,
                         QStringLiteral("cannot read DICOM (%1): the file is truncated or corrupt")
                             .arg(QString::fromLatin1(loaded.text()))
                             .toStdString(),
                         path.toStdString());

    // Text in the declared character set, converted to UTF-8; without one (the default
    // repertoire is ASCII) or if conversion fails (DCMTK without iconv), read as Latin-1.
    const bool utf8 = ds->tagExistsWithValue(DCM_SpecificCharacterSet) && ds->convertToUTF8().good();
    DicomTagList list;
    list.isDicom = true;
    if (DcmMetaInfo *meta = dicom.getMetaInfo())
        appendItem(*meta, true, &list.tags);
    appendItem(*ds, utf8, &list.tags);
    return list;
}

} // namespace fmw::imaging

#include <dcmtk/config/osconfig.h>

#include "dicom_fixture.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <QFile>

namespace fmwtest {

bool writeDicom(const QString &path, const DicomSpec &spec, QString *error)
{
    DcmFileFormat file;
    DcmDataset *ds = file.getDataset();
    auto str = [ds](const DcmTagKey &key, const QString &value) {
        return ds->putAndInsertString(key, value.toLatin1().constData());
    };
    auto num = [&](const DcmTagKey &key, double value) { return str(key, QString::number(value, 'g', 12)); };
    OFCondition c = str(DCM_SOPClassUID, QString::fromLatin1(UID_SecondaryCaptureImageStorage));
    char uid[100];
    c = ds->putAndInsertString(DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    str(DCM_Modality, spec.modality);
    str(DCM_ViewPosition, spec.viewPosition);
    if (!spec.patientName.isEmpty())
        str(DCM_PatientName, spec.patientName);
    if (!spec.patientId.isEmpty())
        str(DCM_PatientID, spec.patientId);
    if (!spec.institution.isEmpty())
        str(DCM_InstitutionName, spec.institution);
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(spec.rows));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(spec.cols));
    ds->putAndInsertUint16(DCM_SamplesPerPixel, static_cast<Uint16>(spec.samples));
    ds->putAndInsertUint16(DCM_BitsAllocated, static_cast<Uint16>(spec.bitsAllocated));
    ds->putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(spec.bitsStored));
    ds->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(spec.highBit));
    ds->putAndInsertUint16(DCM_PixelRepresentation, spec.isSigned ? 1 : 0);
    str(DCM_PhotometricInterpretation, spec.photometric);
    if (spec.samples == 3)
        ds->putAndInsertUint16(DCM_PlanarConfiguration, 0);
    if (spec.frames)
        str(DCM_NumberOfFrames, QString::number(*spec.frames));
    if (spec.slope)
        num(DCM_RescaleSlope, *spec.slope);
    if (spec.intercept)
        num(DCM_RescaleIntercept, *spec.intercept);
    if (!spec.windowCenter.isEmpty())
        str(DCM_WindowCenter, spec.windowCenter);
    if (!spec.windowWidth.isEmpty())
        str(DCM_WindowWidth, spec.windowWidth);
    if (!spec.voiLut.empty()) {
        DcmItem *item = nullptr;
        ds->findOrCreateSequenceItem(DCM_VOILUTSequence, item, 0);
        const Uint16 descriptor[3]
            = {static_cast<Uint16>(spec.voiLut.size() == 65536 ? 0 : spec.voiLut.size()),
                static_cast<Uint16>(spec.voiLutFirst), static_cast<Uint16>(spec.voiLutBits)};
        item->putAndInsertUint16Array(DCM_LUTDescriptor, descriptor, 3);
        item->putAndInsertUint16Array(
            DCM_LUTData, spec.voiLut.data(), static_cast<unsigned long>(spec.voiLut.size()));
    }
    E_TransferSyntax xfer = spec.bigEndian ? EXS_BigEndianExplicit : EXS_LittleEndianExplicit;
    if (spec.rleFragment) {
        // Encapsulated: an empty offset table item, then the one fragment.
        auto *sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
        sequence->insert(new DcmPixelItem(DCM_PixelItemTag));
        auto *fragment = new DcmPixelItem(DCM_PixelItemTag);
        fragment->putUint8Array(spec.rleFragment->data(), static_cast<Uint32>(spec.rleFragment->size()));
        sequence->insert(fragment);
        auto *pixels = new DcmPixelData(DCM_PixelData);
        pixels->putOriginalRepresentation(EXS_RLELossless, nullptr, sequence);
        c = ds->insert(pixels, OFTrue);
        xfer = EXS_RLELossless;
    } else if (!spec.words.empty()) {
        c = ds->putAndInsertUint16Array(
            DCM_PixelData, spec.words.data(), static_cast<unsigned long>(spec.words.size()));
    } else {
        c = ds->putAndInsertUint8Array(
            DCM_PixelData, spec.bytes.data(), static_cast<unsigned long>(spec.bytes.size()));
    }
    if (c.bad()) {
        if (error)
            *error = QString::fromLatin1(c.text());
        return false;
    }
    c = file.saveFile(OFFilename(QFile::encodeName(path).constData()), xfer);
    if (c.bad() && error)
        *error = QString::fromLatin1(c.text());
    return c.good();
}

} // namespace fmwtest

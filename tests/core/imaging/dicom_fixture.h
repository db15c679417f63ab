#pragma once
// Writes small DICOM files with DCMTK for the imaging tests and benchmark: every attribute the
// reader cares about is explicit, so each test states exactly what the file holds.

#include <QString>
#include <QtGlobal>

#include <optional>
#include <vector>

namespace fmwtest {

struct DicomSpec {
    int rows = 2;
    int cols = 3;
    int samples = 1;
    int bitsAllocated = 16;
    int bitsStored = 16;
    int highBit = 15;
    bool isSigned = false;
    QString photometric = QStringLiteral("MONOCHROME2");
    std::optional<int> frames; // NumberOfFrames, written only when set
    std::vector<quint16> words; // Pixel Data as OW (16-bit samples), or
    std::vector<quint8> bytes; // Pixel Data as OB
    std::optional<double> slope, intercept;
    QString windowCenter, windowWidth; // DS text, e.g. "1000\\2000"
    // VOI LUT Sequence item: descriptor (entries, first mapped, bits) and data.
    std::vector<quint16> voiLut;
    int voiLutFirst = 0;
    int voiLutBits = 12;
    QString patientName, patientId, institution;
    QString modality = QStringLiteral("DX");
    QString viewPosition = QStringLiteral("PA");
    bool bigEndian = false; // Explicit VR Big Endian instead of Little Endian
    // When set, Pixel Data is this single fragment under the RLE Lossless transfer syntax.
    std::optional<std::vector<quint8>> rleFragment;
};

// Writes `spec` to `path`; on failure returns false and sets *error.
bool writeDicom(const QString &path, const DicomSpec &spec, QString *error = nullptr);

} // namespace fmwtest

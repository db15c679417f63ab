#pragma once
// Writes a synthetic radiograph as a DX "for presentation" DICOM file with clearly fake PHI,
// so the DICOM pipeline and PHI flagging can be exercised on the demo data.

#include "common/result.h"

#include <QString>
#include <QtGlobal>

#include <opencv2/core/mat.hpp>

namespace fmw::demo {

struct DemoDicomOptions {
    bool monochrome1 = false;  // stored values inverted (high = dark), as some detectors do
    int bitsStored = 12;       // 12 or 16, in 16 bits allocated
    quint32 seed = 0;          // with `index`, determines the UIDs
    int index = 0;
};

// "2.25.<decimal>": the integer form of a version-8 UUID whose bits are derived from seed,
// index and kind (1 study, 2 series, 3 SOP instance), so the same inputs give the same UID.
QString demoUid(quint32 seed, int index, int kind);

// Stored value range used for display brightness 0..1 (before MONOCHROME1 inversion); the
// window in the file covers exactly this range, in modality units.
struct DemoDicomScale {
    double slope = 1.0;
    double intercept = 0.0;
    int low = 0;   // stored value for brightness 0 (MONOCHROME2)
    int high = 0;  // stored value for brightness 1
};
DemoDicomScale demoDicomScale(int bitsStored);

// `image`: CV_32FC1, display brightness 0..1. Written atomically (temporary file + rename),
// little endian explicit, byte-identical for equal inputs.
Status writeDemoDicom(const QString &path, const cv::Mat &image, const DemoDicomOptions &options);

} // namespace fmw::demo

#pragma once
// Value types shared by the imaging core: metadata, window, decoded pixels, display settings.

#include <QString>
#include <QStringList>

#include <opencv2/core/mat.hpp>

#include <optional>
#include <vector>

namespace fmw::imaging {

// VOI window in modality units (after rescale slope/intercept), DICOM PS3.3 C.11.2 semantics.
struct Window {
    double center = 0;
    double width = 1;
    bool operator==(const Window &o) const { return center == o.center && width == o.width; }
};

// Everything a viewer, the CLI and the dataset check need to know about an image.
// Holds no PHI values: only the names of PHI tags that are present.
struct ImageMetadata {
    bool isDicom = false;
    QString format;             // "DICOM", "PNG", "JPEG", "TIFF"
    int width = 0;
    int height = 0;
    int frames = 1;             // the first frame is the one decoded and shown
    int samplesPerPixel = 1;
    int bitsAllocated = 8;
    int bitsStored = 8;
    bool isSigned = false;
    QString photometric;        // "MONOCHROME1", "MONOCHROME2", "RGB", ...
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    std::optional<Window> window;  // from the file: first WindowCenter/Width pair
    bool hasVoiLut = false;        // a VOI LUT Sequence is applied instead of the window
    QString modality;           // "CR", "DX", "CT", ...
    QString viewPosition;       // "PA", "AP", "LATERAL", ...
    QString transferSyntax;     // UID
    QString transferSyntaxName; // "JPEG Lossless, Non-Hierarchical, First-Order Prediction"
    QStringList phiTags;        // e.g. "PatientName", "PatientID": present, values never kept
};

// The first frame, decoded: stored pixel values (BitsStored masked, sign-extended).
struct DecodedImage {
    ImageMetadata meta;
    // CV_8UC1, CV_16UC1, CV_16SC1 or CV_32SC1 for gray; CV_8UC3 / CV_16UC3 for RGB (RGB order).
    cv::Mat pixels;
    // VOI LUT from the file, when hasVoiLut: maps modality value -> display value.
    std::vector<quint16> voiLut;
    int voiLutFirstMapped = 0;
    int voiLutBits = 8;
};

struct DisplaySettings {
    std::optional<Window> window;  // user override; otherwise the file's, else min..max
    bool invert = false;           // user invert, on top of MONOCHROME1's inherent inversion
};

} // namespace fmw::imaging

#pragma once
// Turns one frame of DICOM pixel bytes into stored values: unpacks 1/8/16/32-bit samples,
// shifts out HighBit, masks BitsStored, sign-extends, interleaves planes and converts YCbCr
// to RGB. Plain functions on a described layout, no DCMTK types.

#include "common/result.h"

#include <QString>

#include <opencv2/core/mat.hpp>

#include <cstddef>

namespace fmw::imaging {

// The Image Pixel module attributes that define how a frame's bytes map to samples.
struct PixelLayout {
    int rows = 0;
    int cols = 0;
    int samples = 1;
    int bitsAllocated = 16;
    int bitsStored = 16;
    int highBit = 15;
    bool isSigned = false;
    bool planar = false; // PlanarConfiguration 1: colour-by-plane
    QString photometric; // as in the file
};

// Error (naming `path`) for layouts this reader does not handle or that contradict themselves.
Status validateLayout(const PixelLayout &layout, const QString &path);

// Bytes of one uncompressed frame, and of `frames` frames (1-bit frames are not byte aligned).
qint64 nativeFrameBytes(const PixelLayout &layout);
qint64 nativeTotalBytes(const PixelLayout &layout, qint64 frames);

// Stored values of the frame in `bytes` (at least nativeFrameBytes for native data, whose
// YBR_FULL_422 chroma is subsampled; full resolution for decoded data). `photometric` is the
// colour model of these bytes; `bigEndian` their byte order. Gray yields CV_8UC1 (unsigned
// up to 8 bits), CV_16UC1, CV_16SC1 (signed up to 16 bits) or CV_32SC1; colour CV_8UC3 or
// CV_16UC3 in RGB order.
Result<cv::Mat> unpackFrame(const unsigned char *bytes, std::size_t size, const PixelLayout &layout,
    const QString &photometric, bool bigEndian, const QString &path);

// Fast path for the common case, little-endian gray samples of 8 (unsigned) or 16 bits on a
// little-endian host: the file's bytes are read straight into the final matrix, and
// applyStoredBits() then fixes HighBit, BitsStored and the sign in place.
bool canReadInPlace(const PixelLayout &layout, bool bigEndian);
cv::Mat allocateGrayFrame(const PixelLayout &layout); // CV_8UC1, CV_16UC1 or CV_16SC1
void applyStoredBits(cv::Mat &frame, const PixelLayout &layout);

} // namespace fmw::imaging

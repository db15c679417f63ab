#pragma once
// Reading X-rays from disk: PNG/JPEG/TIFF through OpenCV, DICOM through DCMTK (RLE, JPEG,
// JPEG-LS decoders registered). Pure functions, safe to call from worker threads.
// Hostile or unsupported files yield an Error naming the file and the reason, never a crash
// or a giant allocation.

#include "common/result.h"
#include "imaging/image_types.h"

#include <QSize>

namespace fmw::imaging {

// Metadata only (no pixel decode for DICOM); cheap enough for a dataset check.
Result<ImageMetadata> readMetadata(const QString &path);

// Decodes the first frame. Dispatch by content (DICOM preamble/"DICM" or parseable dataset),
// not by extension.
Result<DecodedImage> loadImage(const QString &path);

} // namespace fmw::imaging

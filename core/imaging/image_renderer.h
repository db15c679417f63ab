#pragma once
// The display pipeline: stored -> modality (rescale) -> VOI (window or LUT) -> presentation
// (MONOCHROME1 and user invert). Exactly what the viewer shows, the CLI renders and the
// training export writes.

#include "common/result.h"
#include "imaging/image_types.h"

#include <QImage>

namespace fmw::imaging {

// The window used when the user sets none: the file's, else the full modality range.
Window defaultWindow(const DecodedImage &image);

// 8-bit display image: QImage::Format_Grayscale8 for gray, Format_RGB888 for colour.
QImage render(const DecodedImage &image, const DisplaySettings &settings = {});

// Value under the cursor: stored value and modality value (slope/intercept applied).
// Returns false outside the image. For RGB, the luminance of the stored triple.
bool pixelValue(const DecodedImage &image, int x, int y, double *stored, double *modality);

// Thumbnail whose longer side is at most `maxSide`, through the default display pipeline.
Result<QImage> loadThumbnail(const QString &path, int maxSide);

// PNG for training: 8-bit through the display pipeline, or 16-bit gray of the modality values
// (shifted to be non-negative; MONOCHROME1 flipped so the PNG reads as MONOCHROME2, since PNG
// has no photometric tag; `settings` apply to 8-bit only; colour widens to 16-bit RGB).
// Writes no metadata, hence no PHI. Atomic.
Status exportPng(
    const DecodedImage &image, const QString &outPath, bool sixteenBit, const DisplaySettings &settings = {});

} // namespace fmw::imaging

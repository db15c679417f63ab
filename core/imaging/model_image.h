#pragma once
// The pixels Florence-2 sees for an image file: 8-bit files as stored (what PIL hands the
// reference), anything deeper (DICOM, 16-bit PNG) through the viewer's default window to 8-bit
// gray. Shared by the CLI's predict and the trainer's data pipeline so both feed the model the
// same image. Pure functions, safe to call from worker threads.

#include "common/result.h"
#include "engine/text/image_u8.h"
#include "imaging/image_types.h"

#include <QString>

namespace fmw::imaging {

// `decoded` as the model's 8-bit input: CV_8UC1/CV_8UC3 non-DICOM pixels are copied as they
// are; everything else goes through render() with the default window, to 8-bit gray.
text::ImageU8 toModelImage(const DecodedImage &decoded);

// loadImage(path), then toModelImage. The Error names the file.
Result<text::ImageU8> loadModelImage(const QString &path);

} // namespace fmw::imaging

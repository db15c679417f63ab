#pragma once
// DICOM through DCMTK: the metadata summary and the first frame's stored values. Every size is
// validated against the pixel data before anything is decoded. Safe to call from any thread.

#include "common/result.h"
#include "imaging/image_types.h"

#include <QByteArray>
#include <QString>

namespace fmw::imaging {

// True when `head` (the file's first bytes) has the Part 10 preamble and "DICM" at 128.
bool hasDicomPreamble(const QByteArray &head);

// Reads `path` as DICOM (Part 10, or a bare dataset without preamble and meta header). With
// `decodePixels` false only the metadata is filled, after the same validation a decode does,
// so a file that passes would decode (barring corrupt compressed data). `parsed`, if given, is
// set to whether DCMTK read something that looks like a DICOM dataset.
Result<DecodedImage> readDicom(const QString &path, bool decodePixels, bool *parsed = nullptr);

} // namespace fmw::imaging

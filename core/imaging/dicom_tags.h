#pragma once
// The attributes of a DICOM file's top level (file meta header, then data set) as text rows
// for a tag browser. Values of PHI attributes (imaging/phi_tags.h) and of private attributes
// are read like any other and flagged, so the caller decides whether to show them. Long and binary values are
// summarised, never loaded whole. Pure function, safe on any thread; no DCMTK in this header.

#include "common/result.h"

#include <QString>
#include <QtGlobal>

#include <vector>

namespace fmw::imaging {

struct DicomTag {
    quint16 group = 0;
    quint16 element = 0;
    QString keyword;  // dictionary keyword ("PatientName"); empty for unknown/private tags
    QString vr;       // "PN", "US", "SQ", ...
    QString value;    // text; multiple values '\'-separated; summaries in parentheses
    bool isPhi = false;

    QString tagText() const;  // "(0010,0010)"
};

struct DicomTagList {
    bool isDicom = false;  // false: a PNG/JPEG/TIFF or other non-DICOM file (tags empty)
    std::vector<DicomTag> tags;
};

// Longer values are cut to this many characters and marked with "…".
constexpr int kMaxDicomTagValueChars = 160;

// Reads `path`. A non-DICOM file is not an error (isDicom false); an unreadable file, or a
// DICOM file DCMTK cannot parse, is.
Result<DicomTagList> readDicomTags(const QString &path);

} // namespace fmw::imaging

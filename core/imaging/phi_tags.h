#pragma once
// The DICOM attributes treated as protected health information. The image reader reports
// which of them are present, by keyword, and keeps no values; only the tag browser
// (dicom_tags.h) reads them, to show when the user asks.

#include <cstdint>
#include <vector>

namespace fmw::imaging {

struct PhiTag {
    std::uint16_t group;
    std::uint16_t element;
    const char *keyword; // DICOM keyword, e.g. "PatientName"
};

// Patient identity and demographics, dates tied to the patient, institution, people and
// device identifiers (HIPAA Safe Harbor / DICOM PS3.15 basic profile, the parts that a chest
// X-ray carries). Sorted by tag.
const std::vector<PhiTag> &phiTags();

} // namespace fmw::imaging

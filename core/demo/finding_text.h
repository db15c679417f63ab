#pragma once
// The report texts and box labels of a synthetic radiograph, written from its findings with
// fixed templates in a fixed order, so equal findings always give equal text.

#include "demo/demo_findings.h"

#include <QString>

namespace fmw::demo {

// Box labels of the `<OD>` records.
inline constexpr const char *kLabelNodule = "nodule";
inline constexpr const char *kLabelEffusion = "pleural effusion";
inline constexpr const char *kLabelCardiomegaly = "cardiomegaly";
inline constexpr const char *kLabelPneumothorax = "pneumothorax";
inline constexpr const char *kLabelEndotrachealTube = "endotracheal tube";
inline constexpr const char *kLabelCentralLine = "central line";
inline constexpr const char *kLabelPacemaker = "pacemaker";

QString sideWord(Side side);      // "right", "left"
QString zoneWord(Zone zone);      // "upper", "middle", "lower"
QString extentWord(Extent size);  // "small", "large"

// `<CAPTION>`: the impression. Order: pneumothorax, pleural effusion, nodule, cardiomegaly,
// then devices; "No acute cardiopulmonary abnormality." when nothing but devices is present.
// e.g. "Large right pleural effusion. Cardiomegaly."
QString impressionText(const DemoFindings &findings);

// `<DETAILED_CAPTION>`: the findings, one sentence per structure whether normal or not, in
// the order heart, pleura, nodule, pneumothorax, devices.
// e.g. "The heart is enlarged. There is a large right pleural effusion. There is a small
// nodule in the left upper zone. No pneumothorax. No support devices."
QString findingsText(const DemoFindings &findings);

} // namespace fmw::demo

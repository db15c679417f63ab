#pragma once
// Versions of the imaging libraries linked in (DCMTK's headers stay inside core/imaging).

#include <QString>

namespace fmw::imaging {

QString opencvVersion(); // "4.6.0"
QString dcmtkVersion();  // "3.6.7"

} // namespace fmw::imaging

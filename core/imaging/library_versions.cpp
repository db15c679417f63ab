#include "imaging/library_versions.h"

#include <dcmtk/dcmdata/dcuid.h>
#include <opencv2/core/version.hpp>

namespace fmw::imaging {

QString opencvVersion() { return QStringLiteral(CV_VERSION); }

QString dcmtkVersion() { return QString::fromLatin1(OFFIS_DCMTK_VERSION_STRING); }

} // namespace fmw::imaging

#include "ui/runtime_versions.h"

#include "engine/runtime.h"
#include "imaging/library_versions.h"

#include <QStringList>

namespace fmw::ui {

RuntimeVersions runtimeVersions()
{
    RuntimeVersions v;
    v.qt = QString::fromLatin1(qVersion());
    v.libtorch = QString::fromStdString(engine::torchVersion());
    v.cuda = engine::cudaAvailable();
    v.opencv = imaging::opencvVersion();
    v.dcmtk = imaging::dcmtkVersion();
    return v;
}

QString runtimeVersionsText(const RuntimeVersions &v)
{
    return QStringList{QStringLiteral("Qt %1").arg(v.qt),
                       QStringLiteral("LibTorch %1 (%2)").arg(v.libtorch, v.cuda ? QStringLiteral("CUDA") : QStringLiteral("CPU")),
                       QStringLiteral("OpenCV %1").arg(v.opencv), QStringLiteral("DCMTK %1").arg(v.dcmtk)}
        .join(QLatin1Char('\n'));
}

} // namespace fmw::ui

#pragma once
// Helpers shared by the Qt Test suites: locating ../shared fixtures (fail loudly, never skip)
// and the source tree.

#include <QDir>
#include <QFileInfo>
#include <QString>
#include <QtGlobal>

namespace fmwtest {

// Absolute path of `relative` under the shared folder (../shared beside the checkout, or the
// FMW_SHARED_DIR environment/cache value). Aborts the test binary if it does not exist: CI
// always has ../shared, so a missing fixture is a failure, not a skip.
inline QString sharedPath(const QString &relative)
{
    QString root = qEnvironmentVariable("FMW_SHARED_DIR", QStringLiteral(FMW_SHARED_DIR));
    const QString path = QDir(root).filePath(relative);
    if (!QFileInfo::exists(path))
        qFatal("required shared fixture missing: %s (set -DFMW_SHARED_DIR=... or FMW_SHARED_DIR)",
               qPrintable(path));
    return path;
}

inline QString sourcePath(const QString &relative)
{
    return QDir(QStringLiteral(FMW_SOURCE_DIR)).filePath(relative);
}

} // namespace fmwtest

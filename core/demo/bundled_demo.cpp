#include "demo/bundled_demo.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace fmw::demo {

namespace {

bool holdsDataset(const QString &dir)
{
    return !QDir(dir).entryList({QStringLiteral("*.jsonl")}, QDir::Files).isEmpty();
}

// Copies every file under `from` (a resource or disk folder) into `to`, keeping the tree.
Status copyTree(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString relative = QDir(from).relativeFilePath(source);
        const QString target = QDir(to).filePath(relative);
        if (!QDir().mkpath(QFileInfo(target).absolutePath()))
            return makeError(ErrorCode::Io, "cannot create folder; check permissions",
                             QFileInfo(target).absolutePath().toStdString());
        if (!QFile::copy(source, target))
            return makeError(ErrorCode::Io, "cannot copy the bundled file " + source.toStdString()
                                                + "; check free space and permissions",
                             target.toStdString());
        // Resource files copy read-only; the copy is the user's to edit.
        QFile::setPermissions(target, QFile::permissions(target) | QFileDevice::WriteOwner
                                          | QFileDevice::ReadOwner);
    }
    return {};
}

} // namespace

QString bundledDemoResourceRoot()
{
    return QStringLiteral(":/demo-dataset");
}

QString defaultDemoCopyDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(base).filePath(QStringLiteral("demo-dataset"));
}

Result<QString> ensureDemoCopy(const QString &targetDir, const QString &resourceRoot)
{
    const QString target = QFileInfo(targetDir).absoluteFilePath();
    if (holdsDataset(target))
        return target;  // the user's copy, edits and all, is kept
    if (!holdsDataset(resourceRoot))
        return makeError(ErrorCode::Io,
                         "no bundled demo dataset in this program (it links no fmw_resources, or "
                         "resources/demo-dataset was empty at build time); open a folder instead",
                         resourceRoot.toStdString());

    const QDir existing(target);
    if (existing.exists()
        && !existing.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return makeError(ErrorCode::Conflict,
                         "folder exists and holds no dataset; move it away or pick another folder "
                         "for the demo copy",
                         target.toStdString());

    const QString parent = QFileInfo(target).absolutePath();
    if (!QDir().mkpath(parent))
        return makeError(ErrorCode::Io, "cannot create folder; check permissions", parent.toStdString());

    // Copy into a sibling temporary folder, then rename: the target is either absent or complete.
    const QString temp = target + QStringLiteral(".partial-%1").arg(QCoreApplication::applicationPid());
    QDir(temp).removeRecursively();
    if (Status st = copyTree(resourceRoot, temp); !st) {
        QDir(temp).removeRecursively();
        return st.error();
    }
    if (existing.exists())
        QDir().rmdir(target);  // empty, checked above
    if (!QDir().rename(temp, target)) {
        QDir(temp).removeRecursively();
        if (holdsDataset(target))
            return target;  // another process finished the same copy first
        return makeError(ErrorCode::Io, "cannot move the demo copy into place; check permissions",
                         target.toStdString());
    }
    return target;
}

} // namespace fmw::demo

#include "ui/recent_folders.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace fmw::ui {

RecentFolders::RecentFolders(QString settingsKey) : m_key(std::move(settingsKey)) {}

QStringList RecentFolders::folders() const
{
    QSettings settings;
    const QStringList stored = settings.value(m_key).toStringList();
    QStringList existing;
    for (const QString &dir : stored)
        if (QFileInfo(dir).isDir() && !existing.contains(dir))
            existing << dir;
    if (existing != stored)
        settings.setValue(m_key, existing);
    return existing.mid(0, kMaxFolders);
}

void RecentFolders::add(const QString &dir)
{
    const QString clean = QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
    QStringList list = folders();
    list.removeAll(clean);
    list.prepend(clean);
    QSettings().setValue(m_key, list.mid(0, kMaxFolders));
}

void RecentFolders::clear() { QSettings().remove(m_key); }

} // namespace fmw::ui

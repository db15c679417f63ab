#pragma once
// RecentFolders: the most recently opened dataset folders, newest first, kept in QSettings.
// Folders that no longer exist are pruned whenever the list is read.

#include <QString>
#include <QStringList>

namespace fmw::ui {

class RecentFolders {
public:
    static constexpr int kMaxFolders = 8;

    explicit RecentFolders(QString settingsKey = QStringLiteral("recentFolders"));

    // Existing folders, newest first; missing ones are removed from the settings too.
    QStringList folders() const;
    // Moves `dir` (made absolute and clean) to the front, dropping the oldest beyond the limit.
    void add(const QString &dir);
    void clear();

private:
    QString m_key;
};

} // namespace fmw::ui

#pragma once
// BoxLabels: the label choices for <OD> boxes: common chest X-ray findings plus the labels the
// user has typed before, remembered in QSettings, and the last label used (for new boxes).

#include <QObject>
#include <QString>
#include <QStringList>

namespace fmw::ui {

class BoxLabels : public QObject {
    Q_OBJECT
public:
    explicit BoxLabels(QObject *parent = nullptr,
                       QString settingsGroup = QStringLiteral("boxLabels"));

    // Common findings in a fixed, clinically grouped order.
    static QStringList commonFindings();
    // A label as the <OD> codec can carry it: no '<', '>' or line breaks, single-spaced,
    // trimmed. Empty if nothing is left.
    static QString clean(const QString &label);

    // Common findings followed by the user's own labels (sorted, without duplicates).
    QStringList labels() const;
    QStringList userLabels() const { return m_user; }
    // Remembers `label` if it is new (not a common finding, not known); returns the clean form.
    QString remember(const QString &label);
    void forgetUserLabels();

    // The label given to a newly drawn box: the last one used, else the first common finding.
    QString lastUsed() const { return m_last; }
    void setLastUsed(const QString &label);

signals:
    void labelsChanged();
    void lastUsedChanged(const QString &label);

private:
    void save() const;

    QString m_group;
    QStringList m_user;
    QString m_last;
};

} // namespace fmw::ui

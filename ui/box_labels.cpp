#include "ui/box_labels.h"

#include <QSettings>

namespace fmw::ui {

namespace {
const QString kUserKey = QStringLiteral("user");
const QString kLastKey = QStringLiteral("last");
} // namespace

BoxLabels::BoxLabels(QObject *parent, QString settingsGroup)
    : QObject(parent)
    , m_group(std::move(settingsGroup))
{
    QSettings settings;
    settings.beginGroup(m_group);
    const QStringList stored = settings.value(kUserKey).toStringList();
    const QStringList common = commonFindings();
    for (const QString &label : stored) {
        const QString c = clean(label);
        if (!c.isEmpty() && !common.contains(c) && !m_user.contains(c))
            m_user << c;
    }
    m_user.sort(Qt::CaseInsensitive);
    m_last = clean(settings.value(kLastKey).toString());
    if (m_last.isEmpty())
        m_last = common.first();
}

QStringList BoxLabels::commonFindings()
{
    // Lower case like the Florence-2 <OD> vocabulary; the findings of common chest X-ray
    // datasets (NIH ChestX-ray14, VinDr-CXR) and the usual support devices.
    return {
        QStringLiteral("nodule"),
        QStringLiteral("mass"),
        QStringLiteral("pleural effusion"),
        QStringLiteral("pneumothorax"),
        QStringLiteral("consolidation"),
        QStringLiteral("atelectasis"),
        QStringLiteral("cardiomegaly"),
        QStringLiteral("infiltration"),
        QStringLiteral("pulmonary edema"),
        QStringLiteral("emphysema"),
        QStringLiteral("pleural thickening"),
        QStringLiteral("fibrosis"),
        QStringLiteral("calcification"),
        QStringLiteral("aortic enlargement"),
        QStringLiteral("rib fracture"),
        QStringLiteral("hernia"),
        QStringLiteral("endotracheal tube"),
        QStringLiteral("central venous catheter"),
        QStringLiteral("nasogastric tube"),
        QStringLiteral("chest tube"),
        QStringLiteral("pacemaker"),
    };
}

QString BoxLabels::clean(const QString &label)
{
    QString l = label;
    for (QChar &c : l)
        if (c == QLatin1Char('<') || c == QLatin1Char('>'))
            c = QLatin1Char(' ');
    return l.simplified();
}

QStringList BoxLabels::labels() const
{
    return commonFindings() + m_user;
}

QString BoxLabels::remember(const QString &label)
{
    const QString c = clean(label);
    if (c.isEmpty() || commonFindings().contains(c) || m_user.contains(c))
        return c;
    m_user << c;
    m_user.sort(Qt::CaseInsensitive);
    save();
    emit labelsChanged();
    return c;
}

void BoxLabels::forgetUserLabels()
{
    if (m_user.isEmpty())
        return;
    m_user.clear();
    save();
    emit labelsChanged();
}

void BoxLabels::setLastUsed(const QString &label)
{
    const QString c = clean(label);
    if (c.isEmpty() || c == m_last)
        return;
    m_last = c;
    save();
    emit lastUsedChanged(m_last);
}

void BoxLabels::save() const
{
    QSettings settings;
    settings.beginGroup(m_group);
    settings.setValue(kUserKey, m_user);
    settings.setValue(kLastKey, m_last);
}

} // namespace fmw::ui

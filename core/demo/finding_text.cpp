#include "demo/finding_text.h"

#include <QStringList>

namespace fmw::demo {

namespace {

QString capitalized(QString s)
{
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    return s;
}

} // namespace

QString sideWord(Side side)
{
    return side == Side::Right ? QStringLiteral("right") : QStringLiteral("left");
}

QString zoneWord(Zone zone)
{
    switch (zone) {
    case Zone::Upper: return QStringLiteral("upper");
    case Zone::Middle: return QStringLiteral("middle");
    case Zone::Lower: return QStringLiteral("lower");
    }
    return {};
}

QString extentWord(Extent size)
{
    return size == Extent::Small ? QStringLiteral("small") : QStringLiteral("large");
}

QString impressionText(const DemoFindings &f)
{
    QStringList sentences;
    if (f.pneumothorax)
        sentences << capitalized(sideWord(*f.pneumothorax)) + QStringLiteral(" pneumothorax.");
    if (f.effusion)
        sentences << capitalized(extentWord(f.effusion->size)) + QLatin1Char(' ')
                         + sideWord(f.effusion->side) + QStringLiteral(" pleural effusion.");
    if (f.nodule)
        sentences << capitalized(extentWord(f.nodule->size)) + QLatin1Char(' ')
                         + sideWord(f.nodule->side) + QLatin1Char(' ') + zoneWord(f.nodule->zone)
                         + QStringLiteral(" zone nodule.");
    if (f.cardiomegaly)
        sentences << QStringLiteral("Cardiomegaly.");
    if (!f.hasAbnormality())
        sentences << QStringLiteral("No acute cardiopulmonary abnormality.");
    if (f.endotrachealTube)
        sentences << QStringLiteral("Endotracheal tube in place.");
    if (f.centralLine)
        sentences << capitalized(sideWord(*f.centralLine))
                         + QStringLiteral("-sided central line in place.");
    if (f.pacemaker)
        sentences << QStringLiteral("Pacemaker in place.");
    return sentences.join(QLatin1Char(' '));
}

QString findingsText(const DemoFindings &f)
{
    QStringList sentences;
    sentences << (f.cardiomegaly ? QStringLiteral("The heart is enlarged.")
                                 : QStringLiteral("The heart size is normal."));
    if (f.effusion)
        sentences << QStringLiteral("There is a %1 %2 pleural effusion.")
                         .arg(extentWord(f.effusion->size), sideWord(f.effusion->side));
    else
        sentences << QStringLiteral("No pleural effusion.");
    if (f.nodule)
        sentences << QStringLiteral("There is a %1 nodule in the %2 %3 zone.")
                         .arg(extentWord(f.nodule->size), sideWord(f.nodule->side),
                              zoneWord(f.nodule->zone));
    else
        sentences << QStringLiteral("No pulmonary nodule.");
    if (f.pneumothorax)
        sentences << QStringLiteral("There is a %1 pneumothorax.").arg(sideWord(*f.pneumothorax));
    else
        sentences << QStringLiteral("No pneumothorax.");
    if (f.endotrachealTube)
        sentences << QStringLiteral("An endotracheal tube is in place.");
    if (f.centralLine)
        sentences << QStringLiteral("A %1-sided central line is in place.").arg(sideWord(*f.centralLine));
    if (f.pacemaker)
        sentences << QStringLiteral("A left chest wall pacemaker is in place.");
    if (!f.hasDevices())
        sentences << QStringLiteral("No support devices.");
    return sentences.join(QLatin1Char(' '));
}

} // namespace fmw::demo

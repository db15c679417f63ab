#include "ui/workbench_settings.h"

#include <QSettings>
#include <QStringList>

namespace fmw::ui {

namespace {

const QString kGroup = QStringLiteral("settings/");

QString oneOf(const QSettings &s, const QString &key, const QStringList &allowed, const QString &fallback)
{
    const QString value = s.value(kGroup + key, fallback).toString();
    return allowed.contains(value) ? value : fallback;
}

int inRange(const QSettings &s, const QString &key, int lo, int hi, int fallback)
{
    bool ok = false;
    const int value = s.value(kGroup + key, fallback).toInt(&ok);
    return ok && value >= lo && value <= hi ? value : fallback;
}

} // namespace

bool WorkbenchSettings::isTaskPrefix(const QString &task)
{
    return task.size() > 2 && task.startsWith(QLatin1Char('<')) && task.endsWith(QLatin1Char('>'))
           && !task.mid(1, task.size() - 2).contains(QLatin1Char('<'))
           && !task.mid(1, task.size() - 2).contains(QLatin1Char('>'));
}

WorkbenchSettings WorkbenchSettings::load()
{
    const QSettings s;
    const WorkbenchSettings d;
    WorkbenchSettings w;
    w.device = oneOf(s, QStringLiteral("device"), {QStringLiteral("cpu"), QStringLiteral("cuda")}, d.device);
    w.threads = inRange(s, QStringLiteral("threads"), 0, 256, d.threads);
    w.precision = oneOf(s, QStringLiteral("precision"),
                        {QStringLiteral("fp32"), QStringLiteral("bf16"), QStringLiteral("fp16")}, d.precision);
    w.defaultModelFolder = s.value(kGroup + QStringLiteral("defaultModelFolder")).toString();
    const QString task = s.value(kGroup + QStringLiteral("defaultTask"), d.defaultTask).toString();
    w.defaultTask = isTaskPrefix(task) ? task : d.defaultTask;
    w.numBeams = inRange(s, QStringLiteral("numBeams"), 0, 16, d.numBeams);
    w.maxNewTokens = inRange(s, QStringLiteral("maxNewTokens"), 1, 1024, d.maxNewTokens);
    w.autosaveSeconds = inRange(s, QStringLiteral("autosaveSeconds"), 0, 3600, d.autosaveSeconds);
    return w;
}

void WorkbenchSettings::save() const
{
    QSettings s;
    s.setValue(kGroup + QStringLiteral("device"), device);
    s.setValue(kGroup + QStringLiteral("threads"), threads);
    s.setValue(kGroup + QStringLiteral("precision"), precision);
    s.setValue(kGroup + QStringLiteral("defaultModelFolder"), defaultModelFolder);
    s.setValue(kGroup + QStringLiteral("defaultTask"), defaultTask);
    s.setValue(kGroup + QStringLiteral("numBeams"), numBeams);
    s.setValue(kGroup + QStringLiteral("maxNewTokens"), maxNewTokens);
    s.setValue(kGroup + QStringLiteral("autosaveSeconds"), autosaveSeconds);
}

QString WorkbenchSettings::validate(bool cudaAvailable) const
{
    if (device == QLatin1String("cuda") && !cudaAvailable)
        return QStringLiteral("CUDA is not available in this build or on this machine; choose the CPU.");
    if (precision == QLatin1String("fp16") && device != QLatin1String("cuda"))
        return QStringLiteral("fp16 needs CUDA (the CPU has no fp16 matrix multiply); use bf16 or fp32.");
    if (!isTaskPrefix(defaultTask))
        return QStringLiteral("The default task must be a task prefix such as <CAPTION>.");
    return {};
}

bool WorkbenchSettings::operator==(const WorkbenchSettings &o) const
{
    return device == o.device && threads == o.threads && precision == o.precision
           && defaultModelFolder == o.defaultModelFolder && defaultTask == o.defaultTask
           && numBeams == o.numBeams && maxNewTokens == o.maxNewTokens && autosaveSeconds == o.autosaveSeconds;
}

} // namespace fmw::ui

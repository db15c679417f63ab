#pragma once
// WorkbenchSettings: the user's preferences (model runtime and defaults), one typed value
// struct read from and written to QSettings so every panel agrees on keys and defaults.

#include <QString>

namespace fmw::ui {

struct WorkbenchSettings {
    QString device = QStringLiteral("cpu");     // "cpu" or "cuda"
    int threads = 0;                            // intra-op threads; 0 = one per core
    QString precision = QStringLiteral("fp32"); // "fp32", "bf16" or "fp16" (CUDA only)
    QString defaultModelFolder;                 // preview and compare start with it
    QString defaultTask = QStringLiteral("<CAPTION>");
    int numBeams = 0;                           // 0 = the checkpoint's own (Florence-2: 3)
    int maxNewTokens = 256;
    int autosaveSeconds = 30;                   // recovery file; 0 = off

    // Reads every key, replacing invalid stored values by the defaults above.
    static WorkbenchSettings load();
    void save() const;

    // An empty string when the combination can run, else why not (e.g. fp16 on the CPU).
    QString validate(bool cudaAvailable) const;

    // One "<NAME>" token.
    static bool isTaskPrefix(const QString &task);

    bool operator==(const WorkbenchSettings &o) const;
    bool operator!=(const WorkbenchSettings &o) const { return !(*this == o); }
};

} // namespace fmw::ui

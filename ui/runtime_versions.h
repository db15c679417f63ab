#pragma once
// The versions of the libraries this build runs on, for Help › About and bug reports.

#include <QString>

namespace fmw::ui {

struct RuntimeVersions {
    QString qt;        // run-time qVersion(), which can differ from the headers'
    QString libtorch;
    bool cuda = false; // LibTorch sees a CUDA device
    QString opencv;
    QString dcmtk;
};

RuntimeVersions runtimeVersions();

// One line per library: "Qt 6.4.2", "LibTorch 1.13.1 (CPU)", ...
QString runtimeVersionsText(const RuntimeVersions &versions);

} // namespace fmw::ui

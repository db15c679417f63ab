#pragma once
// The demo dataset shipped inside the application (Qt resources under ":/demo-dataset"), and
// where a writable copy of it lives so the user's edits never touch the bundled original.

#include "common/result.h"

#include <QString>

namespace fmw::demo {

// Resource root of the bundled dataset (":/demo-dataset"). Only binaries that link
// fmw_resources carry it.
QString bundledDemoResourceRoot();

// Default writable location: <AppDataLocation>/demo-dataset.
QString defaultDemoCopyDir();

// Copies the bundled dataset to `targetDir` unless it already holds a dataset (any *.jsonl),
// in which case the user's copy is kept as is. Returns the directory to open. Atomic: copies
// into a sibling temp folder first, then renames.
Result<QString> ensureDemoCopy(const QString &targetDir = defaultDemoCopyDir(),
                               const QString &resourceRoot = bundledDemoResourceRoot());

} // namespace fmw::demo

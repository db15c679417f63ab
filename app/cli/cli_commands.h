#pragma once
// Entry points of the florence-cli subcommands. `args` starts with the program name and the
// subcommand words ("florence-cli", "dataset", "check", ...) followed by the options.

#include <QStringList>

namespace fmw::cli {

int imageInfo(const QStringList &args);        // image-info FILE [--json]
int render(const QStringList &args);           // render FILE --out PNG [--window C,W] [--invert]
int datasetCheck(const QStringList &args);     // dataset check DIR [--json]
int datasetStats(const QStringList &args);     // dataset stats DIR [--json]
int makeDemoDataset(const QStringList &args);  // make-demo-dataset --out DIR [--count N] [--seed S] [--size PX] [--dicom-fraction F]

} // namespace fmw::cli

#pragma once
// DatasetDocument helpers for the dataset and GUI tests.

#include "dataset/dataset_document.h"

#include <QString>
#include <QtGlobal>

#include <memory>

namespace fmwtest {

// Opens `root`; a failure ends the test run (the fixtures are written by the tests).
inline std::unique_ptr<fmw::DatasetDocument> openDoc(const QString &root)
{
    auto doc = fmw::DatasetDocument::open(root);
    if (!doc.ok())
        qFatal("open failed: %s", doc.error().toString().c_str());
    return std::move(doc).value();
}

// The record loaded from `file`:`line`.
inline fmw::RecordId findRecord(const fmw::DatasetDocument &doc, const QString &file, int line)
{
    for (fmw::RecordId id : doc.recordIds())
        if (doc.record(id).file == file && doc.record(id).line == line)
            return id;
    qFatal("no record at %s:%d", qPrintable(file), line);
    return 0;
}

} // namespace fmwtest

#pragma once
// checkModelFolder: whether a model folder (or cached hub id) holds what training needs —
// config.json, weights, tokenizer and image-processor files — and how big the model is
// (parameters read from the safetensors headers, or counted from the config when the folder
// has no weights, as the demo model). Blocking file I/O: run it off the GUI thread.

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace fmw::ui {

struct ModelFolderReport {
    QString spec; // as given
    QString folder; // the folder looked in (a cache snapshot for hub ids)
    QString configFile;
    QString weightsFile; // model.safetensors, an index, or pytorch_model.bin; empty: none
    QString tokenizerFile;
    QString preprocessorFile;
    qint64 weightsBytes = 0; // all shards together
    qint64 parameters = -1; // -1: unknown (pytorch_model.bin is not opened)
    bool demo = false; // config.json says "fmw_demo": trains from random weights
    QStringList problems; // missing or unreadable files, each a sentence

    // config, tokenizer and processor present, and weights (or a demo model without them)
    bool usable() const;
    // One line for a label: "model.safetensors, 270.8 MB, 0.23 B parameters" or the problems.
    QString summary() const;
};

ModelFolderReport checkModelFolder(const QString &spec);

// "1.2 GB", "340 KB"
QString formatBytes(qint64 bytes);
// "231 M", "1.2 B", "52.3 K"
QString formatCount(qint64 count);

} // namespace fmw::ui

Q_DECLARE_METATYPE(fmw::ui::ModelFolderReport)

#pragma once
// The tiny Florence-2 fixture's weights as a model folder `predict` can load: a byte-level
// tokenizer whose ids fit its 300-token vocabulary (specials, GPT-2's byte symbols, filler)
// and a 64 px processor. For the CLI and GUI tests that run the model end to end.

#include "test_support.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>

#include <nlohmann/json.hpp>

#include <string>

namespace fmwtest {

inline void writeTinyModelFolder(const QString &dir)
{
    using Json = nlohmann::json;
    const auto write = [&dir](const QString &name, const QByteArray &bytes) {
        QFile file(QDir(dir).filePath(name));
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(file.fileName()));
    };
    const QString fixture = sharedPath(QStringLiteral("fixtures/florence2-tiny"));
    for (const char *name : {"config.json", "model.safetensors"}) {
        if (!QFile::copy(fixture + QLatin1Char('/') + QLatin1String(name), QDir(dir).filePath(QLatin1String(name))))
            qFatal("cannot copy %s", name);
    }
    Json vocab = Json::object();
    int next = 0;
    for (const char *special : {"<s>", "<pad>", "</s>", "<unk>"})
        vocab[special] = next++;
    char32_t remapped = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
        const bool kept = (byte > 0x20 && byte < 0x7F) || (byte > 0xA0 && byte != 0xAD);
        const char32_t symbol = kept ? char32_t(byte) : remapped++;
        vocab[QString::fromUcs4(&symbol, 1).toStdString()] = next++;
    }
    for (; next < 300; ++next)
        vocab["filler" + std::to_string(next)] = next;
    write(QStringLiteral("vocab.json"), QByteArray::fromStdString(vocab.dump()));
    write(QStringLiteral("merges.txt"), "#version: 0.2\n");
    const Json processor = {{"size", {{"height", 64}, {"width", 64}}}, {"crop_size", {{"height", 64}, {"width", 64}}},
        {"image_mean", {0.485, 0.456, 0.406}}, {"image_std", {0.229, 0.224, 0.225}}, {"do_resize", true},
        {"do_rescale", true}, {"rescale_factor", 1.0 / 255.0}, {"do_normalize", true}, {"resample", 3}};
    write(QStringLiteral("preprocessor_config.json"), QByteArray::fromStdString(processor.dump()));
}

} // namespace fmwtest

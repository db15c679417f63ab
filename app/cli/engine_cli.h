#pragma once
// The model and decoding options the engine commands share (predict, forward, generate,
// predict-split): how they are spelled on the command line and how they become an engine.

#include "engine/florence2_engine.h"

#include <QCommandLineParser>
#include <QString>

#include <memory>

namespace fmw::cli {

// Prints "error: <message>" and returns ExitUsage.
int usageError(const QString &message);

// --model, --device, --dtype, --adapter, --prompt-mask.
void addModelOptions(QCommandLineParser &p);
// Loads the model the options name; prints the error and returns null (with *exitCode set) on failure.
std::unique_ptr<engine::Florence2Engine> loadEngine(
    const QCommandLineParser &p, bool needProcessor, int *exitCode);

// --num-beams, --max-new-tokens, --no-repeat-ngram-size, --forced-bos-token-id, --forced-eos-token-id.
void addDecodingOptions(QCommandLineParser &p);
// False (after printing why) when a value is not an integer.
bool readDecodingOptions(const QCommandLineParser &p, engine::DecodingOptions *d);

} // namespace fmw::cli

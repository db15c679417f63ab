// The engine commands' shared model and decoding options (see engine_cli.h).

#include "engine_cli.h"

#include "cli_util.h"

#include <QCommandLineOption>

#include <optional>

namespace fmw::cli {

namespace {

// An optional integer option; false (after printing why) when the value is not an integer.
bool intOption(const QCommandLineParser &p, const QString &name, std::optional<int64_t> *value)
{
    if (!p.isSet(name))
        return true;
    bool ok = false;
    const qlonglong v = p.value(name).toLongLong(&ok);
    if (!ok) {
        err(QStringLiteral("error: --%1 needs an integer, got '%2'").arg(name, p.value(name)));
        return false;
    }
    *value = v;
    return true;
}

} // namespace

int usageError(const QString &message)
{
    err(QStringLiteral("error: ") + message);
    return ExitUsage;
}

void addDecodingOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("num-beams"),
        QStringLiteral("Beams (default: the checkpoint's, 3; 1 = greedy)."), QStringLiteral("K")});
    p.addOption({QStringLiteral("max-new-tokens"), QStringLiteral("Most tokens to generate (default 1024)."),
        QStringLiteral("N")});
    p.addOption({QStringLiteral("no-repeat-ngram-size"),
        QStringLiteral("Ban repeating n-grams of this size (default: the checkpoint's, 3; 0 = off)."),
        QStringLiteral("N")});
    p.addOption({QStringLiteral("forced-bos-token-id"),
        QStringLiteral("Token forced first (default: the checkpoint's, 0; -1 = none)."),
        QStringLiteral("I")});
    p.addOption({QStringLiteral("forced-eos-token-id"),
        QStringLiteral("Token forced at the length limit (default: the checkpoint's, 2; -1 = none)."),
        QStringLiteral("I")});
}

bool readDecodingOptions(const QCommandLineParser &p, engine::DecodingOptions *d)
{
    return intOption(p, QStringLiteral("num-beams"), &d->numBeams)
        && intOption(p, QStringLiteral("max-new-tokens"), &d->maxNewTokens)
        && intOption(p, QStringLiteral("no-repeat-ngram-size"), &d->noRepeatNgramSize)
        && intOption(p, QStringLiteral("forced-bos-token-id"), &d->forcedBosTokenId)
        && intOption(p, QStringLiteral("forced-eos-token-id"), &d->forcedEosTokenId);
}

void addModelOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("model"),
        QStringLiteral("Model folder, or a hub id (microsoft/Florence-2-base) in the Hugging Face cache."),
        QStringLiteral("M")});
    p.addOption({QStringLiteral("device"), QStringLiteral("cpu or cuda (default cpu)."), QStringLiteral("D"),
        QStringLiteral("cpu")});
    p.addOption(
        {QStringLiteral("dtype"), QStringLiteral("fp32, bf16 or fp16 (fp16: CUDA only; default fp32)."),
            QStringLiteral("T"), QStringLiteral("fp32")});
    p.addOption({QStringLiteral("adapter"),
        QStringLiteral("A LoRA adapter folder (adapter_model.safetensors + adapter_config.json, as PEFT and "
                       "florence-cli train write them) applied on top of the model."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("prompt-mask"),
        QStringLiteral(
            "Apply the prompt's (and decoder's) padding mask, as the transformers-native port does; the "
            "original attends to padding.")});
}

std::unique_ptr<engine::Florence2Engine> loadEngine(
    const QCommandLineParser &p, bool needProcessor, int *exitCode)
{
    *exitCode = ExitUsage;
    if (!p.isSet(QStringLiteral("model"))) {
        usageError(QStringLiteral("--model is required"));
        return nullptr;
    }
    engine::EngineOptions options;
    options.device = p.value(QStringLiteral("device")).toStdString();
    options.needProcessor = needProcessor;
    options.applyPromptMask = p.isSet(QStringLiteral("prompt-mask"));
    options.adapterDir = p.value(QStringLiteral("adapter")).toStdString();
    auto precision = engine::parsePrecision(p.value(QStringLiteral("dtype")).toStdString());
    if (!precision) {
        usageError(QString::fromStdString(precision.error().message));
        return nullptr;
    }
    options.precision = *precision;
    auto loaded = engine::Florence2Engine::load(p.value(QStringLiteral("model")).toStdString(), options);
    if (!loaded) {
        *exitCode = fail(loaded.error());
        return nullptr;
    }
    return std::move(*loaded);
}

} // namespace fmw::cli

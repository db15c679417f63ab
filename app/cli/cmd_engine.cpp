// florence-cli predict / forward / generate / tokenize / detokenize / postprocess: the
// Florence-2 engine from the command line. Talks to the engine through its torch-free headers.

#include "cli_commands.h"
#include "cli_util.h"
#include "engine_cli.h"

#include "engine/florence2_engine.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/florence2_post_processor.h"
#include "imaging/model_image.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <nlohmann/json.hpp>

#include <iostream>
#include <functional>
#include <iterator>
#include <string>

namespace fmw::cli {

namespace {

using Json = nlohmann::ordered_json;

} // namespace

int predict(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Run Florence-2 on an image with a task prompt."));
    addModelOptions(p);
    p.addOption({QStringLiteral("image"), QStringLiteral("PNG, JPEG, TIFF or DICOM file."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("task"), QStringLiteral("Task token (default <CAPTION>)."), QStringLiteral("T"),
        QStringLiteral("<CAPTION>")});
    p.addOption({QStringLiteral("text"), QStringLiteral("The task's input text (grounding, region tasks)."),
        QStringLiteral("T")});
    addDecodingOptions(p);
    p.addOption({QStringLiteral("json"), QStringLiteral("One JSON object on stdout.")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    if (!p.isSet(QStringLiteral("image")))
        return usageError(QStringLiteral("--image is required"));
    engine::DecodingOptions decoding;
    if (!readDecodingOptions(p, &decoding))
        return ExitUsage;
    auto image = imaging::loadModelImage(p.value(QStringLiteral("image")));
    if (!image)
        return fail(image.error());
    auto engine = loadEngine(p, true, &code);
    if (!engine)
        return code;
    const std::string task = p.value(QStringLiteral("task")).toStdString();
    auto prediction = engine->predict(*image, task, p.value(QStringLiteral("text")).toStdString(), decoding);
    if (!prediction)
        return fail(prediction.error());
    const engine::Prediction &r = *prediction;
    const Json parsed = Json::parse(r.answerJson);
    if (p.isSet(QStringLiteral("json"))) {
        Json j;
        j["image"] = p.value(QStringLiteral("image")).toStdString();
        j["image_size"] = {r.imageWidth, r.imageHeight};
        j["model"] = engine->info().folder;
        if (!engine->info().adapter.empty())
            j["adapter"] = engine->info().adapter;
        j["task"] = task;
        j["prompt"] = r.prompt;
        j["generated_text"] = r.generatedText;
        j["parsed"] = parsed;
        j["ids"] = r.ids;
        j["score"] = r.score ? Json(*r.score) : Json(nullptr);
        j["encode_ms"] = r.encodeMs;
        j["generate_ms"] = r.generateMs;
        out(QString::fromStdString(j.dump()));
    } else {
        out(QString::fromStdString(r.generatedText));
        out(QString::fromStdString(parsed.dump(2)));
    }
    return ExitOk;
}

int forward(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Teacher-forced forward on tensors from a safetensors file (pixel_values, input_ids, decoder_input_ids, "
        "optional labels); writes every intermediate under the parity fixture's names."));
    addModelOptions(p);
    p.addOption({QStringLiteral("inputs"), QStringLiteral("Input safetensors."), QStringLiteral("IN")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output safetensors."), QStringLiteral("OUT")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    if (!p.isSet(QStringLiteral("inputs")) || !p.isSet(QStringLiteral("out")))
        return usageError(QStringLiteral("--inputs and --out are required"));
    auto engine = loadEngine(p, false, &code);
    if (!engine)
        return code;
    if (Status s = engine->forwardFile(
            p.value(QStringLiteral("inputs")).toStdString(), p.value(QStringLiteral("out")).toStdString());
        !s)
        return fail(s.error());
    return ExitOk;
}

int generate(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Generate from tensors in a safetensors file (pixel_values, input_ids); writes ids (and scores for beams)."));
    addModelOptions(p);
    p.addOption({QStringLiteral("inputs"), QStringLiteral("Input safetensors."), QStringLiteral("IN")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output safetensors."), QStringLiteral("OUT")});
    addDecodingOptions(p);
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    if (!p.isSet(QStringLiteral("inputs")) || !p.isSet(QStringLiteral("out")))
        return usageError(QStringLiteral("--inputs and --out are required"));
    if (!p.isSet(QStringLiteral("max-new-tokens")))
        return usageError(QStringLiteral("--max-new-tokens is required"));
    engine::DecodingOptions decoding;
    if (!readDecodingOptions(p, &decoding))
        return ExitUsage;
    auto engine = loadEngine(p, false, &code);
    if (!engine)
        return code;
    if (Status s = engine->generateFile(p.value(QStringLiteral("inputs")).toStdString(),
            p.value(QStringLiteral("out")).toStdString(), decoding);
        !s)
        return fail(s.error());
    return ExitOk;
}

namespace {

// Runs `perLine` on every JSONL line of stdin; a malformed line stops with "stdin:N: ...".
int eachStdinLine(const std::function<Result<Json>(const Json &, int)> &perLine)
{
    std::string line;
    int number = 0;
    while (std::getline(std::cin, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        Json in;
        try {
            in = Json::parse(line);
        } catch (const Json::exception &e) {
            return fail(makeError(ErrorCode::Parse, std::string("not JSON: ") + e.what(), "stdin", number));
        }
        auto result = perLine(in, number);
        if (!result)
            return fail(result.error());
        out(QString::fromStdString(result->dump()));
    }
    return ExitOk;
}

void addTokenizerOption(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("tokenizer"), QStringLiteral("Folder with tokenizer.json (or vocab.json + merges.txt)."),
        QStringLiteral("DIR")});
}

// The tokenizer --tokenizer names; prints the error and returns null on failure.
std::unique_ptr<text::BpeTokenizer> loadTokenizer(const QCommandLineParser &p, int *code)
{
    if (!p.isSet(QStringLiteral("tokenizer"))) {
        *code = usageError(QStringLiteral("--tokenizer is required"));
        return nullptr;
    }
    auto tokenizer = text::BpeTokenizer::fromDirectory(p.value(QStringLiteral("tokenizer")).toStdString());
    if (!tokenizer) {
        *code = fail(tokenizer.error());
        return nullptr;
    }
    return std::make_unique<text::BpeTokenizer>(std::move(*tokenizer));
}

} // namespace

int tokenize(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("JSONL {\"text\": ...} on stdin -> {\"ids\": [...]} on stdout."));
    addTokenizerOption(p);
    p.addOption({QStringLiteral("no-special-tokens"), QStringLiteral("Do not wrap in <s> ... </s>.")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    auto tokenizer = loadTokenizer(p, &code);
    if (!tokenizer)
        return code;
    const bool special = !p.isSet(QStringLiteral("no-special-tokens"));
    return eachStdinLine([&](const Json &in, int line) -> Result<Json> {
        if (!in.is_object() || !in.contains("text") || !in["text"].is_string())
            return makeError(ErrorCode::Parse, "expected {\"text\": \"...\"}", "stdin", line);
        return Json {{"ids", tokenizer->encode(in["text"].get<std::string>(), special)}};
    });
}

int detokenize(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("JSONL {\"ids\": [...]} on stdin -> {\"text\": ...} on stdout."));
    addTokenizerOption(p);
    p.addOption({QStringLiteral("skip-special-tokens"), QStringLiteral("Drop <s>, </s>, <pad> and the other special tokens.")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    auto tokenizer = loadTokenizer(p, &code);
    if (!tokenizer)
        return code;
    const bool skip = p.isSet(QStringLiteral("skip-special-tokens"));
    const int vocab = tokenizer->vocabSize();
    return eachStdinLine([&](const Json &in, int line) -> Result<Json> {
        if (!in.is_object() || !in.contains("ids") || !in["ids"].is_array())
            return makeError(ErrorCode::Parse, "expected {\"ids\": [...]}", "stdin", line);
        std::vector<int> ids;
        for (const Json &id : in["ids"]) {
            if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab)
                return makeError(ErrorCode::Parse, "id " + id.dump() + " is not in the vocabulary (0.." + std::to_string(vocab - 1) + ")", "stdin", line);
            ids.push_back(id.get<int>());
        }
        return Json {{"text", tokenizer->decode(ids, skip)}};
    });
}

int postprocess(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Generated text on stdin -> post_process_generation's result as JSON ({\"<TASK>\": ...})."));
    p.addOption({QStringLiteral("task"), QStringLiteral("Task token, e.g. <OD>."), QStringLiteral("T")});
    p.addOption({QStringLiteral("image-size"), QStringLiteral("Original image width,height."), QStringLiteral("W,H")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    if (!p.isSet(QStringLiteral("task")) || !p.isSet(QStringLiteral("image-size")))
        return usageError(QStringLiteral("--task and --image-size are required"));
    const QStringList size = p.value(QStringLiteral("image-size")).split(QLatin1Char(','));
    bool okW = false, okH = false;
    const int w = size.size() == 2 ? size[0].toInt(&okW) : 0;
    const int h = size.size() == 2 ? size[1].toInt(&okH) : 0;
    if (!okW || !okH || w <= 0 || h <= 0)
        return usageError(QStringLiteral("--image-size needs W,H with positive integers, got '%1'")
                              .arg(p.value(QStringLiteral("image-size"))));
    std::string generated((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!generated.empty() && (generated.back() == '\n' || generated.back() == '\r'))
        generated.pop_back();
    const std::string task = p.value(QStringLiteral("task")).toStdString();
    const text::Florence2Answer answer = text::postProcessGeneration(generated, task, loc::ImageSize {static_cast<double>(w), static_cast<double>(h)});
    out(QString::fromStdString(Json {{task, answer.toJson()}}.dump()));
    return ExitOk;
}

} // namespace fmw::cli

#include "engine/florence2_engine.h"

#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/model/florence2/generation.h"
#include "engine/model_loader.h"
#include "engine/runtime.h"
#include "engine/text/florence2_processor.h"
#include "engine/text/pixel_values.h"
#include "engine/training/adapter_files.h"
#include "engine/training/lora.h"
#include "engine/weights/checkpoint_loader.h"
#include "engine/weights/model_locator.h"
#include "engine/weights/safetensors.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include <chrono>
#include <sys/stat.h>

namespace fmw::engine {

using namespace fmw::florence2;

Result<Precision> parsePrecision(const std::string &name)
{
    if (name == "fp32" || name == "float32")
        return Precision::Fp32;
    if (name == "bf16" || name == "bfloat16")
        return Precision::Bf16;
    if (name == "fp16" || name == "float16")
        return Precision::Fp16;
    return makeError(ErrorCode::InvalidArgument, "unknown precision '" + name + "' (use fp32, bf16 or fp16)");
}

const char *precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Fp32:
        return "fp32";
    case Precision::Bf16:
        return "bf16";
    case Precision::Fp16:
        return "fp16";
    }
    return "?";
}

std::string evaluatedText(const Prediction &prediction)
{
    if (prediction.task == "<OD>") {
        std::string text = prediction.generatedText;
        for (const std::string token : {"<s>", "</s>", "<pad>"})
            for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at))
                text.erase(at, token.size());
        return text;
    }
    const nlohmann::json answer = nlohmann::json::parse(prediction.answerJson, nullptr, false);
    if (answer.is_discarded())
        return prediction.generatedText;
    const nlohmann::json &value = answer.contains(prediction.task) ? answer[prediction.task] : answer;
    return value.is_string() ? value.get<std::string>()
                             : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

c10::ScalarType scalarType(Precision p)
{
    return p == Precision::Bf16 ? at::kBFloat16 : p == Precision::Fp16 ? at::kHalf : at::kFloat;
}

double msSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

at::Tensor required(const weights::TensorMap &tensors, const std::string &name, const std::string &path)
{
    const auto it = tensors.find(name);
    if (it == tensors.end())
        throw std::runtime_error(path + " has no tensor '" + name + "'");
    return it->second;
}

} // namespace

struct Florence2Engine::Impl {
    ModelInfo info;
    Florence2Config config;
    std::optional<text::Florence2Processor> processor;
    Florence2ForConditionalGeneration model {nullptr};
    at::Device device {at::kCPU};

    GenerationOptions generationOptions(const DecodingOptions &d) const
    {
        const int64_t positions = config.text.maxPositionEmbeddings;
        GenerationOptions o
            = GenerationOptions::effectiveDefaults(config, d.maxNewTokens.value_or(std::min<int64_t>(1024, positions)));
        if (d.numBeams)
            o.numBeams = *d.numBeams;
        if (d.noRepeatNgramSize)
            o.noRepeatNgramSize = *d.noRepeatNgramSize;
        if (d.lengthPenalty)
            o.lengthPenalty = *d.lengthPenalty;
        if (d.earlyStopping)
            o.earlyStopping = *d.earlyStopping;
        auto forced = [](std::optional<int64_t> v, std::optional<int64_t> dflt) {
            if (!v)
                return dflt;
            return *v < 0 ? std::optional<int64_t>() : v;
        };
        o.forcedBosTokenId = forced(d.forcedBosTokenId, o.forcedBosTokenId);
        o.forcedEosTokenId = forced(d.forcedEosTokenId, o.forcedEosTokenId);
        return o;
    }
};

Florence2Engine::Florence2Engine(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

Florence2Engine::~Florence2Engine() = default;

const ModelInfo &Florence2Engine::info() const
{
    return d->info;
}

Result<std::unique_ptr<Florence2Engine>> Florence2Engine::load(const std::string &modelSpec, const EngineOptions &options)
{
    if (options.precision == Precision::Fp16 && options.device.rfind("cuda", 0) != 0)
        return makeError(ErrorCode::Unsupported, "fp16 needs a CUDA device: the CPU has no fp16 matmul; use bf16");
    LoadModelOptions load;
    load.device = options.device;
    load.dtype = scalarType(options.precision);
    load.needProcessor = options.needProcessor;
    auto loaded = loadModel(modelSpec, load);
    if (!loaded)
        return loaded.error();
    auto impl = std::make_unique<Impl>();
    impl->info.folder = loaded->folder;
    impl->info.hubId = loaded->hubId;
    impl->info.weightsFile = loaded->weightsFile;
    impl->info.configFormat = loaded->configFormat;
    impl->config = loaded->config;
    impl->processor = std::move(loaded->processor);
    impl->model = loaded->model;
    impl->device = loaded->device;
    impl->model->setApplyPromptMask(options.applyPromptMask);
    if (!options.adapterDir.empty()) {
        Status adapted = guarded("loading the adapter " + options.adapterDir, [&]() -> Status {
            auto config = training::loadAdapter(*impl->model, options.adapterDir);
            if (!config)
                return config.error();
            // fold the factors into the weights: inference then costs what the base model does
            training::mergeLora(*impl->model);
            return {};
        });
        if (!adapted)
            return adapted.error();
        impl->info.adapter = options.adapterDir;
    }
    impl->info.parameters = impl->model->numParameters();
    impl->info.device = impl->device.str();
    impl->info.precision = options.precision;
    return std::unique_ptr<Florence2Engine>(new Florence2Engine(std::move(impl)));
}

Result<Prediction> Florence2Engine::predict(
    const text::ImageU8 &image, const std::string &task, const std::string &text, const DecodingOptions &decoding)
{
    if (!d->processor)
        return makeError(ErrorCode::InvalidArgument, "this engine was loaded without its tokenizer and processor");
    const text::Florence2Processor &processor = *d->processor;
    Prediction p;
    p.task = task;
    p.imageWidth = image.width;
    p.imageHeight = image.height;
    auto prompt = text::constructPrompt(task + text);
    if (!prompt)
        return prompt.error();
    p.prompt = *prompt;
    auto ids = processor.promptIds(task + text);
    if (!ids)
        return ids.error();
    auto pixels = text::pixelValues(processor.imagePreprocessor(), {image});
    if (!pixels)
        return pixels.error();

    Status ran = guarded("predicting " + task, [&]() -> Status {
        c10::InferenceMode inference;
        const std::vector<int64_t> promptIds(ids->begin(), ids->end());
        const at::Tensor inputIds = at::tensor(promptIds, at::kLong).unsqueeze(0);
        auto start = std::chrono::steady_clock::now();
        const EncoderOutput encoded = d->model->encode(pixels->to(d->device), inputIds.to(d->device));
        p.encodeMs = msSince(start);
        start = std::chrono::steady_clock::now();
        const GenerationResult result = generate(d->model, encoded, d->generationOptions(decoding));
        p.generateMs = msSince(start);
        const at::Tensor row = result.sequences[0].to(at::kCPU).contiguous();
        p.ids.assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
        if (result.scores.defined())
            p.score = result.scores[0].item<double>();
        return {};
    });
    if (!ran)
        return ran.error();
    // upstream decodes the whole row, start token and padding included, keeping special tokens
    const std::vector<int> generated(p.ids.begin(), p.ids.end());
    p.generatedText = processor.decodeGenerated(generated);
    const text::Florence2Answer answer = processor.postProcess(
        generated, task, loc::ImageSize {static_cast<double>(image.width), static_cast<double>(image.height)});
    p.answerJson = nlohmann::json {{task, answer.toJson()}}.dump();
    return p;
}

Status Florence2Engine::forwardFile(const std::string &inputsPath, const std::string &outPath)
{
    auto file = weights::readSafetensors(inputsPath);
    if (!file)
        return file.error();
    weights::TensorMap out;
    Status ran = guarded("forward on " + inputsPath, [&]() -> Status {
        const weights::TensorMap &in = file->tensors;
        ForwardInputs inputs;
        inputs.pixelValues = required(in, "pixel_values", inputsPath).to(d->device);
        inputs.inputIds = required(in, "input_ids", inputsPath).to(d->device);
        inputs.decoderInputIds = required(in, "decoder_input_ids", inputsPath).to(d->device);
        if (in.count("labels"))
            inputs.labels = in.at("labels").to(d->device);
        // the original attends to every prompt and decoder position; the masks count only
        // when the engine applies them (EngineOptions::applyPromptMask)
        if (d->model->applyPromptMask()) {
            if (in.count("attention_mask"))
                inputs.attentionMask = in.at("attention_mask").to(d->device);
            if (in.count("decoder_attention_mask"))
                inputs.decoderAttentionMask = in.at("decoder_attention_mask").to(d->device);
        }
        c10::InferenceMode inference;
        // every reported intermediate under its fixture name (float32, CPU, contiguous)
        d->model->setCallback([&](const std::string &name, const at::Tensor &t) {
            out[name] = t.detach().to(at::kCPU, at::kFloat).contiguous();
        });
        const ForwardOutput result = d->model->forward(inputs);
        d->model->setCallback({});
        out["logits"] = result.logits.to(at::kCPU, at::kFloat).contiguous();
        if (result.loss.defined())
            out["loss"] = result.loss.to(at::kCPU, at::kFloat).contiguous();
        return {};
    });
    if (!ran) {
        d->model->setCallback({});
        return ran.error();
    }
    return weights::writeSafetensors(outPath, out, {{"format", "pt"}});
}

Status Florence2Engine::generateFile(
    const std::string &inputsPath, const std::string &outPath, const DecodingOptions &decoding)
{
    auto file = weights::readSafetensors(inputsPath);
    if (!file)
        return file.error();
    weights::TensorMap out;
    Status ran = guarded("generate on " + inputsPath, [&]() -> Status {
        const weights::TensorMap &in = file->tensors;
        c10::InferenceMode inference;
        at::Tensor mask;
        if (d->model->applyPromptMask() && in.count("attention_mask"))
            mask = in.at("attention_mask").to(d->device);
        const EncoderOutput encoded = d->model->encode(required(in, "pixel_values", inputsPath).to(d->device),
            required(in, "input_ids", inputsPath).to(d->device), mask);
        const GenerationResult result = generate(d->model, encoded, d->generationOptions(decoding));
        out["ids"] = result.sequences.contiguous();
        if (result.scores.defined())
            out["scores"] = result.scores.contiguous();
        return {};
    });
    if (!ran)
        return ran.error();
    return weights::writeSafetensors(outPath, out, {{"format", "pt"}});
}

} // namespace fmw::engine

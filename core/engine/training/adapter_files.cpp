#include "engine/training/adapter_files.h"

#include "engine/weights/atomic_file_writer.h"
#include "engine/weights/safetensors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fmw::training {

namespace {

const char *const kWeightsFile = "adapter_model.safetensors";
const char *const kConfigFile = "adapter_config.json";
const std::string kPrefix = "base_model.model.";

std::string keyOf(const std::string &layerPath, const char *factor)
{
    return kPrefix + layerPath + "." + factor + ".weight";
}

std::string shapeText(at::IntArrayRef shape)
{
    std::ostringstream os;
    os << shape;
    return os.str();
}

} // namespace

Status saveAdapter(
    torch::nn::Module &model, const LoraConfig &config, const std::string &dir, const std::string &baseModel)
{
    const auto layers = loraLayers(model);
    if (layers.empty())
        return makeError(ErrorCode::InvalidArgument, "the model carries no LoRA adapter to save", dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return makeError(ErrorCode::Io, "cannot create the folder: " + ec.message(), dir);

    weights::TensorMap tensors;
    for (const auto &[path, layer] : layers) {
        tensors[keyOf(path, "lora_A")] = layer->lora_A->weight.detach().cpu().contiguous();
        tensors[keyOf(path, "lora_B")] = layer->lora_B->weight.detach().cpu().contiguous();
    }
    const std::string weightsPath = (std::filesystem::path(dir) / kWeightsFile).string();
    if (Status s = weights::writeSafetensors(weightsPath, tensors, {{"format", "pt"}}); !s)
        return s;

    // PEFT's LoraConfig fields (the ones a LoRA adapter file carries)
    const florence2::LoraSettings &s = config.settings;
    nlohmann::json json = {
        {"peft_type", "LORA"},
        {"task_type", nullptr},
        {"base_model_name_or_path", baseModel.empty() ? nlohmann::json(nullptr) : nlohmann::json(baseModel)},
        {"r", s.r},
        {"lora_alpha", s.alpha},
        {"lora_dropout", s.dropout},
        {"use_rslora", s.rslora},
        {"target_modules", config.targetModules},
        {"bias", "none"},
        {"fan_in_fan_out", false},
        {"init_lora_weights", true},
        {"inference_mode", true},
        {"modules_to_save", nullptr},
        {"use_dora", false},
        {"layers_to_transform", nullptr},
        {"layers_pattern", nullptr},
        {"rank_pattern", nlohmann::json::object()},
        {"alpha_pattern", nlohmann::json::object()},
        {"revision", nullptr},
    };
    return weights::writeFileAtomically(
        (std::filesystem::path(dir) / kConfigFile).string(), json.dump(2) + "\n");
}

Result<LoraConfig> loadAdapter(torch::nn::Module &model, const std::string &dir)
{
    const std::string configPath = (std::filesystem::path(dir) / kConfigFile).string();
    const std::string weightsPath = (std::filesystem::path(dir) / kWeightsFile).string();
    std::ifstream in(configPath);
    if (!in)
        return makeError(ErrorCode::Io, "cannot open the adapter config", configPath);
    nlohmann::json json;
    try {
        in >> json;
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("not valid JSON: ") + e.what(), configPath);
    }
    LoraConfig config;
    try {
        if (json.value("peft_type", std::string()) != "LORA")
            return makeError(ErrorCode::Unsupported, "peft_type is not LORA", configPath);
        if (json.value("fan_in_fan_out", false))
            return makeError(ErrorCode::Unsupported,
                "fan_in_fan_out adapters (Conv1D layers) are not supported", configPath);
        if (json.value("use_dora", false))
            return makeError(ErrorCode::Unsupported, "DoRA adapters are not supported", configPath);
        if (json.contains("bias") && json["bias"].is_string() && json["bias"] != "none")
            return makeError(ErrorCode::Unsupported,
                "bias '" + json["bias"].get<std::string>() + "' is not supported (only 'none')", configPath);
        for (const char *key : {"rank_pattern", "alpha_pattern"})
            if (json.contains(key) && json[key].is_object() && !json[key].empty())
                return makeError(ErrorCode::Unsupported,
                    std::string(key) + " (per-layer ranks) is not supported", configPath);
        config.settings.r = json.at("r").get<int64_t>();
        config.settings.alpha = json.value("lora_alpha", static_cast<double>(config.settings.r));
        config.settings.dropout = json.value("lora_dropout", 0.0);
        config.settings.rslora = json.value("use_rslora", false);
        const nlohmann::json &targets = json.at("target_modules");
        if (targets.is_string())
            return makeError(ErrorCode::Unsupported,
                "target_modules as a regular expression is not supported; list the names", configPath);
        config.targetModules = targets.get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("unexpected adapter config: ") + e.what(), configPath);
    }

    auto file = weights::readSafetensors(weightsPath);
    if (!file)
        return file.error();
    const weights::TensorMap &tensors = file->tensors;

    // check everything before touching the model: which layers the targets name, and that
    // the file holds exactly their two factors with the right shapes
    std::vector<std::pair<std::string, florence2::LoraLinear>> named;
    {
        std::set<std::string> paths;
        for (const std::string &path : linearLayerPaths(model))
            for (const std::string &target : config.targetModules)
                if (matchesTarget(path, target))
                    paths.insert(path);
        for (auto &item : model.named_modules("", false))
            if (paths.count(item.key()))
                named.emplace_back(item.key(),
                    florence2::LoraLinear(
                        std::dynamic_pointer_cast<florence2::LoraLinearImpl>(item.value())));
    }
    std::set<std::string> expected;
    for (const auto &[path, layer] : named) {
        const std::pair<const char *, std::vector<int64_t>> factors[]
            = {{"lora_A", {config.settings.r, layer->options().inFeatures}},
                {"lora_B", {layer->options().outFeatures, config.settings.r}}};
        for (const auto &[factor, shape] : factors) {
            const std::string key = keyOf(path, factor);
            expected.insert(key);
            const auto it = tensors.find(key);
            if (it == tensors.end())
                return makeError(ErrorCode::Parse, "missing tensor " + key, weightsPath);
            if (it->second.sizes().vec() != shape)
                return makeError(ErrorCode::Parse,
                    "tensor " + key + " has shape " + shapeText(it->second.sizes()) + ", the layer needs "
                        + shapeText(shape),
                    weightsPath);
        }
    }
    for (const auto &entry : tensors)
        if (!expected.count(entry.first))
            return makeError(ErrorCode::Parse,
                "tensor " + entry.first
                    + " belongs to no adapted layer of this model (a different base model?)",
                weightsPath);

    auto attached = applyLora(model, config);
    if (!attached)
        return makeError(attached.error().code, attached.error().message, configPath);
    torch::NoGradGuard noGrad;
    for (const auto &[path, layer] : named) {
        layer->lora_A->weight.copy_(tensors.at(keyOf(path, "lora_A")));
        layer->lora_B->weight.copy_(tensors.at(keyOf(path, "lora_B")));
    }
    return config;
}

} // namespace fmw::training

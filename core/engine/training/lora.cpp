#include "engine/training/lora.h"

#include <algorithm>
#include <memory>
#include <set>

namespace fmw::training {

namespace {

// Every LoRA-capable layer under `model` with its path.
std::vector<std::pair<std::string, florence2::LoraLinear>> allLinears(torch::nn::Module &model)
{
    std::vector<std::pair<std::string, florence2::LoraLinear>> layers;
    for (const auto &item : model.named_modules("", false)) {
        if (auto layer = std::dynamic_pointer_cast<florence2::LoraLinearImpl>(item.value()))
            layers.emplace_back(item.key(), florence2::LoraLinear(layer));
    }
    return layers;
}

std::string joined(const std::set<std::string> &names)
{
    std::string s;
    for (const std::string &n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s;
}

} // namespace

bool matchesTarget(const std::string &modulePath, const std::string &target)
{
    if (target.empty())
        return false;
    if (modulePath == target)
        return true;
    return modulePath.size() > target.size()
        && modulePath.compare(modulePath.size() - target.size(), target.size(), target) == 0
        && modulePath[modulePath.size() - target.size() - 1] == '.';
}

std::vector<std::string> linearLayerPaths(torch::nn::Module &model)
{
    std::vector<std::string> paths;
    for (const auto &entry : allLinears(model))
        paths.push_back(entry.first);
    return paths;
}

Result<std::vector<std::string>> applyLora(torch::nn::Module &model, const LoraConfig &config)
{
    if (config.targetModules.empty())
        return makeError(ErrorCode::InvalidArgument,
            "lora_target_modules is empty: name the layers to adapt, e.g. "
            "[q_proj, k_proj, v_proj, out_proj]");
    const auto layers = allLinears(model);
    std::vector<std::string> unmatched;
    for (const std::string &target : config.targetModules) {
        const bool any = std::any_of(layers.begin(), layers.end(),
            [&](const auto &entry) { return matchesTarget(entry.first, target); });
        if (!any)
            unmatched.push_back(target);
    }
    if (!unmatched.empty()) {
        // the layer names (last path segment), then a few full paths for the dotted form
        std::set<std::string> names;
        for (const auto &entry : layers)
            names.insert(entry.first.substr(entry.first.rfind('.') + 1));
        std::string message = "lora_target_modules: ";
        for (size_t i = 0; i < unmatched.size(); ++i)
            message += (i ? ", '" : "'") + unmatched[i] + "'";
        message += unmatched.size() == 1 ? " names no linear layer" : " name no linear layer";
        message += "; this model's linear layers are " + joined(names);
        if (!layers.empty())
            message += " (full paths like '" + layers.front().first + "' also work)";
        return makeError(ErrorCode::InvalidArgument, message);
    }
    // validate the settings once, before touching any layer
    const florence2::LoraSettings &s = config.settings;
    if (s.r <= 0)
        return makeError(ErrorCode::InvalidArgument, "lora r must be at least 1, got " + std::to_string(s.r));
    if (!(s.dropout >= 0.0 && s.dropout < 1.0))
        return makeError(
            ErrorCode::InvalidArgument, "lora_dropout must be in [0, 1), got " + std::to_string(s.dropout));
    if (!(s.alpha > 0.0))
        return makeError(
            ErrorCode::InvalidArgument, "lora_alpha must be positive, got " + std::to_string(s.alpha));
    std::vector<std::string> adapted;
    for (auto &[path, layer] : layers) {
        const bool named = std::any_of(config.targetModules.begin(), config.targetModules.end(),
            [&](const std::string &target) { return matchesTarget(path, target); });
        if (named) {
            layer.ptr()->attachLora(s);
            adapted.push_back(path);
        }
    }
    return adapted;
}

std::vector<std::pair<std::string, florence2::LoraLinear>> loraLayers(torch::nn::Module &model)
{
    auto layers = allLinears(model);
    layers.erase(std::remove_if(layers.begin(), layers.end(),
                     [](const auto &entry) { return !entry.second->hasLora(); }),
        layers.end());
    return layers;
}

std::vector<std::string> mergeLora(torch::nn::Module &model)
{
    std::vector<std::string> kept;
    for (auto &entry : loraLayers(model)) {
        if (entry.second->mergeable())
            entry.second.ptr()->merge();
        else
            kept.push_back(entry.first);
    }
    return kept;
}

void unmergeLora(torch::nn::Module &model)
{
    for (auto &entry : loraLayers(model))
        entry.second.ptr()->unmerge();
}

} // namespace fmw::training

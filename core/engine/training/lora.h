#pragma once
// Attaching LoRA adapters to a model's linear layers by module name, as PEFT's
// get_peft_model does: a target names a layer when the layer's dotted path equals it or ends
// with "." + target (PEFT's list form of target_modules). Targets that name no layer are an
// error that lists the layer names there are, so a config with a typo (or the original
// train.py's `o_proj`, which no Florence-2 layer is called) cannot silently train nothing.

#include "common/result.h"
#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace fmw::training {

struct LoraConfig {
    florence2::LoraSettings settings; // r, alpha, dropout, rsLoRA
    std::vector<std::string> targetModules {"q_proj", "k_proj", "v_proj", "out_proj"};
};

// PEFT's rule for one module path and one target.
bool matchesTarget(const std::string &modulePath, const std::string &target);

// The dotted paths of every LoRA-capable linear layer of `model`, in registration order.
std::vector<std::string> linearLayerPaths(torch::nn::Module &model);

// Attaches an adapter to every linear layer a target names; returns their paths. Fails,
// changing nothing, when the config is empty or a target names no layer.
Result<std::vector<std::string>> applyLora(torch::nn::Module &model, const LoraConfig &config);

// The layers of `model` that carry an adapter, by path.
std::vector<std::pair<std::string, florence2::LoraLinear>> loraLayers(torch::nn::Module &model);

// Folds every adapter into its weight, or takes them out again (LoraLinearImpl::merge()).
// Adapters on tied weights (lm_head) stay active unmerged; their paths are returned.
std::vector<std::string> mergeLora(torch::nn::Module &model);
void unmergeLora(torch::nn::Module &model);

} // namespace fmw::training

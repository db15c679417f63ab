#pragma once
// LoRA adapters on disk in PEFT's layout, so that Python's PeftModel.from_pretrained loads
// what we train and we load what PEFT trained: a folder with adapter_model.safetensors
// (`base_model.model.<layer path>.lora_A.weight` / `.lora_B.weight`) and adapter_config.json
// (peft_type LORA, r, lora_alpha, lora_dropout, target_modules, use_rslora, ...).

#include "common/result.h"
#include "engine/training/lora.h"

#include <torch/nn/module.h>

#include <string>

namespace fmw::training {

// Writes the adapters `model` carries (unmerged or merged: the A and B factors either way).
// Each file is written atomically; `baseModel` goes to base_model_name_or_path.
Status saveAdapter(torch::nn::Module &model, const LoraConfig &config, const std::string &dir,
    const std::string &baseModel = {});

// Reads adapter_config.json, attaches adapters as it says and loads their factors. Errors name
// the file: unsupported settings (fan_in_fan_out, bias other than "none", DoRA), missing or
// mis-shaped tensors, tensors for layers the model lacks. On error the model is unchanged.
Result<LoraConfig> loadAdapter(torch::nn::Module &model, const std::string &dir);

} // namespace fmw::training

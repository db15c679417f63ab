#pragma once
// What the model benchmarks share: run counts, medians, peak RSS and the Florence-2-base shape.

#include "bench_stats.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/training/lora.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace fmwbench {

// FMW_BENCH_RUNS, default 5.
inline int runs()
{
    const char *env = std::getenv("FMW_BENCH_RUNS");
    return env && std::atoi(env) > 0 ? std::atoi(env) : 5;
}

// This process's peak resident set (VmHWM), GiB.
inline double peakRssGiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0)
            return std::atof(line.c_str() + 6) / (1024.0 * 1024.0);
    }
    return 0;
}

// Florence-2-base (florence2-reference.md, "Real configurations") from the large config file's
// fields.
inline fmw::florence2::Florence2Config baseConfig()
{
    fmw::florence2::Florence2Config c;
    c.vision.dimEmbed = {128, 256, 512, 1024};
    c.vision.numHeads = {4, 8, 16, 32};
    c.vision.numGroups = {4, 8, 16, 32};
    c.vision.projectionDim = 768;
    c.text.dModel = 768;
    c.text.encoderLayers = c.text.decoderLayers = 6;
    c.text.encoderAttentionHeads = c.text.decoderAttentionHeads = 12;
    c.text.encoderFfnDim = c.text.decoderFfnDim = 3072;
    return c;
}

// The training benchmarks' model: Florence-2-base shape (random weights, seed 0) in `dtype`,
// frozen, with LoRA r=8 (alpha 8, dropout 0.05) on q/k/v/out_proj + lm_head, adapters fp32.
struct LoraModel {
    fmw::florence2::Florence2ForConditionalGeneration model {nullptr};
    std::vector<at::Tensor> trainable; // the adapters' A and B
    long long parameters = 0; // trainable
};

inline LoraModel baseLoraModel(c10::ScalarType dtype)
{
    torch::manual_seed(0);
    LoraModel m;
    m.model = fmw::florence2::Florence2ForConditionalGeneration(baseConfig());
    m.model->to(dtype);
    for (auto &p : m.model->parameters())
        p.set_requires_grad(false);
    fmw::training::LoraConfig lora;
    lora.settings.r = 8;
    lora.settings.alpha = 8;
    lora.settings.dropout = 0.05;
    lora.targetModules = {"q_proj", "k_proj", "v_proj", "out_proj", "lm_head"};
    if (!fmw::training::applyLora(*m.model, lora)) {
        std::fprintf(stderr, "applyLora failed\n");
        std::exit(1);
    }
    for (auto &[path, layer] : fmw::training::loraLayers(*m.model)) {
        layer->lora_A->to(at::kFloat);
        layer->lora_B->to(at::kFloat);
        for (at::Tensor w : {layer->lora_A->weight, layer->lora_B->weight}) {
            w.set_requires_grad(true);
            m.trainable.push_back(w);
            m.parameters += w.numel();
        }
    }
    return m;
}

} // namespace fmwbench

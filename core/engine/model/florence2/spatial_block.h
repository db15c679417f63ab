#pragma once
// DaViT's spatial block (SpatialBlock in the reference): depthwise-conv position encoding,
// window attention, depthwise conv, MLP, each a residual branch (PreNorm).

#include "engine/model/florence2/pre_norm.h"

#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct SpatialBlockOptions {
    int64_t dim = 0;
    int64_t numHeads = 1;
    int64_t windowSize = 12;
    double mlpRatio = 4.0;
    bool qkvBias = true;
    double dropPathRate = 0.0;
};

class SpatialBlockImpl : public torch::nn::Module {
public:
    explicit SpatialBlockImpl(const SpatialBlockOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size);

    PreNorm conv1 {nullptr}; // conv1.fn.dw
    PreNorm window_attn {nullptr}; // window_attn.norm, window_attn.fn.{qkv,proj}
    PreNorm conv2 {nullptr}; // conv2.fn.dw
    PreNorm ffn {nullptr}; // ffn.norm, ffn.fn.net.{fc1,fc2}
};

TORCH_MODULE(SpatialBlock);

} // namespace fmw::florence2

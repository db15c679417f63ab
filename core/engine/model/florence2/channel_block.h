#pragma once
// DaViT's channel block (ChannelBlock in the reference): depthwise-conv position encoding,
// channel attention, depthwise conv, MLP, each a residual branch (PreNorm).

#include "engine/model/florence2/pre_norm.h"

#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct ChannelBlockOptions {
    int64_t dim = 0;
    int64_t groups = 1;
    double mlpRatio = 4.0;
    bool qkvBias = true;
    double dropPathRate = 0.0;
};

class ChannelBlockImpl : public torch::nn::Module {
public:
    explicit ChannelBlockImpl(const ChannelBlockOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size);

    PreNorm conv1 {nullptr}; // conv1.fn.dw
    PreNorm channel_attn {nullptr}; // channel_attn.norm, channel_attn.fn.{qkv,proj}
    PreNorm conv2 {nullptr}; // conv2.fn.dw
    PreNorm ffn {nullptr}; // ffn.norm, ffn.fn.net.{fc1,fc2}
};

TORCH_MODULE(ChannelBlock);

} // namespace fmw::florence2

#pragma once
// DaViT's depthwise convolution on a token map (DepthWiseConv2d in the reference): the
// position encoding before each attention and MLP, wrapped as `conv1.fn.dw` / `conv2.fn.dw`.

#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct DepthWiseConv2dOptions {
    int64_t dimIn = 0;
    int64_t kernelSize = 3;
    int64_t padding = 1;
    int64_t stride = 1;
    bool bias = true;
};

class DepthWiseConv2dImpl : public TokenMapModuleImpl {
public:
    explicit DepthWiseConv2dImpl(const DepthWiseConv2dOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size) override;

    torch::nn::Conv2d dw {nullptr};
};

TORCH_MODULE(DepthWiseConv2d);

} // namespace fmw::florence2

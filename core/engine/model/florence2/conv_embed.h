#pragma once
// DaViT's patch embedding (ConvEmbed in the reference): a strided Conv2d that starts each
// stage, with a LayerNorm after it (stage 0, on the image) or before it (later stages, on the
// previous stage's tokens, over its input channels).

#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct ConvEmbedOptions {
    int64_t patchSize = 7;
    int64_t inChans = 3;
    int64_t embedDim = 64;
    int64_t stride = 4;
    int64_t padding = 2;
    bool preNorm = true;
};

class ConvEmbedImpl : public torch::nn::Module {
public:
    explicit ConvEmbedImpl(const ConvEmbedOptions &options);

    // x: an image [B, C, H, W] or tokens [B, H*W, C] of a map of `size`. Returns tokens
    // [B, H'*W', embedDim]; `size` becomes (H', W').
    at::Tensor forward(const at::Tensor &x, MapSize &size);

    torch::nn::Conv2d proj {nullptr};
    torch::nn::LayerNorm norm {nullptr};

private:
    ConvEmbedOptions m_options;
};

TORCH_MODULE(ConvEmbed);

} // namespace fmw::florence2

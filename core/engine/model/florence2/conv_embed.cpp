#include "engine/model/florence2/conv_embed.h"

#include "engine/model/florence2/functional.h"

namespace fmw::florence2 {

ConvEmbedImpl::ConvEmbedImpl(const ConvEmbedOptions &o)
    : m_options(o)
{
    proj = register_module("proj",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(o.inChans, o.embedDim, o.patchSize)
                              .stride(o.stride)
                              .padding(o.padding)));
    const int64_t normDim = o.preNorm ? o.inChans : o.embedDim;
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({normDim})));
}

at::Tensor ConvEmbedImpl::forward(const at::Tensor &input, MapSize &size)
{
    at::Tensor x = input;
    if (x.dim() == 3) {
        // pre-norm over the input channels (token input only, as in the reference)
        if (m_options.preNorm)
            x = layerNorm(norm, x);
        // [B, H*W, C] -> [B, C, H, W]
        x = x.reshape({x.size(0), size.height, size.width, x.size(2)}).permute({0, 3, 1, 2});
    }
    x = proj(x);
    size = {x.size(2), x.size(3)};
    // [B, C', H', W'] -> [B, H'*W', C'], a view when the convolution's output is channels-last
    // (token input), one copy to token-major layout otherwise
    x = x.permute({0, 2, 3, 1}).reshape({x.size(0), size.height * size.width, x.size(1)});
    if (!m_options.preNorm)
        x = layerNorm(norm, x);
    return x;
}

} // namespace fmw::florence2

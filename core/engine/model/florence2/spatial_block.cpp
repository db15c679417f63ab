#include "engine/model/florence2/spatial_block.h"

#include "engine/model/florence2/depth_wise_conv2d.h"
#include "engine/model/florence2/mlp.h"
#include "engine/model/florence2/window_attention.h"

namespace fmw::florence2 {

SpatialBlockImpl::SpatialBlockImpl(const SpatialBlockOptions &o)
{
    const DepthWiseConv2dOptions dw {o.dim, 3, 1, 1, true};
    const int64_t hidden = static_cast<int64_t>(static_cast<double>(o.dim) * o.mlpRatio);
    conv1 = register_module("conv1", PreNorm(DepthWiseConv2d(dw).ptr(), PreNormOptions {}));
    window_attn = register_module("window_attn",
        PreNorm(WindowAttention(WindowAttentionOptions {o.dim, o.numHeads, o.windowSize, o.qkvBias}).ptr(),
            PreNormOptions {o.dim, o.dropPathRate}));
    conv2 = register_module("conv2", PreNorm(DepthWiseConv2d(dw).ptr(), PreNormOptions {}));
    ffn = register_module(
        "ffn", PreNorm(Mlp(MlpOptions {o.dim, hidden}).ptr(), PreNormOptions {o.dim, o.dropPathRate}));
}

at::Tensor SpatialBlockImpl::forward(const at::Tensor &input, MapSize &size)
{
    // x + dwconv(x); x + window_attn(norm(x)); x + dwconv(x); x + mlp(norm(x))
    at::Tensor x = conv1(input, size);
    x = window_attn(x, size);
    x = conv2(x, size);
    return ffn(x, size);
}

} // namespace fmw::florence2

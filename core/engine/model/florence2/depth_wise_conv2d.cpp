#include "engine/model/florence2/depth_wise_conv2d.h"

#include <c10/util/Exception.h>

namespace fmw::florence2 {

DepthWiseConv2dImpl::DepthWiseConv2dImpl(const DepthWiseConv2dOptions &o)
{
    dw = register_module("dw",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(o.dimIn, o.dimIn, o.kernelSize)
                              .padding(o.padding)
                              .stride(o.stride)
                              .groups(o.dimIn)
                              .bias(o.bias)));
}

at::Tensor DepthWiseConv2dImpl::forward(const at::Tensor &x, MapSize &size)
{
    const int64_t B = x.size(0), N = x.size(1), C = x.size(2);
    TORCH_CHECK(N == size.height * size.width, "DepthWiseConv2d: ", N, " tokens for a ", size.height, "x",
        size.width, " map");
    // [B, H*W, C] -> [B, C, H, W]
    at::Tensor y = dw(x.transpose(1, 2).reshape({B, C, size.height, size.width}));
    size = {y.size(-2), y.size(-1)};
    // [B, C, H', W'] -> [B, H'*W', C]
    return y.flatten(2).transpose(1, 2);
}

} // namespace fmw::florence2

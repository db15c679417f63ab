#include "engine/model/florence2/depth_wise_conv2d.h"

#include "engine/model/florence2/vision_kernels.h"

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
    const auto &o = dw->options;
    const bool threeByThree = o.kernel_size() == at::ArrayRef<int64_t>({3, 3}) && o.stride() == at::ArrayRef<int64_t>({1, 1})
        && o.dilation() == at::ArrayRef<int64_t>({1, 1}) && o.groups() == C
        && c10::get_if<torch::ExpandingArray<2>>(&o.padding()) != nullptr
        && *c10::get<torch::ExpandingArray<2>>(o.padding()) == at::ArrayRef<int64_t>({1, 1})
        && c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) != nullptr;
    if (threeByThree && depthwiseConv3x3Applies(x, dw->weight, dw->bias))
        return depthwiseConv3x3(x, dw->weight, dw->bias, size.height, size.width);
    // [B, H*W, C] -> [B, C, H, W]
    at::Tensor y = dw(x.transpose(1, 2).reshape({B, C, size.height, size.width}));
    size = {y.size(-2), y.size(-1)};
    // [B, C, H', W'] -> [B, H'*W', C]. The input is a channels-last view, so the convolution's
    // output is channels-last too and this is a view: flatten(2).transpose(1, 2) would copy it
    // to channels-first and hand every following op a transposed, cache-hostile layout.
    return y.permute({0, 2, 3, 1}).reshape({B, size.height * size.width, C});
}

} // namespace fmw::florence2

#include "engine/model/florence2/channel_attention.h"

#include "engine/model/florence2/functional.h"
#include "engine/model/florence2/vision_kernels.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

ChannelAttentionImpl::ChannelAttentionImpl(const ChannelAttentionOptions &o)
    : m_options(o)
{
    qkv = register_module(
        "qkv", LoraLinear(LoraLinearOptions(o.dim, 3 * o.dim).bias(o.qkvBias)));
    proj = register_module("proj", LoraLinear(o.dim, o.dim));
}

at::Tensor ChannelAttentionImpl::forward(const at::Tensor &x, MapSize &)
{
    const int64_t B = x.size(0), N = x.size(1), C = x.size(2), G = m_options.groups;

    // qkv: [B, N, 3C] -> [3, B, G, N, C/G]
    const at::Tensor qkvOut = qkv(x).reshape({B, N, 3, G, C / G}).permute({2, 0, 3, 1, 4});
    // attention over channels: with q, k, v transposed to [B, G, C/G, N] the weights are
    // softmax(q^T k * N^-0.5) [B, G, C/G, C/G], applied to v^T
    const double scale = std::pow(static_cast<double>(N), -0.5);
    if (channelAttentionApplies(qkvOut[0], qkvOut[1], qkvOut[2]))
        return proj(channelAttention(qkvOut[0], qkvOut[1], qkvOut[2], scale));
    at::Tensor y = attention(qkvOut[0].transpose(-1, -2), qkvOut[1].transpose(-1, -2),
        qkvOut[2].transpose(-1, -2), {}, scale, 0.0, false);
    // [B, G, C/G, N] -> [B, G, N, C/G] -> [B, N, C]
    y = y.transpose(-1, -2).transpose(1, 2).reshape({B, N, C});
    return proj(y);
}

} // namespace fmw::florence2

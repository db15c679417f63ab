#include "engine/model/florence2/window_attention.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

WindowAttentionImpl::WindowAttentionImpl(const WindowAttentionOptions &o)
    : m_options(o)
{
    m_scale = std::pow(static_cast<double>(o.dim / o.numHeads), -0.5);
    qkv = register_module(
        "qkv", LoraLinear(LoraLinearOptions(o.dim, 3 * o.dim).bias(o.qkvBias)));
    proj = register_module("proj", LoraLinear(o.dim, o.dim));
}

at::Tensor WindowAttentionImpl::forward(const at::Tensor &input, MapSize &size)
{
    const int64_t ws = m_options.windowSize, heads = m_options.numHeads;
    const int64_t B = input.size(0), L = input.size(1), C = input.size(2);
    const int64_t H = size.height, W = size.width;
    TORCH_CHECK(L == H * W, "WindowAttention: ", L, " tokens for a ", H, "x", W, " map");

    // [B, H*W, C] -> [B, H, W, C], zero-padded right/bottom to [B, Hp, Wp, C]
    const int64_t padRight = (ws - W % ws) % ws, padBottom = (ws - H % ws) % ws;
    at::Tensor x = input.reshape({B, H, W, C});
    if (padRight > 0 || padBottom > 0)
        x = at::constant_pad_nd(x, {0, 0, 0, padRight, 0, padBottom});
    const int64_t Hp = H + padBottom, Wp = W + padRight;

    // window partition: [B, Hp, Wp, C] -> [B*nW, ws*ws, C]
    x = x.view({B, Hp / ws, ws, Wp / ws, ws, C})
            .permute({0, 1, 3, 2, 4, 5})
            .contiguous()
            .view({-1, ws * ws, C});
    const int64_t Bw = x.size(0), N = x.size(1);

    // qkv: [B*nW, N, 3C] -> [3, B*nW, heads, N, C/heads]
    const at::Tensor qkvOut = qkv(x).reshape({Bw, N, 3, heads, C / heads}).permute({2, 0, 3, 1, 4});
    // attention inside each window, q scaled by head_dim^-0.5
    x = attention(qkvOut[0], qkvOut[1], qkvOut[2], {}, m_scale, 0.0, false);
    // [B*nW, heads, N, C/heads] -> [B*nW, N, C]
    x = proj(x.transpose(1, 2).reshape({Bw, N, C}));

    // window reverse: [B*nW, ws*ws, C] -> [B, Hp, Wp, C]
    x = x.view({B, Hp / ws, Wp / ws, ws, ws, C})
            .permute({0, 1, 3, 2, 4, 5})
            .contiguous()
            .view({B, Hp, Wp, C});
    // crop the padding: [B, Hp, Wp, C] -> [B, H*W, C]
    if (padRight > 0 || padBottom > 0)
        x = x.slice(1, 0, H).slice(2, 0, W).contiguous();
    return x.view({B, H * W, C});
}

} // namespace fmw::florence2

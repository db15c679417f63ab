#include "engine/model/florence2/bart_attention.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

BartAttentionImpl::BartAttentionImpl(const BartAttentionOptions &o)
    : m_options(o)
    , m_headDim(o.embedDim / o.numHeads)
    , m_scaling(std::pow(static_cast<double>(m_headDim), -0.5))
{
    TORCH_CHECK(m_headDim * o.numHeads == o.embedDim, "embed_dim ", o.embedDim, " is not divisible by ",
        o.numHeads, " heads");
    k_proj = register_module("k_proj", LoraLinear(o.embedDim, o.embedDim));
    v_proj = register_module("v_proj", LoraLinear(o.embedDim, o.embedDim));
    q_proj = register_module("q_proj", LoraLinear(o.embedDim, o.embedDim));
    out_proj = register_module("out_proj", LoraLinear(o.embedDim, o.embedDim));
}

at::Tensor BartAttentionImpl::splitHeads(const at::Tensor &x) const
{
    return x.view({x.size(0), x.size(1), m_options.numHeads, m_headDim}).transpose(1, 2);
}

at::Tensor BartAttentionImpl::forward(const at::Tensor &hidden, const at::Tensor &keyValueStates,
    const at::Tensor &mask, KeyValueBuffer *cache, int64_t reserveTokens)
{
    const int64_t B = hidden.size(0), T = hidden.size(1);

    // query [B, heads, T, head_dim]; the head_dim^-0.5 scale is applied in attention()
    const at::Tensor query = splitHeads(linear(q_proj, hidden));

    at::Tensor keys, values;
    if (keyValueStates.defined() && cache && !cache->empty()) {
        // cross-attention: the encoder's keys/values from the first step
        keys = cache->keys();
        values = cache->values();
    } else if (keyValueStates.defined()) {
        // cross-attention: project the encoder output [B, S, D] -> [B, heads, S, head_dim]
        keys = splitHeads(linear(k_proj, keyValueStates));
        values = splitHeads(linear(v_proj, keyValueStates));
        if (cache)
            cache->assign(keys, values);
    } else {
        // self-attention: this call's tokens, after the cached ones when decoding step by step
        keys = splitHeads(linear(k_proj, hidden));
        values = splitHeads(linear(v_proj, hidden));
        if (cache) {
            cache->append(keys, values, reserveTokens);
            keys = cache->keys();
            values = cache->values();
        }
    }

    const int64_t Bk = keys.size(0);
    if (Bk != B) {
        // cross-attention whose encoder rows each serve G consecutive rows (the beams of a
        // sample): their queries attend together, [Bk, heads, G*T, head_dim], so the shared
        // keys/values are computed, cached and read once
        TORCH_CHECK(B % Bk == 0, B, " decoder rows cannot share ", Bk, " encoder rows");
        const int64_t G = B / Bk, H = m_options.numHeads;
        const at::Tensor grouped = query.reshape({Bk, G, H, T, m_headDim}).permute({0, 2, 1, 3, 4}).reshape(
            {Bk, H, G * T, m_headDim});
        const at::Tensor out = attention(grouped, keys, values, mask, m_scaling, m_options.dropout, is_training());
        // [Bk, heads, G*T, head_dim] -> [B, T, D]
        return linear(out_proj,
            out.reshape({Bk, H, G, T, m_headDim}).permute({0, 2, 3, 1, 4}).reshape({B, T, m_options.embedDim}));
    }

    // softmax(q k^T * scale + mask) v: [B, heads, T, head_dim]
    at::Tensor out = attention(query, keys, values, mask, m_scaling, m_options.dropout, is_training());
    // [B, heads, T, head_dim] -> [B, T, D]
    out = out.transpose(1, 2).reshape({B, T, m_options.embedDim});
    return linear(out_proj, out);
}

} // namespace fmw::florence2

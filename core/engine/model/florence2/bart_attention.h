#pragma once
// Multi-head attention of the BART language model (Florence2Attention in the reference):
// q_proj scaled by head_dim^-0.5, k_proj, v_proj, out_proj, all with bias. Self-attention
// reads keys/values from its input; cross-attention from the encoder output.

#include "engine/model/florence2/key_value_buffer.h"
#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct BartAttentionOptions {
    int64_t embedDim = 0;
    int64_t numHeads = 1;
    double dropout = 0.0; // on the attention weights, training only
};

class BartAttentionImpl : public torch::nn::Module {
public:
    explicit BartAttentionImpl(const BartAttentionOptions &options);

    // hidden [B, T, D] -> [B, T, D].
    // keyValueStates: undefined for self-attention, the encoder output [B, S, D] for
    //   cross-attention; or [B/G, S, D], each row then shared by G consecutive rows of hidden
    //   (beam search), with mask [B/G, 1, 1, S].
    // mask: additive, broadcastable to [B, 1, T, S] (see additiveMask), or undefined.
    // cache: self-attention appends this call's keys/values and attends over all of them;
    //   cross-attention fills it on first use and then reuses it.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &keyValueStates = {},
        const at::Tensor &mask = {}, KeyValueBuffer *cache = nullptr, int64_t reserveTokens = 0);

    LoraLinear k_proj {nullptr};
    LoraLinear v_proj {nullptr};
    LoraLinear q_proj {nullptr};
    LoraLinear out_proj {nullptr};

private:
    // [B, L, D] -> [B, heads, L, head_dim]
    at::Tensor splitHeads(const at::Tensor &x) const;

    BartAttentionOptions m_options;
    int64_t m_headDim = 0;
    double m_scaling = 1.0;
};

TORCH_MODULE(BartAttention);

} // namespace fmw::florence2

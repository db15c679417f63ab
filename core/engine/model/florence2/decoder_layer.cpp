#include "engine/model/florence2/decoder_layer.h"
#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

DecoderLayerImpl::DecoderLayerImpl(const TextConfig &c)
    : m_dropout(c.dropout)
    , m_activationDropout(c.activationDropout)
    , m_activation(activationFromName(c.activationFunction))
{
    const auto norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dModel})); };
    const BartAttentionOptions attention {c.dModel, c.decoderAttentionHeads, c.attentionDropout};
    self_attn = register_module("self_attn", BartAttention(attention));
    self_attn_layer_norm = register_module("self_attn_layer_norm", norm());
    encoder_attn = register_module("encoder_attn", BartAttention(attention));
    encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", norm());
    fc1 = register_module("fc1", LoraLinear(c.dModel, c.decoderFfnDim));
    fc2 = register_module("fc2", LoraLinear(c.decoderFfnDim, c.dModel));
    final_layer_norm = register_module("final_layer_norm", norm());
}

at::Tensor DecoderLayerImpl::forward(const at::Tensor &input, const at::Tensor &encoderHidden,
    const at::Tensor &selfMask, const at::Tensor &crossMask, KeyValueBuffer *selfCache,
    KeyValueBuffer *crossCache, int64_t reserveTokens)
{
    const bool training = is_training();

    // causal self-attention block, post-LN
    at::Tensor residual = input;
    at::Tensor h = self_attn(input, at::Tensor(), selfMask, selfCache, reserveTokens);
    h = trainingDropout(h, m_dropout, training);
    h = layerNorm(self_attn_layer_norm, residual + h);

    // cross-attention over the encoder output, post-LN
    residual = h;
    h = encoder_attn(h, encoderHidden, crossMask, crossCache);
    h = trainingDropout(h, m_dropout, training);
    h = layerNorm(encoder_attn_layer_norm, residual + h);

    // feed-forward block, post-LN
    residual = h;
    h = linearActivate(fc1, h, m_activation);
    h = trainingDropout(h, m_activationDropout, training);
    h = linear(fc2, h);
    h = trainingDropout(h, m_dropout, training);
    return layerNorm(final_layer_norm, residual + h);
}

} // namespace fmw::florence2

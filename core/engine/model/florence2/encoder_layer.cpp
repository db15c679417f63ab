#include "engine/model/florence2/encoder_layer.h"
#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

EncoderLayerImpl::EncoderLayerImpl(const TextConfig &c)
    : m_dropout(c.dropout)
    , m_activationDropout(c.activationDropout)
    , m_activation(activationFromName(c.activationFunction))
{
    const auto norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dModel})); };
    self_attn = register_module("self_attn",
        BartAttention(BartAttentionOptions {c.dModel, c.encoderAttentionHeads, c.attentionDropout}));
    self_attn_layer_norm = register_module("self_attn_layer_norm", norm());
    fc1 = register_module("fc1", LoraLinear(c.dModel, c.encoderFfnDim));
    fc2 = register_module("fc2", LoraLinear(c.encoderFfnDim, c.dModel));
    final_layer_norm = register_module("final_layer_norm", norm());
}

at::Tensor EncoderLayerImpl::forward(const at::Tensor &input, const at::Tensor &mask)
{
    const bool training = is_training();

    // self-attention block, post-LN
    at::Tensor residual = input;
    at::Tensor h = self_attn(input, at::Tensor(), mask);
    h = trainingDropout(h, m_dropout, training);
    h = layerNorm(self_attn_layer_norm, residual + h);

    // feed-forward block, post-LN
    residual = h;
    h = linearActivate(fc1, h, m_activation);
    h = trainingDropout(h, m_activationDropout, training);
    h = fc2(h);
    h = trainingDropout(h, m_dropout, training);
    h = layerNorm(final_layer_norm, residual + h);

    // fp16 overflow guard of the reference
    if (h.scalar_type() == at::kHalf
        && (at::isinf(h).any().item<bool>() || at::isnan(h).any().item<bool>())) {
        const double limit = 65504.0 - 1000.0;
        h = at::clamp(h, -limit, limit);
    }
    return h;
}

} // namespace fmw::florence2

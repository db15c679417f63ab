#pragma once
// One post-LN BART decoder layer (Florence2DecoderLayer in the reference): causal
// self-attention, cross-attention over the encoder output, feed-forward; each followed by a
// residual and a LayerNorm. Dropouts in training only.

#include "engine/model/florence2/bart_attention.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/functional.h"
#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

class DecoderLayerImpl : public torch::nn::Module {
public:
    explicit DecoderLayerImpl(const TextConfig &config);

    // hidden [B, T, D], encoderHidden [B, S, D] -> [B, T, D].
    // selfMask additive [B, 1, T, past+T] (undefined: attend to everything, e.g. one new
    // token), crossMask additive [B, 1, T, S] or undefined. With cache buffers the new
    // self-attention keys/values are appended and the cross ones computed once.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &encoderHidden, const at::Tensor &selfMask,
        const at::Tensor &crossMask, KeyValueBuffer *selfCache = nullptr,
        KeyValueBuffer *crossCache = nullptr, int64_t reserveTokens = 0);

    BartAttention self_attn {nullptr};
    torch::nn::LayerNorm self_attn_layer_norm {nullptr};
    BartAttention encoder_attn {nullptr};
    torch::nn::LayerNorm encoder_attn_layer_norm {nullptr};
    LoraLinear fc1 {nullptr};
    LoraLinear fc2 {nullptr};
    torch::nn::LayerNorm final_layer_norm {nullptr};

private:
    double m_dropout = 0.0;
    double m_activationDropout = 0.0;
    Activation m_activation = Activation::Gelu;
};

TORCH_MODULE(DecoderLayer);

} // namespace fmw::florence2

#pragma once
// One post-LN BART encoder layer (Florence2EncoderLayer in the reference): self-attention,
// residual, LayerNorm; fc1, activation, fc2, residual, LayerNorm. Dropouts in training only.

#include "engine/model/florence2/bart_attention.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/functional.h"
#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

class EncoderLayerImpl : public torch::nn::Module {
public:
    explicit EncoderLayerImpl(const TextConfig &config);

    // hidden [B, S, D] -> [B, S, D]; mask additive [B, 1, S, S] or undefined.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask = {});

    BartAttention self_attn {nullptr};
    torch::nn::LayerNorm self_attn_layer_norm {nullptr};
    LoraLinear fc1 {nullptr};
    LoraLinear fc2 {nullptr};
    torch::nn::LayerNorm final_layer_norm {nullptr};

private:
    double m_dropout = 0.0;
    double m_activationDropout = 0.0;
    Activation m_activation = Activation::Gelu;
};

TORCH_MODULE(EncoderLayer);

} // namespace fmw::florence2

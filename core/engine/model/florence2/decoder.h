#pragma once
// The BART decoder (Florence2Decoder in the reference): token embedding from the shared
// table, learned positions (offset 2, continuing after the cached tokens),
// layernorm_embedding, post-LN layers with causal self-attention and cross-attention.

#include "engine/model/florence2/decoder_cache.h"
#include "engine/model/florence2/decoder_layer.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/learned_positional_embedding.h"
#include "engine/model/florence2/tensor_callback.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace fmw::florence2 {

class DecoderImpl : public torch::nn::Module {
public:
    DecoderImpl(const TextConfig &config, torch::nn::Embedding sharedTokens);

    // inputIds [B, T] (the new tokens only when `cache` holds earlier ones) -> last hidden
    // state [B, T, D].
    // encoderHidden [B, S, D]: the encoder output (its keys/values come from `cache` after the
    //   first cached step); or [B/G, S, D], each row serving G consecutive decoder rows.
    // encoderMask [B or B/G, S] (1 = attend) or undefined: applied to cross-attention.
    // decoderMask [B, past+T] (1 = attend) or undefined: combined with the causal mask.
    // Reports decoder_hidden_states.<i> (0 = embeddings after layernorm_embedding).
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &encoderHidden,
        const at::Tensor &encoderMask = {}, const at::Tensor &decoderMask = {}, DecoderCache *cache = nullptr,
        const TensorCallback &callback = {});

    LearnedPositionalEmbedding embed_positions {nullptr};
    torch::nn::ModuleList layers {nullptr};
    torch::nn::LayerNorm layernorm_embedding {nullptr};

private:
    torch::nn::Embedding m_embedTokens {nullptr}; // the shared table, not registered here
    std::vector<DecoderLayer> m_layers;
    double m_embedScale = 1.0;
    double m_dropout = 0.0;
    double m_layerdrop = 0.0;
    int64_t m_paddingIdx = 1;
};

TORCH_MODULE(Decoder);

} // namespace fmw::florence2

#pragma once
// The BART encoder (Florence2Encoder in the reference), run on merged image + prompt
// embeddings: learned positions (offset 2) added to every token, image tokens included, then
// layernorm_embedding and the post-LN layers. Its token embedding is the model's shared
// table (`embed_tokens` in checkpoints), held here but owned by LanguageModel.

#include "engine/model/florence2/encoder_layer.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/learned_positional_embedding.h"
#include "engine/model/florence2/tensor_callback.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace fmw::florence2 {

class EncoderImpl : public torch::nn::Module {
public:
    EncoderImpl(const TextConfig &config, torch::nn::Embedding sharedTokens);

    // inputsEmbeds [B, S, D] -> last hidden state [B, S, D]. attentionMask [B, S] (1 = attend)
    // or undefined (attend to all). Reports encoder_hidden_states.<i> (0 = embeddings after
    // layernorm_embedding, i = after layer i).
    at::Tensor forward(const at::Tensor &inputsEmbeds, const at::Tensor &attentionMask = {},
        const TensorCallback &callback = {});

    // shared(ids) * embed_scale; <pad> rows get no gradient from the lookup.
    at::Tensor embedTokens(const at::Tensor &inputIds) const;

    LearnedPositionalEmbedding embed_positions {nullptr};
    torch::nn::ModuleList layers {nullptr};
    torch::nn::LayerNorm layernorm_embedding {nullptr};

private:
    torch::nn::Embedding m_embedTokens {nullptr}; // the shared table, not registered here
    std::vector<EncoderLayer> m_layers;
    double m_embedScale = 1.0;
    double m_dropout = 0.0;
    double m_layerdrop = 0.0;
    int64_t m_paddingIdx = 1;
};

TORCH_MODULE(Encoder);

} // namespace fmw::florence2

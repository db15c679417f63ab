#include "engine/model/florence2/encoder.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

EncoderImpl::EncoderImpl(const TextConfig &c, torch::nn::Embedding sharedTokens)
    : m_embedTokens(std::move(sharedTokens))
    , m_embedScale(c.scaleEmbedding ? std::sqrt(static_cast<double>(c.dModel)) : 1.0)
    , m_dropout(c.dropout)
    , m_layerdrop(c.encoderLayerdrop)
    , m_paddingIdx(c.padTokenId)
{
    embed_positions = register_module("embed_positions",
        LearnedPositionalEmbedding(LearnedPositionalEmbeddingOptions {c.maxPositionEmbeddings, c.dModel}));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.encoderLayers; ++i) {
        EncoderLayer layer(c);
        layers->push_back(layer);
        m_layers.push_back(layer);
    }
    layernorm_embedding = register_module(
        "layernorm_embedding", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dModel})));
}

at::Tensor EncoderImpl::embedTokens(const at::Tensor &inputIds) const
{
    const at::Tensor e = at::embedding(m_embedTokens->weight, inputIds, m_paddingIdx);
    return m_embedScale == 1.0 ? e : e * m_embedScale;
}

at::Tensor EncoderImpl::forward(
    const at::Tensor &inputsEmbeds, const at::Tensor &attentionMask, const TensorCallback &callback)
{
    const bool training = is_training();
    const int64_t S = inputsEmbeds.size(1);

    // token embeddings + positions 0..S-1 (+2), then layernorm_embedding
    at::Tensor h = inputsEmbeds + embed_positions(S).to(inputsEmbeds.scalar_type());
    h = layerNorm(layernorm_embedding, h);
    h = trainingDropout(h, m_dropout, training);

    // padding mask [B, S] -> additive [B, 1, S, S]
    at::Tensor mask;
    if (attentionMask.defined()) {
        const at::Tensor allowed = attentionMask.to(at::kBool)
                                       .view({attentionMask.size(0), 1, 1, S})
                                       .expand({attentionMask.size(0), 1, S, S});
        mask = additiveMask(allowed, h.scalar_type());
    }

    report(callback, "encoder_hidden_states.0", h);
    for (size_t i = 0; i < m_layers.size(); ++i) {
        // LayerDrop: skip the whole layer in training with probability encoder_layerdrop
        if (!layerDropped(m_layerdrop, training))
            h = m_layers[i](h, mask);
        report(callback, "encoder_hidden_states." + std::to_string(i + 1), h);
    }
    return h;
}

} // namespace fmw::florence2

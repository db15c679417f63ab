#include "engine/model/florence2/decoder.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

DecoderImpl::DecoderImpl(const TextConfig &c, torch::nn::Embedding sharedTokens)
    : m_embedTokens(std::move(sharedTokens))
    , m_embedScale(c.scaleEmbedding ? std::sqrt(static_cast<double>(c.dModel)) : 1.0)
    , m_dropout(c.dropout)
    , m_layerdrop(c.decoderLayerdrop)
    , m_paddingIdx(c.padTokenId)
{
    embed_positions = register_module("embed_positions",
        LearnedPositionalEmbedding(LearnedPositionalEmbeddingOptions {c.maxPositionEmbeddings, c.dModel}));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.decoderLayers; ++i) {
        DecoderLayer layer(c);
        layers->push_back(layer);
        m_layers.push_back(layer);
    }
    layernorm_embedding = register_module(
        "layernorm_embedding", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dModel})));
}

at::Tensor DecoderImpl::forward(const at::Tensor &inputIds, const at::Tensor &encoderHidden,
    const at::Tensor &encoderMask, const at::Tensor &decoderMask, DecoderCache *cache,
    const TensorCallback &callback)
{
    const bool training = is_training();
    const int64_t B = inputIds.size(0), T = inputIds.size(1), S = encoderHidden.size(1);
    const int64_t Be = encoderHidden.size(0);
    TORCH_CHECK(Be > 0 && B % Be == 0, B, " decoder rows cannot share ", Be, " encoder rows");
    if (cache)
        cache->ensureLayers(static_cast<int64_t>(m_layers.size()));
    const int64_t past = cache ? cache->length() : 0;
    const auto dtype = encoderHidden.scalar_type();
    const auto device = encoderHidden.device();

    // token embeddings (<pad> rows get no gradient) + positions past..past+T-1 (+2)
    at::Tensor h = at::embedding(m_embedTokens->weight, inputIds, m_paddingIdx);
    if (m_embedScale != 1.0)
        h = h * m_embedScale;
    h = h + embed_positions(T, past).to(h.scalar_type());
    h = layerNorm(layernorm_embedding, h);
    h = trainingDropout(h, m_dropout, training);

    // causal self-attention mask [1 or B, 1, T, past+T]: query i sees keys up to past+i
    at::Tensor selfMask;
    if (T > 1 || decoderMask.defined()) {
        const auto longs = at::TensorOptions(device).dtype(at::kLong);
        const at::Tensor query = at::arange(past, past + T, longs).view({T, 1});
        const at::Tensor key = at::arange(0, past + T, longs).view({1, past + T});
        at::Tensor allowed = key.le(query).view({1, 1, T, past + T});
        if (decoderMask.defined())
            allowed = allowed.logical_and(decoderMask.to(device).to(at::kBool).view({B, 1, 1, past + T}));
        selfMask = additiveMask(allowed, dtype);
    }
    // encoder padding mask [Be, S] -> additive [Be, 1, 1, S], broadcast over heads and queries
    at::Tensor crossMask;
    if (encoderMask.defined())
        crossMask = additiveMask(encoderMask.to(device).to(at::kBool).view({Be, 1, 1, S}), dtype);

    report(callback, "decoder_hidden_states.0", h);
    const int64_t reserve = cache ? cache->reserveTokens() : 0;
    for (size_t i = 0; i < m_layers.size(); ++i) {
        // LayerDrop (training only, so never with a cache)
        if (!layerDropped(m_layerdrop, training)) {
            KeyValueBuffer *selfCache = cache ? &cache->selfAttention(static_cast<int64_t>(i)) : nullptr;
            KeyValueBuffer *crossCache = cache ? &cache->crossAttention(static_cast<int64_t>(i)) : nullptr;
            h = m_layers[i](h, encoderHidden, selfMask, crossMask, selfCache, crossCache, reserve);
        }
        report(callback, "decoder_hidden_states." + std::to_string(i + 1), h);
    }
    return h;
}

} // namespace fmw::florence2

#pragma once
// Decoder state carried between generation steps (the reference's past_key_values): per
// decoder layer the self-attention keys/values of every token decoded so far and the
// cross-attention keys/values of the encoder output.
//
// Use (greedy; beam search adds reorder()):
//
//     auto enc = model->encode(pixelValues, inputIds);              // once per batch
//     DecoderCache cache(model->config().text.decoderLayers, 1 + maxNewTokens);
//     at::Tensor next = at::full({B, 1}, decoderStartTokenId, at::kLong);
//     for (int step = 0; step < maxNewTokens; ++step) {
//         at::Tensor logits = model->decode(next, enc, &cache);    // [B, 1, V]
//         next = logits.select(1, -1).argmax(-1, true);            // positions follow cache.length()
//     }
//
// - Each decode() call feeds only the new tokens: positions start at length(), the new
//   self-attention keys/values are appended, and the cross-attention keys/values are
//   computed on the first call and reused (clear() before decoding another encoder output).
// - Buffers are reserved for `reserveTokens` positions and double when exceeded, so steps do
//   not reallocate. Use under torch::NoGradGuard or InferenceMode (the cache is for decoding,
//   not training).
// - Rows stay aligned with the encoder output's rows; finished sequences keep decoding (e.g.
//   <pad>) or are dropped from both with reorder(rows, true).

#include "engine/model/florence2/key_value_buffer.h"

#include <cstdint>
#include <vector>

namespace fmw::florence2 {

class DecoderCache {
public:
    explicit DecoderCache(int64_t numLayers = 0, int64_t reserveTokens = 0);

    int64_t numLayers() const { return static_cast<int64_t>(m_self.size()); }
    // Sized on the first decode() when constructed without layers.
    void ensureLayers(int64_t numLayers);
    int64_t reserveTokens() const { return m_reserve; }

    // Tokens decoded so far (= the position of the next token).
    int64_t length() const { return m_self.empty() ? 0 : m_self.front().length(); }
    bool empty() const { return length() == 0; }
    // Batch rows held (0 before the first decode()).
    int64_t batchSize() const;

    KeyValueBuffer &selfAttention(int64_t layer) { return m_self.at(static_cast<size_t>(layer)); }
    KeyValueBuffer &crossAttention(int64_t layer) { return m_cross.at(static_cast<size_t>(layer)); }

    // Keeps batch rows `rows` (int64 [B']) in that order. Beam search reorders the
    // self-attention state only (the beams of a sample share its cross-attention keys and
    // values, as in the reference's _reorder_cache); crossAttentionToo also reorders those,
    // for dropping or duplicating samples (their rows are the encoder output's: one per
    // sample when beams share it).
    void reorder(const at::Tensor &rows, bool crossAttentionToo = false);
    void clear();

private:
    std::vector<KeyValueBuffer> m_self;
    std::vector<KeyValueBuffer> m_cross;
    int64_t m_reserve = 0;
};

} // namespace fmw::florence2

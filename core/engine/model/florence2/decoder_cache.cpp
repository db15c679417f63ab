#include "engine/model/florence2/decoder_cache.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

DecoderCache::DecoderCache(int64_t numLayers, int64_t reserveTokens)
    : m_reserve(reserveTokens)
{
    ensureLayers(numLayers);
}

void DecoderCache::ensureLayers(int64_t numLayers)
{
    if (numLayers > this->numLayers()) {
        m_self.resize(static_cast<size_t>(numLayers));
        m_cross.resize(static_cast<size_t>(numLayers));
    }
}

int64_t DecoderCache::batchSize() const
{
    if (m_self.empty() || m_self.front().empty())
        return 0;
    return m_self.front().keys().size(0);
}

void DecoderCache::reorder(const at::Tensor &rows, bool crossAttentionToo)
{
    // beams that all kept their own row: the self-attention caches stay (12 gathers a step)
    const bool identity = rows.device().is_cpu() && rows.dim() == 1 && rows.size(0) == batchSize()
        && at::equal(rows.to(at::kLong), at::arange(rows.size(0), at::kLong));
    if (!identity) {
        for (KeyValueBuffer &b : m_self)
            b.reorder(rows);
    }
    if (crossAttentionToo) {
        for (KeyValueBuffer &b : m_cross)
            b.reorder(rows);
    }
}

void DecoderCache::clear()
{
    for (KeyValueBuffer &b : m_self)
        b.clear();
    for (KeyValueBuffer &b : m_cross)
        b.clear();
}

} // namespace fmw::florence2

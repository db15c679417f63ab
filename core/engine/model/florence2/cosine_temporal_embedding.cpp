#include "engine/model/florence2/cosine_temporal_embedding.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

CosineTemporalEmbeddingImpl::CosineTemporalEmbeddingImpl(const CosineTemporalEmbeddingOptions &o)
{
    // Same float32 steps as the reference, so a freshly built table equals the stored one.
    const at::Tensor denominator
        = at::exp(at::arange(0, o.embedDim, 2, at::kLong).mul(-std::log(10000.0)).div(o.embedDim));
    // [T, 1] * [C/2] -> [T, C/2]
    const at::Tensor frequencies
        = at::arange(0, o.maxSeqLen, at::kLong).reshape({o.maxSeqLen, 1}) * denominator;
    at::Tensor table = at::zeros({o.maxSeqLen, o.embedDim}, at::kFloat);
    table.slice(1, 0, o.embedDim, 2).copy_(at::sin(frequencies));
    table.slice(1, 1, o.embedDim, 2).copy_(at::cos(frequencies));
    pos_idx_to_embed = register_buffer("pos_idx_to_embed", table);
}

at::Tensor CosineTemporalEmbeddingImpl::forward(int64_t frames)
{
    TORCH_CHECK(frames <= pos_idx_to_embed.size(0), frames, " frames but the temporal table has ",
        pos_idx_to_embed.size(0), " rows");
    return pos_idx_to_embed.slice(0, 0, frames);
}

} // namespace fmw::florence2

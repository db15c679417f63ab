#include "engine/model/florence2/learned_positional_embedding.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

LearnedPositionalEmbeddingImpl::LearnedPositionalEmbeddingImpl(const LearnedPositionalEmbeddingOptions &o)
{
    weight = register_parameter("weight", at::randn({o.numEmbeddings + kOffset, o.embeddingDim}));
}

at::Tensor LearnedPositionalEmbeddingImpl::forward(int64_t length, int64_t past)
{
    const int64_t maxPositions = weight.size(0) - kOffset;
    TORCH_CHECK(past + length <= maxPositions, "sequence of ", past + length,
        " tokens exceeds max_position_embeddings ", maxPositions);
    const at::Tensor positions = at::arange(
        past + kOffset, past + length + kOffset, at::TensorOptions(weight.device()).dtype(at::kLong));
    return at::embedding(weight, positions);
}

} // namespace fmw::florence2

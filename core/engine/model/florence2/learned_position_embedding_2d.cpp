#include "engine/model/florence2/learned_position_embedding_2d.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

LearnedPositionEmbedding2DImpl::LearnedPositionEmbedding2DImpl(const LearnedPositionEmbedding2DOptions &o)
    : m_options(o)
{
    row_embeddings = register_module("row_embeddings", torch::nn::Embedding(o.numPos, o.embeddingDim / 2));
    column_embeddings = register_module(
        "column_embeddings", torch::nn::Embedding(o.numPos, o.embeddingDim - o.embeddingDim / 2));
}

at::Tensor LearnedPositionEmbedding2DImpl::forward(const at::Tensor &x)
{
    TORCH_CHECK(x.dim() == 4, "LearnedPositionEmbedding2D expects [B, h, w, C], got ", x.sizes());
    const int64_t h = x.size(1), w = x.size(2);
    TORCH_CHECK(h <= m_options.numPos && w <= m_options.numPos, "the image feature map is ", h, "x", w,
        " but the position table has ", m_options.numPos,
        " rows; use an image size of at most max_pos_embeddings * 32 pixels");
    const auto device = row_embeddings->weight.device();
    // column table [w, C - C/2] and row table [h, C/2]
    const at::Tensor xEmb = column_embeddings(at::arange(w, at::TensorOptions(device).dtype(at::kLong)));
    const at::Tensor yEmb = row_embeddings(at::arange(h, at::TensorOptions(device).dtype(at::kLong)));
    // [h, w, C]: columns vary along w, rows along h
    const at::Tensor pos = at::cat(
        {xEmb.unsqueeze(0).expand({h, w, xEmb.size(1)}), yEmb.unsqueeze(1).expand({h, w, yEmb.size(1)})}, -1);
    return pos.unsqueeze(0);
}

} // namespace fmw::florence2

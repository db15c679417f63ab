#pragma once
// The image tokens' 2-D learned position embedding (LearnedAbsolutePositionEmbedding2D in
// the reference): a column embedding fills channels [0, C - C/2), a row embedding the last
// C/2 channels.

#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct LearnedPositionEmbedding2DOptions {
    int64_t embeddingDim = 256;
    int64_t numPos = 50;
};

class LearnedPositionEmbedding2DImpl : public torch::nn::Module {
public:
    explicit LearnedPositionEmbedding2DImpl(const LearnedPositionEmbedding2DOptions &options);

    // x [B, h, w, C] -> position embedding [1, h, w, C] (broadcasts over the batch)
    at::Tensor forward(const at::Tensor &x);

    torch::nn::Embedding row_embeddings {nullptr};
    torch::nn::Embedding column_embeddings {nullptr};

private:
    LearnedPositionEmbedding2DOptions m_options;
};

TORCH_MODULE(LearnedPositionEmbedding2D);

} // namespace fmw::florence2

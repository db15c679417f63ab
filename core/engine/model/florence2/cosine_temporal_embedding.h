#pragma once
// The image tokens' temporal embedding (PositionalEmbeddingCosine1D in the reference): a
// fixed sinusoid table, row t = [sin(t w0), cos(t w0), sin(t w1), ...] with
// w_j = exp(-ln(10000) 2j / C), kept as the buffer `pos_idx_to_embed` (checkpoints carry it).

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct CosineTemporalEmbeddingOptions {
    int64_t embedDim = 512;
    int64_t maxSeqLen = 1024;
};

class CosineTemporalEmbeddingImpl : public torch::nn::Module {
public:
    explicit CosineTemporalEmbeddingImpl(const CosineTemporalEmbeddingOptions &options);

    // The first `frames` rows, [frames, C].
    at::Tensor forward(int64_t frames);

    at::Tensor pos_idx_to_embed; // [maxSeqLen, C]
};

TORCH_MODULE(CosineTemporalEmbedding);

} // namespace fmw::florence2

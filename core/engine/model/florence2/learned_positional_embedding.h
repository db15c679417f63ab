#pragma once
// BART's learned token positions (Florence2LearnedPositionalEmbedding in the reference): a
// table of max_position_embeddings + 2 rows read at position + 2 (the offset is a fairseq
// legacy that checkpoints keep).

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct LearnedPositionalEmbeddingOptions {
    int64_t numEmbeddings = 1024; // max_position_embeddings (the table has 2 more rows)
    int64_t embeddingDim = 1024;
};

class LearnedPositionalEmbeddingImpl : public torch::nn::Module {
public:
    static constexpr int64_t kOffset = 2;

    explicit LearnedPositionalEmbeddingImpl(const LearnedPositionalEmbeddingOptions &options);

    // Positions past .. past+length-1 -> [length, D] (broadcasts over the batch).
    at::Tensor forward(int64_t length, int64_t past = 0);

    at::Tensor weight; // [numEmbeddings + 2, D]
};

TORCH_MODULE(LearnedPositionalEmbedding);

} // namespace fmw::florence2

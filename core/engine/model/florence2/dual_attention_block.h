#pragma once
// One DaViT layer: a spatial block then a channel block (the reference's inner MySequential
// with children `spatial_block` and `channel_block`, keys `blocks.<stage>.<j>.spatial_block`).

#include "engine/model/florence2/channel_block.h"
#include "engine/model/florence2/spatial_block.h"

#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct DualAttentionBlockOptions {
    SpatialBlockOptions spatial;
    ChannelBlockOptions channel;
};

class DualAttentionBlockImpl : public torch::nn::Module {
public:
    explicit DualAttentionBlockImpl(const DualAttentionBlockOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size);

    SpatialBlock spatial_block {nullptr};
    ChannelBlock channel_block {nullptr};
};

TORCH_MODULE(DualAttentionBlock);

} // namespace fmw::florence2

#include "engine/model/florence2/dual_attention_block.h"

namespace fmw::florence2 {

DualAttentionBlockImpl::DualAttentionBlockImpl(const DualAttentionBlockOptions &o)
{
    spatial_block = register_module("spatial_block", SpatialBlock(o.spatial));
    channel_block = register_module("channel_block", ChannelBlock(o.channel));
}

at::Tensor DualAttentionBlockImpl::forward(const at::Tensor &x, MapSize &size)
{
    // window attention over tokens, then channel attention over channels
    return channel_block(spatial_block(x, size), size);
}

} // namespace fmw::florence2

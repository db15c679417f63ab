#pragma once
// DaViT's channel attention (ChannelAttention in the reference): num_groups heads, each
// attending over its channels instead of its tokens; the query is scaled by N^-0.5 where N is
// the number of tokens (not the head width).

#include "engine/model/florence2/lora_linear.h"
#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct ChannelAttentionOptions {
    int64_t dim = 0;
    int64_t groups = 1;
    bool qkvBias = true;
};

class ChannelAttentionImpl : public TokenMapModuleImpl {
public:
    explicit ChannelAttentionImpl(const ChannelAttentionOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size) override;

    LoraLinear qkv {nullptr};
    LoraLinear proj {nullptr};

private:
    ChannelAttentionOptions m_options;
};

TORCH_MODULE(ChannelAttention);

} // namespace fmw::florence2

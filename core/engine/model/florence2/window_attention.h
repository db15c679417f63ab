#pragma once
// DaViT's spatial attention (WindowAttention in the reference): multi-head self-attention
// inside non-overlapping window_size x window_size windows. The map is zero-padded on the
// right and bottom to a multiple of the window, attended without a mask (the padding zeros
// take part as keys), then cropped back.

#include "engine/model/florence2/lora_linear.h"
#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct WindowAttentionOptions {
    int64_t dim = 0;
    int64_t numHeads = 1;
    int64_t windowSize = 12;
    bool qkvBias = true;
};

class WindowAttentionImpl : public TokenMapModuleImpl {
public:
    explicit WindowAttentionImpl(const WindowAttentionOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size) override;

    LoraLinear qkv {nullptr};
    LoraLinear proj {nullptr};

private:
    WindowAttentionOptions m_options;
    double m_scale = 1.0; // head_dim^-0.5
};

TORCH_MODULE(WindowAttention);

} // namespace fmw::florence2

#pragma once
// DaViT's residual wrapper (PreNorm in the reference): x + drop_path(fn(norm(x))). The norm is
// absent for the depthwise position convolutions (`conv1.fn.dw`), present for attention and
// MLP (`window_attn.norm`, `window_attn.fn.qkv`, `ffn.fn.net.fc1`).

#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <memory>

namespace fmw::florence2 {

struct PreNormOptions {
    int64_t normDim = 0; // LayerNorm width; 0 = no norm
    double dropPath = 0.0; // stochastic depth rate of this residual branch
};

class PreNormImpl : public TokenMapModuleImpl {
public:
    PreNormImpl(std::shared_ptr<TokenMapModuleImpl> fn, const PreNormOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size) override;

    torch::nn::LayerNorm norm {nullptr};
    std::shared_ptr<TokenMapModuleImpl> fn;

private:
    PreNormOptions m_options;
};

TORCH_MODULE(PreNorm);

} // namespace fmw::florence2

#pragma once
// The interface of DaViT's sub-layers: tokens of a feature map, x [B, H*W, C], with the map's
// size (H, W). The reference passes (x, size) tuples between them; PreNorm wraps any of them.

#include <torch/nn/module.h>

#include <cstdint>

namespace fmw::florence2 {

struct MapSize {
    int64_t height = 0;
    int64_t width = 0;
};

class TokenMapModuleImpl : public torch::nn::Module {
public:
    // Returns the new tokens; updates `size` when the layer changes the map's size.
    virtual at::Tensor forward(const at::Tensor &x, MapSize &size) = 0;
};

} // namespace fmw::florence2

#pragma once
// DaViT's feed-forward network (Mlp in the reference): fc1, GELU (erf), fc2, held in a
// Sequential named `net` so the checkpoint keys read `ffn.fn.net.fc1.weight`.

#include "engine/model/florence2/lora_linear.h"
#include "engine/model/florence2/token_map_module.h"

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

struct MlpOptions {
    int64_t inFeatures = 0;
    int64_t hiddenFeatures = 0;
};

class MlpImpl : public TokenMapModuleImpl {
public:
    explicit MlpImpl(const MlpOptions &options);

    at::Tensor forward(const at::Tensor &x, MapSize &size) override;

    torch::nn::Sequential net {nullptr};

private:
    // net's layers, typed, for the fused bias + GELU path
    LoraLinear m_fc1 {nullptr}, m_fc2 {nullptr};
};

TORCH_MODULE(Mlp);

} // namespace fmw::florence2

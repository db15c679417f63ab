#include "engine/model/florence2/mlp.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace fmw::florence2 {

MlpImpl::MlpImpl(const MlpOptions &o)
{
    net = register_module("net",
        torch::nn::Sequential({
            {"fc1", torch::nn::Linear(o.inFeatures, o.hiddenFeatures)},
            {"act", torch::nn::GELU()},
            {"fc2", torch::nn::Linear(o.hiddenFeatures, o.inFeatures)},
        }));
}

at::Tensor MlpImpl::forward(const at::Tensor &x, MapSize &)
{
    // fc1 -> GELU -> fc2 on every token
    return net->forward(x);
}

} // namespace fmw::florence2

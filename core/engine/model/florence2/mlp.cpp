#include "engine/model/florence2/mlp.h"

#include "engine/model/florence2/functional.h"

#include <torch/nn/modules/activation.h>

namespace fmw::florence2 {

MlpImpl::MlpImpl(const MlpOptions &o)
    : m_fc1(o.inFeatures, o.hiddenFeatures)
    , m_fc2(o.hiddenFeatures, o.inFeatures)
{
    net = register_module("net",
        torch::nn::Sequential({
            {"fc1", m_fc1},
            {"act", torch::nn::GELU()},
            {"fc2", m_fc2},
        }));
}

at::Tensor MlpImpl::forward(const at::Tensor &x, MapSize &)
{
    // fc1 -> GELU (erf) -> fc2 on every token
    return linear(m_fc2, linearActivate(m_fc1, x, Activation::Gelu));
}

} // namespace fmw::florence2

#include "engine/model/florence2/pre_norm.h"

#include "engine/model/florence2/functional.h"

namespace fmw::florence2 {

PreNormImpl::PreNormImpl(std::shared_ptr<TokenMapModuleImpl> fnModule, const PreNormOptions &options)
    : m_options(options)
{
    if (options.normDim > 0)
        norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.normDim})));
    fn = register_module("fn", std::move(fnModule));
}

at::Tensor PreNormImpl::forward(const at::Tensor &x, MapSize &size)
{
    // norm (when present), sub-layer, stochastic depth, residual
    at::Tensor y = norm ? layerNorm(norm, x) : x;
    y = fn->forward(y, size);
    y = dropPath(y, m_options.dropPath, is_training());
    return x + y;
}

} // namespace fmw::florence2

#include "engine/model/florence2/language_for_conditional_generation.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

LanguageForConditionalGenerationImpl::LanguageForConditionalGenerationImpl(const TextConfig &c)
{
    model = register_module("model", LanguageModel(c));
    final_logits_bias = register_buffer("final_logits_bias", at::zeros({1, c.vocabSize}));
}

at::Tensor LanguageForConditionalGenerationImpl::lmHead(const at::Tensor &decoderHidden) const
{
    // tied lm_head (no bias of its own) + final_logits_bias
    return linear(decoderHidden, model->shared->weight, final_logits_bias[0].to(decoderHidden.scalar_type()));
}

std::vector<int64_t> LanguageForConditionalGenerationImpl::nextTokens(
    const at::Tensor &decoderHidden, const std::vector<std::vector<int64_t>> &excluded) const
{
    const at::Tensor &weight = model->shared->weight;
    const at::Tensor bias = final_logits_bias[0].to(decoderHidden.scalar_type());
    if (!ScreenedArgmax::applies(decoderHidden, weight, bias))
        return {};
    return m_screen->argmax(decoderHidden, weight, bias, excluded);
}

} // namespace fmw::florence2

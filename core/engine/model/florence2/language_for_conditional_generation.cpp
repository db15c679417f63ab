#include "engine/model/florence2/language_for_conditional_generation.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

LanguageForConditionalGenerationImpl::LanguageForConditionalGenerationImpl(const TextConfig &c)
{
    model = register_module("model", LanguageModel(c));
    lm_head = register_module("lm_head",
        LoraLinear(LoraLinearOptions(c.dModel, c.vocabSize).bias(false).tiedWeight(model->shared->weight)));
    final_logits_bias = register_buffer("final_logits_bias", at::zeros({1, c.vocabSize}));
}

at::Tensor LanguageForConditionalGenerationImpl::lmHead(const at::Tensor &decoderHidden) const
{
    // tied lm_head (no bias of its own) + final_logits_bias (+ its adapter's term)
    const at::Tensor logits
        = linear(decoderHidden, model->shared->weight, final_logits_bias[0].to(decoderHidden.scalar_type()));
    return lm_head->loraActive() ? logits + lm_head.ptr()->loraUpdate(decoderHidden) : logits;
}

std::vector<int64_t> LanguageForConditionalGenerationImpl::nextTokens(
    const at::Tensor &decoderHidden, const std::vector<std::vector<int64_t>> &excluded) const
{
    if (lm_head->loraActive())
        return {}; // the screen knows the base weight only
    const at::Tensor &weight = model->shared->weight;
    const at::Tensor bias = final_logits_bias[0].to(decoderHidden.scalar_type());
    if (!ScreenedArgmax::applies(decoderHidden, weight, bias))
        return {};
    return m_screen->argmax(decoderHidden, weight, bias, excluded);
}

} // namespace fmw::florence2

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

} // namespace fmw::florence2

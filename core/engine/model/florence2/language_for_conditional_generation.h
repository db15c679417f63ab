#pragma once
// BART with its language-modelling head (Florence2LanguageForConditionalGeneration in the
// reference, checkpoint prefix `language_model.`): logits = h @ shared^T + final_logits_bias.
// lm_head is tied to `model.shared` (the same Parameter, registered once).

#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/language_model.h"

#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

class LanguageForConditionalGenerationImpl : public torch::nn::Module {
public:
    explicit LanguageForConditionalGenerationImpl(const TextConfig &config);

    // decoder hidden [B, T, D] -> logits [B, T, V]
    at::Tensor lmHead(const at::Tensor &decoderHidden) const;

    LanguageModel model {nullptr};
    at::Tensor final_logits_bias; // buffer [1, V]
};

TORCH_MODULE(LanguageForConditionalGeneration);

} // namespace fmw::florence2

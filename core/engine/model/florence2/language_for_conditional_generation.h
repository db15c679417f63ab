#pragma once
// BART with its language-modelling head (Florence2LanguageForConditionalGeneration in the
// reference, checkpoint prefix `language_model.`): logits = h @ shared^T + final_logits_bias.
// lm_head is tied to `model.shared` (the same Parameter, registered once).

#include "engine/model/florence2/decoding_kernels.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/language_model.h"
#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/pimpl.h>

#include <memory>
#include <vector>

namespace fmw::florence2 {

class LanguageForConditionalGenerationImpl : public torch::nn::Module {
public:
    explicit LanguageForConditionalGenerationImpl(const TextConfig &config);

    // decoder hidden [B, T, D] -> logits [B, T, V]
    at::Tensor lmHead(const at::Tensor &decoderHidden) const;
    // Greedy decoding: for hidden [B, 1, D], each row's argmax of lmHead() over the tokens not in
    // excluded[row] (or all), found through ScreenedArgmax without computing every logit.
    // Empty when that does not apply here (e.g. no such CPU): compute lmHead() instead.
    std::vector<int64_t> nextTokens(
        const at::Tensor &decoderHidden, const std::vector<std::vector<int64_t>> &excluded) const;

    LanguageModel model {nullptr};
    // The tied head as a layer (no parameter of its own) so that a LoRA target `lm_head` finds
    // it at PEFT's path, language_model.lm_head.
    LoraLinear lm_head {nullptr};
    at::Tensor final_logits_bias; // buffer [1, V]

private:
    // shared: the screen holds a mutex, and modules are handed around by value
    std::shared_ptr<ScreenedArgmax> m_screen = std::make_shared<ScreenedArgmax>();
};

TORCH_MODULE(LanguageForConditionalGeneration);

} // namespace fmw::florence2

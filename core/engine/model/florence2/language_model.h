#pragma once
// The BART encoder-decoder (Florence2LanguageModel in the reference, checkpoint prefix
// `language_model.model.`): the token embedding `shared`, used by the encoder, the decoder
// and (in LanguageForConditionalGeneration) the output projection.

#include "engine/model/florence2/decoder.h"
#include "engine/model/florence2/encoder.h"
#include "engine/model/florence2/florence2_config.h"

#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

class LanguageModelImpl : public torch::nn::Module {
public:
    explicit LanguageModelImpl(const TextConfig &config);

    torch::nn::Embedding shared {nullptr}; // [vocab, D], padding_idx = pad_token_id
    Encoder encoder {nullptr};
    Decoder decoder {nullptr};
};

TORCH_MODULE(LanguageModel);

} // namespace fmw::florence2

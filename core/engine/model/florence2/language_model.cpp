#include "engine/model/florence2/language_model.h"

namespace fmw::florence2 {

LanguageModelImpl::LanguageModelImpl(const TextConfig &c)
{
    shared = register_module("shared",
        torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocabSize, c.dModel).padding_idx(c.padTokenId)));
    // One Parameter for all four checkpoint names (shared, encoder/decoder.embed_tokens,
    // lm_head): the encoder and decoder hold the module without registering it.
    encoder = register_module("encoder", Encoder(c, shared));
    decoder = register_module("decoder", Decoder(c, shared));
}

} // namespace fmw::florence2

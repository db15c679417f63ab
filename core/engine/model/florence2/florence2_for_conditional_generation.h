#pragma once
// Florence-2 (Florence2ForConditionalGeneration in the reference): DaViT image encoder,
// image projector, BART encoder-decoder with a tied LM head. named_parameters() and
// named_buffers() carry the remote-code checkpoint names; the tied token embedding is one
// Parameter, `language_model.model.shared.weight`, which checkpoints also store under the
// aliases in tiedAliases().
//
// Entry points, all batch-first:
//   encodeImage(pixels)                   -> image tokens [B, 1+N, D]
//   encode(pixels, promptIds[, mask])     -> EncoderOutput (encoder states [B, 1+N+Lp, D])
//   decode(decoderIds, encoded[, cache])  -> logits [B, T, V] (step-wise with a DecoderCache)
//   forward(ForwardInputs)                -> logits and, with labels, the loss
//
// The prompt's attention mask is ignored by default, as the original does (prompt <pad>
// tokens are attended to); setApplyPromptMask(true) applies [ones(image), mask] in the
// encoder and in cross-attention, as the transformers-native port does.

#include "common/result.h"
#include "engine/model/florence2/davit.h"
#include "engine/model/florence2/decoder_cache.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/image_projector.h"
#include "engine/model/florence2/language_for_conditional_generation.h"
#include "engine/model/florence2/tensor_callback.h"

#include <torch/nn/pimpl.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fmw::florence2 {

struct EncoderOutput {
    at::Tensor lastHiddenState; // [B, S, D], S = 1 + N + Lp
    at::Tensor attentionMask; // [B, S] when the prompt mask is applied; undefined = attend to all
    at::Tensor imageFeatures; // [B, 1 + N, D]
};

struct ForwardInputs {
    at::Tensor pixelValues; // [B, 3, H, W]
    at::Tensor inputIds; // [B, Lp] prompt, <s> ... </s>, right-padded with <pad>
    at::Tensor attentionMask; // [B, Lp]; used only with applyPromptMask()
    at::Tensor decoderInputIds; // [B, Lt]; shiftTokensRight(labels) when undefined
    at::Tensor decoderAttentionMask; // [B, Lt]; combined with the causal mask when given
    at::Tensor labels; // [B, Lt]; ignoreIndex (-100) positions do not count
};

struct ForwardOutput {
    at::Tensor logits; // [B, Lt, V], float32
    at::Tensor loss; // [] mean cross-entropy, when labels were given
    at::Tensor encoderLastHiddenState; // [B, S, D]
    at::Tensor imageFeatures; // [B, 1 + N, D]
};

class Florence2ForConditionalGenerationImpl : public ImageProjectorImpl {
public:
    explicit Florence2ForConditionalGenerationImpl(const Florence2Config &config);

    const Florence2Config &config() const { return m_config; }

    // pixels [B, 3, H, W] (cast to the model's dtype and device) -> image tokens [B, 1+N, D].
    at::Tensor encodeImage(const at::Tensor &pixelValues);
    // prompt ids [B, Lp] -> text_embeds [B, Lp, D] (shared table, no scaling).
    at::Tensor embedTokens(const at::Tensor &inputIds);
    // Image tokens followed by the prompt embeddings through the BART encoder.
    EncoderOutput encode(
        const at::Tensor &pixelValues, const at::Tensor &inputIds, const at::Tensor &attentionMask = {});
    // Decoder ids [B, T] -> float32 logits [B, T, V]. With `cache`, pass only the tokens not
    // yet decoded (see DecoderCache). decoderAttentionMask [B, past+T] is optional.
    // `encoded` may hold B/G rows: each then serves G consecutive decoder rows (beam search's
    // beams share their sample's encoder output and cross-attention keys/values).
    at::Tensor decode(const at::Tensor &decoderInputIds, const EncoderOutput &encoded,
        DecoderCache *cache = nullptr, const at::Tensor &decoderAttentionMask = {});
    // decode() without the LM head: the decoder's last hidden states [B, T, D] in the model's
    // dtype (language_model->lmHead() makes them logits).
    at::Tensor decodeHidden(const at::Tensor &decoderInputIds, const EncoderOutput &encoded,
        DecoderCache *cache = nullptr, const at::Tensor &decoderAttentionMask = {});
    // Whether a callback is set (generation then computes every logit, so that it sees them).
    bool hasCallback() const { return static_cast<bool>(m_callback); }
    // Teacher-forced pass; with labels also the loss. Dropout and drop path act in train().
    ForwardOutput forward(const ForwardInputs &inputs);

    // CrossEntropy(mean) over labels != ignoreIndex; logits [B, T, V], labels [B, T].
    at::Tensor loss(const at::Tensor &logits, const at::Tensor &labels) const;
    // labels shifted right by one, decoder start token first, -100 replaced by <pad>.
    static at::Tensor shiftTokensRight(
        const at::Tensor &labels, int64_t padTokenId, int64_t decoderStartTokenId);

    void setApplyPromptMask(bool apply) { m_applyPromptMask = apply; }
    bool applyPromptMask() const { return m_applyPromptMask; }
    // Receives the named intermediate tensors (vision.*, image_features*, text_embeds,
    // inputs_embeds, encoder_hidden_states.*, encoder_last_hidden_state,
    // decoder_hidden_states.*, logits). Empty = none.
    void setCallback(TensorCallback callback) { m_callback = std::move(callback); }

    // (alias, registered name) of the tied embedding's other checkpoint names.
    static const std::vector<std::pair<std::string, std::string>> &tiedAliases();
    // Every state-dict name with its shape: parameters, buffers and the tied aliases (what a
    // remote-code checkpoint holds).
    std::map<std::string, std::vector<int64_t>> stateDictShapes() const;
    // Unique parameters (the tied embedding once).
    int64_t numParameters() const;
    // Copies tensors (remote-code names) into the parameters and buffers, converting dtype and
    // device. The tied embedding may come under any of its names. Missing, unexpected and
    // mis-shaped names are reported together.
    Status loadStateDict(const std::map<std::string, at::Tensor> &tensors);

    DaViT vision_tower {nullptr};
    LanguageForConditionalGeneration language_model {nullptr};

private:
    Florence2Config m_config;
    bool m_applyPromptMask = false;
    TensorCallback m_callback;
};

TORCH_MODULE(Florence2ForConditionalGeneration);

} // namespace fmw::florence2

#pragma once
// Text generation for Florence-2: greedy and beam search over the decoder with the KV cache,
// mirroring Hugging Face generate() as the original Florence2ForConditionalGeneration.generate
// reaches it (language_model.generate with text_config's generation settings):
//   - logits processors, in HF's order: no_repeat_ngram_size (n-grams over the decoder ids,
//     start token included), forced BOS at the first generated position, forced EOS at
//     max_length - 1 (max_length = 1 + maxNewTokens, the start token counts);
//   - greedy: argmax of the processed raw logits; finished rows continue with <pad>;
//   - beam search: log-softmax, processors, + running beam score, top 2K over K*V, HF's
//     BeamSearchScorer (a hypothesis ends when </s> is among the top K; its score is the sum
//     of log-probabilities, </s> included, divided by generated_length^length_penalty, where
//     generated_length counts the tokens after the start token, </s> included);
//     early_stopping true stops a sample once K hypotheses are done, false when no open beam
//     can beat the worst one (HF's heuristic).
// Returned rows start with the decoder start token and are padded with <pad> after </s>.

#include "engine/model/florence2/florence2_for_conditional_generation.h"

#include <cstdint>
#include <optional>

namespace fmw::florence2 {

struct GenerationOptions {
    int64_t maxNewTokens = 20;
    int64_t numBeams = 1;
    double lengthPenalty = 1.0;
    bool earlyStopping = false;
    int64_t noRepeatNgramSize = 0;
    std::optional<int64_t> forcedBosTokenId;
    std::optional<int64_t> forcedEosTokenId;
    bool useCache = true; // false recomputes the whole prefix each step (for checking the cache)
    bool keepStepLogits = false; // greedy only: the raw logits of every step

    // The settings the original generate() really uses: text_config's generation fields
    // (Florence-2: 3 beams, early stopping, no_repeat_ngram_size 3, forced BOS 0 / EOS 2).
    static GenerationOptions effectiveDefaults(const Florence2Config &config, int64_t maxNewTokens = 20);
};

struct GenerationResult {
    at::Tensor sequences; // int64 [B, L]: decoder start token, generated ids, <pad> after </s>
    at::Tensor scores; // float [B]: length-penalised beam scores (beam search only)
    at::Tensor stepLogits; // float [B, steps, V]: raw logits per step (greedy, keepStepLogits)
};

// Generates from an encoder output (model->encode(...)). Runs under InferenceMode; the model
// should be in eval mode. Throws c10::Error on invalid options.
GenerationResult generate(
    Florence2ForConditionalGeneration &model, const EncoderOutput &encoded, const GenerationOptions &options);

// The beam-search path of generate() for any numBeams, 1 included (with early stopping that
// gives the greedy result: the property tests check this).
GenerationResult beamSearch(
    Florence2ForConditionalGeneration &model, const EncoderOutput &encoded, const GenerationOptions &options);

// Sum of log-probabilities of `sequences` (rows as generate() returns them, start token
// first, scored up to and including the first </s>) under teacher forcing, divided by
// generated_length^lengthPenalty: what beam search reports as a hypothesis score, recomputed
// in one forward. Processors are applied as in generation (forced tokens, banned n-grams).
at::Tensor sequenceScores(Florence2ForConditionalGeneration &model, const EncoderOutput &encoded,
    const at::Tensor &sequences, const GenerationOptions &options);

} // namespace fmw::florence2
